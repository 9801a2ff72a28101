//! One fuzzing world: the wired deployment of `aip-testing` with funded,
//! registered users, the actions the fuzzer performs on it, and the holdings
//! invariants checked after every accepted message.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use aip_testing::deployment::roles;
use aip_testing::{Deployment, DeploymentConfig};
use anyhow::{anyhow, Result};
use cosmwasm_std::{coins, Addr, Binary, Coin, CosmosMsg, QueryRequest, WasmMsg, WasmQuery};
use cw_multi_test::{AppResponse, Executor};
use serde_json::Value;

use crate::gen::Dict;
use crate::json::Json;
use crate::rng::Rng;
use crate::target::Target;

/// Ordinary users of a world: funded, with a reputation token and a meter.
pub const USERS: usize = 5;
/// AIP each user starts with, uaip.
pub const USER_AIP: u128 = 1_000_000_000_000;
/// Native funds each account may attach to a message.
pub const NATIVE_DENOM: &str = "ustake";

/// Something the fuzzer does.
#[derive(Debug, Clone)]
pub enum Action {
    /// Moves the block time forward (and the height with it).
    Advance {
        /// Seconds.
        secs: u64,
    },
    /// Executes a message.
    Execute {
        /// The contract called.
        contract: Target,
        /// The sender's address.
        sender: Addr,
        /// The message.
        msg: Json,
        /// Native funds attached.
        funds: Vec<Coin>,
        /// For a cw20 hook (an AIP `Send`): the payload inside `msg`.
        hook: Option<Json>,
    },
    /// A smart query.
    Query {
        /// The contract queried.
        contract: Target,
        /// The query.
        msg: Json,
    },
    /// A migration of `contract` to the code of `code`.
    Migrate {
        /// The contract migrated.
        contract: Target,
        /// Whose code it is migrated to.
        code: Target,
        /// The sender's address.
        sender: Addr,
        /// The migrate message.
        msg: Json,
    },
}

impl Action {
    /// A one-line description with the exact JSON sent.
    pub fn describe(&self) -> String {
        match self {
            Action::Advance { secs } => format!("advance {secs} s"),
            Action::Execute {
                contract,
                sender,
                msg,
                funds,
                hook,
            } => {
                let mut s = format!("execute {} from {sender}", contract.name());
                if !funds.is_empty() {
                    s.push_str(&format!(" with {funds:?}"));
                }
                s.push_str(&format!(": {msg}"));
                if let Some(h) = hook {
                    s.push_str(&format!(" (hook payload: {h})"));
                }
                s
            }
            Action::Query { contract, msg } => format!("query {}: {msg}", contract.name()),
            Action::Migrate {
                contract,
                code,
                sender,
                msg,
            } => format!(
                "migrate {} to the code of {} from {sender}: {msg}",
                contract.name(),
                code.name()
            ),
        }
    }

    /// True for an execute (a hook included).
    pub fn is_execute(&self) -> bool {
        matches!(self, Action::Execute { .. })
    }

    /// True for the actions that are messages (the fuzzer's cases).
    pub fn is_message(&self) -> bool {
        !matches!(self, Action::Advance { .. })
    }
}

/// What an action did.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Accepted (a query answered, an execute or migrate committed) and the
    /// invariants hold.
    Accepted,
    /// Refused with a clean error (the state is unchanged).
    Refused(String),
    /// The contract code panicked.
    Panic(String),
    /// Accepted, but a holdings invariant broke.
    Invariant(String),
}

impl Outcome {
    /// A panic or a broken invariant.
    pub fn is_failure(&self) -> bool {
        matches!(self, Outcome::Panic(_) | Outcome::Invariant(_))
    }
}

thread_local! {
    /// The action being run, for the panic hook.
    static CURRENT: RefCell<Option<String>> = const { RefCell::new(None) };
    /// The last panic's message on this thread.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
    /// True while a failure is being shrunk: its replays panic again and again.
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with the panic hook's printing off (the messages are still
/// recorded): for the replays of a shrink.
pub fn quietly<T>(f: impl FnOnce() -> T) -> T {
    QUIET.with(|q| q.set(true));
    let out = f();
    QUIET.with(|q| q.set(false));
    out
}

/// Installs (once) a panic hook that records the panic message and prints
/// the action that caused it: with `panic = "abort"` (the release profile) the
/// process ends right after, so this line is the reproducer.
pub fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let current = CURRENT.with(|c| c.borrow().clone());
            match current {
                Some(action) => {
                    let msg = format!("{info}");
                    if !QUIET.with(|q| q.get()) {
                        eprintln!("aip-fuzz: PANIC while running `{action}`: {msg}");
                    }
                    LAST_PANIC.with(|p| *p.borrow_mut() = Some(msg));
                }
                None => default(info),
            }
        }));
    });
}

