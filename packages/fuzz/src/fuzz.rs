//! The fuzzing loop: per contract, seeded runs of random actions on fresh
//! worlds, with statistics, failures and their shrunk reproducers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Result;
use cosmwasm_std::{coins, Addr};

use crate::gen::{base64, Generator};
use crate::json::{shrink_candidates, Json};
use crate::rng::Rng;
use crate::target::{load, ContractSchema, Target};
use crate::world::{install_panic_hook, Action, Outcome, World, NATIVE_DENOM};

/// How to fuzz.
#[derive(Debug, Clone)]
pub struct Config {
    /// Base seed: the same seed gives the same cases.
    pub seed: u64,
    /// Messages (executes, hooks, queries, migrations) per contract.
    pub cases: u64,
    /// Actions per world before a fresh deployment.
    pub run_len: u64,
    /// Mutation rate per generated node, per mille.
    pub mutate_permille: u64,
    /// Distinct failures kept (and shrunk) per contract; the fuzzing goes
    /// on after a failure, on a fresh world, and counts the others.
    pub max_failures: usize,
    /// Shrink failures (replays on fresh worlds; not possible after a panic
    /// in a `panic = "abort"` build, which ends the process).
    pub shrink: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: 1,
            cases: 2_000,
            run_len: 200,
            mutate_permille: 15,
            max_failures: 3,
            shrink: true,
        }
    }
}

/// A failure and how to reproduce it.
#[derive(Debug, Clone)]
pub struct Failure {
    /// Contract fuzzed.
    pub target: Target,
    /// Run (world) index and the action's index in it.
    pub run: u64,
    /// Index of the failing action in its run.
    pub step: usize,
    /// What happened.
    pub outcome: Outcome,
    /// The failing action, with its JSON.
    pub action: String,
    /// A shrunk sequence of actions from a fresh world that still fails
    /// (the last one fails), when shrinking was possible.
    pub reproducer: Vec<String>,
}

/// What a contract's fuzzing did.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Messages sent (executes, hooks, queries, migrations).
    pub cases: u64,
    /// Executes (including hooks) sent / accepted.
    pub executes: u64,
    /// Executes accepted.
    pub executes_ok: u64,
    /// cw20 hooks (AIP `Send` to the contract) sent / accepted.
    pub hooks: u64,
    /// Hooks accepted.
    pub hooks_ok: u64,
    /// Queries sent / answered.
    pub queries: u64,
    /// Queries answered.
    pub queries_ok: u64,
    /// Migrations sent / accepted.
    pub migrations: u64,
    /// Migrations accepted.
    pub migrations_ok: u64,
    /// Block-time moves.
    pub advances: u64,
    /// Fresh deployments.
    pub worlds: u64,
    /// Accepted execute variants (hook payloads as `hook:<variant>`).
    pub variants_ok: BTreeSet<String>,
    /// Panics and broken invariants, the first of each kind (by the panic's
    /// first line or the invariant's text with its numbers blanked).
    pub failures: Vec<Failure>,
    /// Every failing case, distinct or not.
    pub failure_count: u64,
    /// Wall time.
    pub elapsed: Duration,
}

/// What the loop remembers between actions of a run, to follow the hints
/// that refusals give.
#[derive(Default)]
struct Memory {
    /// The last refused execute: retried from another sender (the right
    /// role may accept it).
    refused: Option<Action>,
    /// The last refused hook and the numbers its error named (the amount
    /// the contract wanted): retried with those amounts.
    hook: Option<(Addr, Json, Vec<u128>)>,
}

/// Most accepted executes a contract's corpus keeps.
const CORPUS: usize = 256;

/// The fuzzer: the schemas of every contract.
pub struct Fuzzer {
    schemas: BTreeMap<Target, ContractSchema>,
    cfg: Config,
}

/// The cw20 `send` of `amount` to `contract` carrying `payload`.
pub fn send_msg(contract: &Addr, amount: &str, payload: &Json) -> Json {
    Json::Obj(vec![(
        "send".into(),
        Json::Obj(vec![
            ("contract".into(), Json::Str(contract.to_string())),
            ("amount".into(), Json::Str(amount.into())),
            (
                "msg".into(),
                Json::Str(base64(payload.to_string().as_bytes())),
            ),
        ]),
    )])
}

/// An error with its numbers and addresses blanked: the class of refusal.
fn template(e: &str) -> String {
    let mut out = String::new();
    for word in e.split(' ') {
        if word.chars().any(|c| c.is_ascii_digit()) {
            out.push_str("# ");
        } else {
            out.push_str(word);
            out.push(' ');
        }
    }
    out
}

/// The variant name of a message (`{"deposit":{..}}` → `deposit`).
fn variant(msg: &Json) -> String {
    match msg {
        Json::Obj(o) if o.len() == 1 => o[0].0.clone(),
        Json::Str(s) => s.clone(),
        _ => "?".into(),
    }
}

impl Fuzzer {
    /// Reads the schemas of every contract from `schema_dir`.
    pub fn new(schema_dir: &Path, cfg: Config) -> Result<Fuzzer> {
        let mut schemas = BTreeMap::new();
        for t in Target::ALL {
            schemas.insert(t, load(schema_dir, t)?);
        }
        Ok(Fuzzer { schemas, cfg })
    }

    fn generate(&self, schema: &serde_json::Value, w: &World, rng: &mut Rng) -> Json {
        Generator {
            root: schema,
            dict: &w.dict,
            mutate_permille: self.cfg.mutate_permille,
            binary: None,
        }
        .message(rng)
    }

    /// A step from an accepted execute of the corpus: replayed as it was
    /// (its state may be needed again, e.g. a zone in a fresh world), or with
    /// one value changed, or from another sender.
    fn step_from_corpus(&self, t: Target, a: &Action, w: &World, rng: &mut Rng) -> Action {
        let g = Generator {
            root: &serde_json::Value::Null,
            dict: &w.dict,
            mutate_permille: 0,
            binary: None,
        };
        let mut a = a.clone();
        if let Action::Execute {
            sender, msg, hook, ..
        } = &mut a
        {
            match rng.below(4) {
                0 => {}
                1 => *sender = rng.pick(&w.senders).clone(),
                _ => match hook {
                    Some(h) => {
                        // The payload, or the amount sent with it.
                        let amount = match msg {
                            Json::Obj(o) => o
                                .first()
                                .and_then(|(_, v)| match v {
                                    Json::Obj(f) => f.iter().find(|(k, _)| k == "amount"),
                                    _ => None,
                                })
                                .map(|(_, v)| v.clone()),
                            _ => None,
                        };
                        let amount = match amount {
                            Some(Json::Str(s)) if rng.chance(50) => s,
                            _ => match g.mutate_leaf(&Json::Str("0".into()), rng) {
                                Json::Str(s) => s,
                                other => other.to_string(),
                            },
                        };
                        if rng.chance(70) {
                            *h = g.mutate_leaf(h, rng);
                        }
                        *msg = send_msg(w.addr(t), &amount, h);
                    }
                    None => {
                        *msg = g.mutate_leaf(msg, rng);
                        if rng.chance(30) {
                            *msg = g.mutate_leaf(msg, rng);
                        }
                    }
                },
            }
        }
        a
    }

    fn next_action(
        &self,
        t: Target,
        w: &World,
        mem: &mut Memory,
        rng: &mut Rng,
        corpus: &[Action],
    ) -> Action {
        let s = &self.schemas[&t];
        if !corpus.is_empty() && rng.chance(40) {
            return self.step_from_corpus(t, rng.pick(corpus), w, rng);
        }
        let r = rng.below(100);
        if r < 8 {
            let secs = *rng.pick(&[
                1u64, 30, 299, 300, 301, 600, 899, 900, 1800, 3600, 3601, 7200,
            ]);
            return Action::Advance { secs };
        }
        if r < 10 {
            let code = if rng.chance(75) {
                t
            } else {
                *rng.pick(&Target::ALL)
            };
            let sender = if rng.chance(80) {
                w.d.admin.clone()
            } else {
                rng.pick(&w.senders).clone()
            };
            return Action::Migrate {
                contract: t,
                code,
                sender,
                msg: self.generate(&s.migrate, w, rng),
            };
        }
        if r < 35 && s.has_receive() {
            return self.hook_action(t, w, mem, rng);
        }
        if r < 55 {
            return Action::Query {
                contract: t,
                msg: self.generate(&s.query, w, rng),
            };
        }
        if r < 70 {
            if let Some(Action::Execute {
                contract,
                msg,
                funds,
                hook,
                ..
            }) = mem.refused.take()
            {
                return Action::Execute {
                    contract,
                    sender: rng.pick(&w.senders).clone(),
                    msg,
                    funds,
                    hook,
                };
            }
        }
        let funds = if rng.chance(10) {
            coins(*rng.pick(&[1u128, 1_000, 2_000_000_000]), NATIVE_DENOM)
        } else {
            vec![]
        };
        Action::Execute {
            contract: t,
            sender: rng.pick(&w.senders).clone(),
            msg: self.generate(&s.execute, w, rng),
            funds,
            hook: None,
        }
    }