/// The deployment under fuzzing and what the fuzzer knows about it.
pub struct World {
    /// Every contract, wired.
    pub d: Deployment,
    /// Accounts that send messages: the roles, the users, a stranger. Not
    /// the contracts: a contract as the sender would impersonate its own
    /// code (the token "sending" a hook with no tokens moved, settlement
    /// moving AIP it holds), which no transaction can do.
    pub senders: Vec<Addr>,
    /// The ordinary users (funded, registered, each with a meter).
    pub users: Vec<Addr>,
    /// Values the generator prefers.
    pub dict: Dict,
    /// AIP moved to settlement by plain transfers and mints (not through its
    /// hook): held by the contract but in none of its books.
    pub donated: u128,
    /// Code id of each contract.
    pub codes: BTreeMap<Target, u64>,
}

impl World {
    /// A fresh deployment: every contract wired (settlement reads reputation
    /// and the meter-oracle), [`USERS`] users funded with AIP and native
    /// coins, registered in reputation, each with a meter.
    pub fn new() -> Result<World> {
        let users: Vec<String> = (0..USERS).map(|i| format!("user{i}")).collect();
        let cfg = DeploymentConfig {
            initial_balances: users.iter().map(|u| (u.clone(), USER_AIP)).collect(),
            ..DeploymentConfig::default()
        };
        let mut d = Deployment::new(&cfg)?;
        let (rep, mo) = (d.reputation.clone(), d.meter_oracle.clone());
        d.wire_settlement(Some(&rep), Some(&mo))?;
        let mut dict = Dict::default();
        let mut rng = Rng::new(0);
        let mut names: Vec<String> = vec![
            cfg.admin.clone(),
            roles::GRID_OPERATOR.into(),
            roles::MATCHER.into(),
            roles::ORACLE.into(),
            roles::ARBITER.into(),
            roles::TREASURY.into(),
            roles::GUARDIAN.into(),
            roles::KYC_PROVIDER.into(),
            "stranger".into(),
        ];
        names.extend(roles::METER_ORACLES.iter().map(|s| s.to_string()));
        names.extend(users.iter().cloned());
        let senders: Vec<Addr> = names.iter().map(|n| d.addr(n)).collect();
        for (i, u) in users.iter().enumerate() {
            let a = d.addr(u);
            d.register(&a)?;
            let device = ed25519_dalek::SigningKey::from_bytes(&[i as u8 + 1; 32]);
            let meter = d.register_meter(&a, i as u32 + 1, &device)?;
            dict.add_str(&meter.to_string(), &mut rng);
            dict.add_keyed("meter", &meter.to_string(), &mut rng);
        }
        for a in &senders {
            let a = a.clone();
            d.app.init_modules(|router, _, storage| {
                router
                    .bank
                    .init_balance(storage, &a, coins(1_000_000_000, NATIVE_DENOM))
            })?;
        }
        let contracts = [
            (Target::Token, d.token.clone()),
            (Target::Settlement, d.settlement.clone()),
            (Target::Reputation, d.reputation.clone()),
            (Target::MeterOracle, d.meter_oracle.clone()),
            (Target::ZkVerifier, d.zk_verifier.clone()),
        ];
        let mut codes = BTreeMap::new();
        dict.addrs = senders.iter().map(|a| a.to_string()).collect();
        for (t, a) in &contracts {
            codes.insert(*t, d.app.wrap().query_wasm_contract_info(a)?.code_id);
            dict.addrs.push(a.to_string());
        }
        let users = users.iter().map(|u| d.addr(u)).collect();
        let mut w = World {
            d,
            senders,
            users,
            dict,
            donated: 0,
            codes,
        };
        w.add_slots(&mut rng);
        w.check().map_err(|e| anyhow!("fresh deployment: {e}"))?;
        Ok(w)
    }

    /// The address of a contract.
    pub fn addr(&self, t: Target) -> &Addr {
        match t {
            Target::Token => &self.d.token,
            Target::Settlement => &self.d.settlement,
            Target::Reputation => &self.d.reputation,
            Target::MeterOracle => &self.d.meter_oracle,
            Target::ZkVerifier => &self.d.zk_verifier,
        }
    }