    /// An AIP `Send` to `t` carrying a payload from its hook schema (random
    /// bytes when it has none).
    fn hook_action(&self, t: Target, w: &World, mem: &mut Memory, rng: &mut Rng) -> Action {
        if let Some((sender, payload, nums)) = &mem.hook {
            if !nums.is_empty() && rng.chance(50) {
                let amount = rng.pick(nums).to_string();
                return Action::Execute {
                    contract: Target::Token,
                    sender: sender.clone(),
                    msg: send_msg(w.addr(t), &amount, payload),
                    funds: vec![],
                    hook: Some(payload.clone()),
                };
            }
        }
        let payload = match &self.schemas[&t].hook {
            Some(h) => self.generate(h, w, rng),
            None => Json::Raw(String::new()),
        };
        let amounts = Generator {
            root: &serde_json::Value::Null,
            dict: &w.dict,
            mutate_permille: 0,
            binary: None,
        };
        let amount = match amounts.value(
            &serde_json::json!({"$ref": "#/definitions/Uint128"}),
            0,
            rng,
        ) {
            Json::Str(s) => s,
            other => other.to_string(),
        };
        let sender = if rng.chance(85) {
            rng.pick(&w.users).clone()
        } else {
            rng.pick(&w.senders).clone()
        };
        Action::Execute {
            contract: Target::Token,
            sender,
            msg: send_msg(w.addr(t), &amount, &payload),
            funds: vec![],
            hook: Some(payload),
        }
    }

    /// Fuzzes one contract for `cfg.cases` messages.
    pub fn run_target(&self, t: Target) -> Result<Stats> {
        install_panic_hook();
        let start = Instant::now();
        let trace = std::env::var_os("AIP_FUZZ_TRACE").is_some();
        let mut st = Stats::default();
        let mut run = 0u64;
        let mut corpus: Vec<Action> = vec![];
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut kinds: BTreeSet<String> = BTreeSet::new();
        while st.cases < self.cfg.cases {
            let mut rng = Rng::new(Rng::derive(self.cfg.seed, t.name(), run));
            let mut w = World::new()?;
            st.worlds += 1;
            let mut mem = Memory::default();
            let mut log: Vec<Action> = vec![];
            for _ in 0..self.cfg.run_len {
                if st.cases >= self.cfg.cases {
                    break;
                }
                let action = self.next_action(t, &w, &mut mem, &mut rng, &corpus);
                let out = w.run(&action, &mut rng);
                // Coverage, as far as the outside can see it: an accepted
                // variant, or a refusal not seen before (each check a
                // message passes shows up as the next check's error).
                let feature = match (&out, &action) {
                    (Outcome::Accepted, Action::Execute { msg, hook, .. }) => {
                        Some(format!("ok {}", variant(hook.as_ref().unwrap_or(msg))))
                    }
                    (Outcome::Refused(e), Action::Execute { .. }) => Some(template(e)),
                    _ => None,
                };
                if feature.is_some_and(|f| seen.insert(f))
                    || (out == Outcome::Accepted && action.is_execute() && rng.chance(10))
                {
                    if corpus.len() < CORPUS {
                        corpus.push(action.clone());
                    } else {
                        let i = rng.below(CORPUS);
                        corpus[i] = action.clone();
                    }
                }
                if trace {
                    eprintln!("[{} run {run}] {} -> {out:?}", t.name(), action.describe());
                }
                log.push(action.clone());
                self.count(&mut st, &action, &out, &mut mem);
                if out.is_failure() {
                    st.failure_count += 1;
                    let kind = match &out {
                        Outcome::Panic(m) => m.lines().next().unwrap_or("").to_string(),
                        other => template(&format!("{other:?}")),
                    };
                    if !kinds.insert(kind) || st.failures.len() >= self.cfg.max_failures {
                        break;
                    }
                    let reproducer = if self.cfg.shrink {
                        shrink(&log, &out, World::new)
                            .iter()
                            .map(Action::describe)
                            .collect()
                    } else {
                        vec![]
                    };
                    st.failures.push(Failure {
                        target: t,
                        run,
                        step: log.len() - 1,
                        outcome: out,
                        action: action.describe(),
                        reproducer,
                    });
                    break;
                }
            }
            run += 1;
        }
        st.elapsed = start.elapsed();
        Ok(st)
    }

    fn count(&self, st: &mut Stats, a: &Action, out: &Outcome, mem: &mut Memory) {
        let ok = *out == Outcome::Accepted;
        if a.is_message() {
            st.cases += 1;
        }
        match a {
            Action::Advance { .. } => st.advances += 1,
            Action::Query { .. } => {
                st.queries += 1;
                st.queries_ok += u64::from(ok);
            }
            Action::Migrate { .. } => {
                st.migrations += 1;
                st.migrations_ok += u64::from(ok);
            }
            Action::Execute {
                msg, hook, sender, ..
            } => {
                st.executes += 1;
                st.executes_ok += u64::from(ok);
                if let Some(h) = hook {
                    st.hooks += 1;
                    st.hooks_ok += u64::from(ok);
                    if ok {
                        st.variants_ok.insert(format!("hook:{}", variant(h)));
                    } else if let Outcome::Refused(e) = out {
                        let nums = crate::gen::numbers_in(e).into_iter().take(6).collect();
                        mem.hook = Some((sender.clone(), h.clone(), nums));
                    }
                } else if ok {
                    st.variants_ok.insert(variant(msg));
                } else if let Outcome::Refused(e) = out {
                    let e = e.to_lowercase();
                    if [
                        "unauthorized",
                        "only the",
                        "belongs to",
                        "not the owner",
                        "caller",
                    ]
                    .iter()
                    .any(|k| e.contains(k))
                    {
                        mem.refused = Some(a.clone());
                    }
                }
            }
        }
    }
}

/// Replays `actions` on a fresh world: true when the last one fails the way
/// `expected` did (a panic, or a broken invariant).
fn fails(actions: &[Action], expected: &Outcome, make: &dyn Fn() -> Result<World>) -> bool {
    let Ok(mut w) = make() else { return false };
    let mut rng = Rng::new(0);
    let Some((last, prefix)) = actions.split_last() else {
        return false;
    };
    for a in prefix {
        if w.run(a, &mut rng).is_failure() {
            return false;
        }
    }
    let out = w.run(last, &mut rng);
    std::mem::discriminant(&out) == std::mem::discriminant(expected)
}

/// Replaces the failing message of an action (for a hook: its payload).
fn with_msg(a: &Action, m: Json) -> Action {
    let mut a = a.clone();
    match &mut a {
        Action::Execute {
            msg, hook: Some(h), ..
        } => {
            if let Json::Obj(o) = msg {
                if let Some((_, Json::Obj(send))) = o.first_mut() {
                    for (k, v) in send.iter_mut() {
                        if k == "msg" {
                            *v = Json::Str(base64(m.to_string().as_bytes()));
                        }
                    }
                }
            }
            *h = m;
        }
        Action::Execute { msg, .. } | Action::Query { msg, .. } | Action::Migrate { msg, .. } => {
            *msg = m
        }
        Action::Advance { .. } => {}
    }
    a
}

fn msg_of(a: &Action) -> Option<&Json> {
    match a {
        Action::Execute { hook: Some(h), .. } => Some(h),
        Action::Execute { msg, .. } | Action::Query { msg, .. } | Action::Migrate { msg, .. } => {
            Some(msg)
        }
        Action::Advance { .. } => None,
    }
}

/// Most replays a shrink may spend.
const SHRINK_BUDGET: usize = 300;

/// Shrinks a failing run: drops earlier actions that are not needed, then
/// simplifies the failing message while the failure persists. Returns the
/// run unchanged when it does not reproduce on a fresh world.
pub fn shrink(log: &[Action], failure: &Outcome, make: impl Fn() -> Result<World>) -> Vec<Action> {
    crate::world::quietly(|| shrink_loud(log, failure, &make))
}

fn shrink_loud(log: &[Action], failure: &Outcome, make: &dyn Fn() -> Result<World>) -> Vec<Action> {
    let mut cur = log.to_vec();
    let mut budget = SHRINK_BUDGET;
    if !fails(&cur, failure, make) {
        return cur;
    }
    let mut i = 0;
    while i + 1 < cur.len() && budget > 0 {
        let mut cand = cur.clone();
        cand.remove(i);
        budget -= 1;
        if fails(&cand, failure, make) {
            cur = cand;
        } else {
            i += 1;
        }
    }
    'outer: while budget > 0 {
        let last = cur.last().cloned();
        let Some(m) = last.as_ref().and_then(msg_of) else {
            break;
        };
        for c in shrink_candidates(m) {
            if budget == 0 {
                break 'outer;
            }
            budget -= 1;
            let mut cand = cur.clone();
            let n = cand.len() - 1;
            cand[n] = with_msg(&cand[n], c);
            if fails(&cand, failure, make) {
                cur = cand;
                continue 'outer;
            }
        }
        break;
    }
    cur
}