    /// Puts the slots around the block time into the dictionary (slots are
    /// named by their start, a multiple of 900 s).
    fn add_slots(&mut self, rng: &mut Rng) {
        let t = self.d.app.block_info().time.seconds();
        let s0 = t - t % 900;
        self.dict.hot = (0..6u64).map(|k| u128::from(s0 + k * 900)).collect();
        self.dict.hot.push(u128::from(s0 - 900));
        for n in self.dict.hot.clone() {
            self.dict.add_int(n, rng);
        }
    }

    /// Runs an action: panics are caught and reported, accepted messages are
    /// followed by the invariant check, and what the responses and errors
    /// mention goes into the dictionary.
    pub fn run(&mut self, action: &Action, rng: &mut Rng) -> Outcome {
        install_panic_hook();
        CURRENT.with(|c| *c.borrow_mut() = Some(action.describe()));
        let out = self.run_inner(action, rng);
        CURRENT.with(|c| *c.borrow_mut() = None);
        out
    }

    fn run_inner(&mut self, action: &Action, rng: &mut Rng) -> Outcome {
        let result: std::thread::Result<Result<Option<AppResponse>>> = match action {
            Action::Advance { secs } => {
                let secs = *secs;
                self.d.app.update_block(|b| {
                    b.time = b.time.plus_seconds(secs);
                    b.height += 1 + secs / 5;
                });
                self.add_slots(rng);
                return Outcome::Accepted;
            }
            Action::Execute {
                contract,
                sender,
                msg,
                funds,
                ..
            } => {
                let wasm = CosmosMsg::Wasm(WasmMsg::Execute {
                    contract_addr: self.addr(*contract).to_string(),
                    msg: Binary::from(msg.to_string().into_bytes()),
                    funds: funds.clone(),
                });
                let app = &mut self.d.app;
                catch_unwind(AssertUnwindSafe(|| {
                    app.execute(sender.clone(), wasm).map(Some)
                }))
            }
            Action::Migrate {
                contract,
                code,
                sender,
                msg,
            } => {
                let wasm = CosmosMsg::Wasm(WasmMsg::Migrate {
                    contract_addr: self.addr(*contract).to_string(),
                    new_code_id: self.codes[code],
                    msg: Binary::from(msg.to_string().into_bytes()),
                });
                let app = &mut self.d.app;
                catch_unwind(AssertUnwindSafe(|| {
                    app.execute(sender.clone(), wasm).map(Some)
                }))
            }
            Action::Query { contract, msg } => {
                let req: QueryRequest<cosmwasm_std::Empty> = QueryRequest::Wasm(WasmQuery::Smart {
                    contract_addr: self.addr(*contract).to_string(),
                    msg: Binary::from(msg.to_string().into_bytes()),
                });
                let app = &self.d.app;
                let r = catch_unwind(AssertUnwindSafe(|| app.wrap().query::<Value>(&req)));
                return match r {
                    Err(_) => Outcome::Panic(last_panic()),
                    Ok(Err(e)) => {
                        let e = e.to_string();
                        self.dict.add_numbers_in(&e, rng);
                        self.learn_from_error(&e);
                        Outcome::Refused(e)
                    }
                    Ok(Ok(v)) => {
                        harvest_value(&v, &mut self.dict, rng, &mut 0);
                        Outcome::Accepted
                    }
                };
            }
        };
        match result {
            Err(_) => Outcome::Panic(last_panic()),
            Ok(Err(e)) => {
                // The contract's own error (the chain of context around it
                // names the message and sender, already known).
                let e = e.root_cause().to_string();
                self.dict.add_numbers_in(&e, rng);
                self.learn_from_error(&e);
                Outcome::Refused(e)
            }
            Ok(Ok(res)) => {
                if let Some(res) = res {
                    self.account(&res, rng);
                }
                match self.check() {
                    Ok(()) => Outcome::Accepted,
                    Err(e) => Outcome::Invariant(e),
                }
            }
        }
    }

    /// Makes the numbers a refusal named hot, next to the current slots.
    fn learn_from_error(&mut self, e: &str) {
        let nums = crate::gen::numbers_in(e);
        if nums.is_empty() {
            return;
        }
        self.dict.hot.truncate(7);
        self.dict.hot.extend(nums.into_iter().take(6));
    }

    /// Learns from an accepted message's events: every attribute value goes
    /// into the dictionary, and AIP transferred or minted to settlement
    /// outside its hook counts as donated.
    fn account(&mut self, res: &AppResponse, rng: &mut Rng) {
        let token = self.d.token.as_str();
        let settlement = self.d.settlement.as_str();
        for ev in &res.events {
            let get = |k: &str| {
                ev.attributes
                    .iter()
                    .find(|a| a.key == k)
                    .map(|a| a.value.as_str())
            };
            if ev.ty == "wasm"
                && get("_contract_address") == Some(token)
                && matches!(get("action"), Some("transfer" | "transfer_from" | "mint"))
                && get("to") == Some(settlement)
            {
                if let Some(n) = get("amount").and_then(|a| a.parse::<u128>().ok()) {
                    self.donated += n;
                }
            }
            for a in &ev.attributes {
                if !a.key.starts_with('_') {
                    self.dict.add_str(&a.value, rng);
                    self.dict.add_keyed(&a.key, &a.value, rng);
                }
            }
        }
    }

    /// The holdings invariants:
    /// 1. the cw20 total supply equals the sum of every account's balance
    ///    (all accounts, enumerated by the token itself);
    /// 2. settlement's books add up (`total` is the sum of its parts, whatever
    ///    parts `Holdings` reports) and equal its AIP balance, less what was
    ///    donated to it outside its hook.
    pub fn check(&self) -> std::result::Result<(), String> {
        let q = self.d.app.wrap();
        let token = &self.d.token;
        let mut start_after = None;
        let mut sum = 0u128;
        loop {
            let page: cw20::AllAccountsResponse = q
                .query_wasm_smart(
                    token,
                    &cw20::Cw20QueryMsg::AllAccounts {
                        start_after: start_after.clone(),
                        limit: Some(30),
                    },
                )
                .map_err(|e| format!("all_accounts: {e}"))?;
            if page.accounts.is_empty() {
                break;
            }
            for a in &page.accounts {
                let b: cw20::BalanceResponse = q
                    .query_wasm_smart(token, &cw20::Cw20QueryMsg::Balance { address: a.clone() })
                    .map_err(|e| format!("balance: {e}"))?;
                sum = sum
                    .checked_add(b.balance.u128())
                    .ok_or("balances overflow u128")?;
            }
            start_after = page.accounts.last().cloned();
        }
        let supply = self.d.total_supply().map_err(|e| e.to_string())?;
        if supply != sum {
            return Err(format!(
                "cw20 total supply {supply} != sum of all balances {sum}"
            ));
        }
        let h: Value = q
            .query_wasm_smart(&self.d.settlement, &serde_json::json!({"holdings": {}}))
            .map_err(|e| format!("holdings: {e}"))?;
        let obj = h.as_object().ok_or("holdings is not an object")?;
        let amount = |v: &Value| v.as_str().and_then(|s| s.parse::<u128>().ok());
        let total = obj
            .get("total")
            .and_then(amount)
            .ok_or("holdings has no total")?;
        let parts: u128 = obj
            .iter()
            .filter(|(k, _)| k.as_str() != "total")
            .filter_map(|(_, v)| amount(v))
            .sum();
        if parts != total {
            return Err(format!(
                "settlement holdings {h}: parts sum to {parts}, not the total"
            ));
        }
        let held = self
            .d
            .balance(&self.d.settlement)
            .map_err(|e| e.to_string())?;
        if held != total + self.donated {
            return Err(format!(
                "settlement holds {held} uaip but its books say {total} (+{} donated)",
                self.donated
            ));
        }
        Ok(())
    }
}

fn last_panic() -> String {
    LAST_PANIC
        .with(|p| p.borrow_mut().take())
        .unwrap_or_else(|| "panic (no message)".into())
}

/// Adds the scalars of a query response to the dictionary (at most 64).
fn harvest_value(v: &Value, dict: &mut Dict, rng: &mut Rng, n: &mut usize) {
    if *n >= 64 {
        return;
    }
    match v {
        Value::String(s) => {
            *n += 1;
            dict.add_str(s, rng)
        }
        Value::Number(x) => {
            *n += 1;
            if let Some(u) = x.as_u64() {
                dict.add_int(u128::from(u), rng)
            }
        }
        Value::Array(a) => a.iter().for_each(|x| harvest_value(x, dict, rng, n)),
        Value::Object(o) => {
            for (k, x) in o {
                match x {
                    Value::String(s) => dict.add_keyed(k, s, rng),
                    Value::Number(num) => dict.add_keyed(k, &num.to_string(), rng),
                    _ => {}
                }
                harvest_value(x, dict, rng, n);
            }
        }
        _ => {}
    }
}
