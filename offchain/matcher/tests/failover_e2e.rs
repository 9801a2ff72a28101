//! Two matcher agents at once (active and standby) against one gateway and
//! one settlement contract, on a real wasmd network (the real .wasm), behind
//! the `e2e` feature:
//!
//! ```sh
//! # the 4-validator network (what ci/test.sh runs it on)
//! ci/build-wasm.sh && ci/localnet-multi.sh start --fresh
//! eval "$(ci/localnet-multi.sh env | sed 's/^/export /')"
//! cargo test -p aip-matcher --features e2e --test failover_e2e -- --nocapture
//! # or the single-validator localnet
//! ci/localnet.sh start && cargo test -p aip-matcher --features e2e --test failover_e2e
//! ```
//!
//! With `AIP_RPC_URLS` set (the 4-validator network) each agent talks to its
//! own validator (agent A to the first endpoint, B to the second) and the test
//! clock is moved with `ci/localnet-multi.sh advance`; else both use
//! `AIP_RPC_URL` and `ci/localnet.sh advance`.
//!
//! Eight households (four sellers, four buyers, one zone, Cosmos and Ethereum
//! keys) deposit AIP and post one signed intent per slot for five slots to the
//! real gateway (library server on loopback, SQLite, balances from the
//! chain). Two `aip-matcher run --gateway` processes run with the same matcher
//! key. For each slot the test moves chain time to gate closure and waits for
//! the commit; then it counts the slot's `commit_intents` transactions on
//! chain (CometBFT `tx_search` on the contract's events): exactly one per
//! slot, whichever agent won. At the third slot's gate closure the agent that
//! committed the second slot is killed with SIGKILL (mid-cycle: it may or may
//! not have broadcast): the third slot is still committed exactly once, and
//! the survivor commits the fourth and fifth (its own log says so). Nothing
//! acknowledged is lost: every intent the gateway acknowledged is filled in
//! full on chain (the slot's trades; a one-slot intent keeps no fill record). Then every slot is
//! delivered and settled and the token audit holds (every account's AIP +
//! settlement's holdings = supply; each household's free balance = deposit −
//! payments + payouts).
#![cfg(feature = "e2e")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aip_cli::deploy::{deploy, DeployOptions, MarketParams};
use aip_cli::market::{self, DeviceKey};
use aip_matcher::http;
use aip_testing::localnet::{
    addr, advance, as_account, chain, endpoints, household_signer, meter_seed, onboard,
    one_zone_grid, root, token_audit, trades_of, Agent, LocalGateway, Log, NewHousehold,
};
use aip_types::intent::sign::IntentKey;
use aip_types::intent::{OrderIntent, Side as IntentSide};
use aip_types::{payment, SlotId};
use chain_client::{ChainClient, ChainConfig, Signer};
use cosmwasm_std::Uint128;
use serde_json::Value;
use settlement::msg::{
    BalanceResponse, ExecuteMsg, IntentFillResponse, QueryMsg, SlotStatusResponse, TradeResponse,
};

/// Each household's deposit, uaip (10 AIP).
const DEPOSIT: u128 = 10_000_000;
/// Households: the first half sell, the second half buy.
const HOUSEHOLDS: usize = 8;
/// Delivery slots run through both agents.
const SLOTS: usize = 5;
/// The slot (0-based) at whose gate closure the active agent is killed.
const KILL_AT: usize = 2;
/// Longest wait for one slot's commit.
const COMMIT_TIMEOUT: Duration = Duration::from_secs(90);

/// A household: its key (intents and transactions), meter and role.
struct Household {
    label: String,
    key: IntentKey,
    address: String,
    sells: bool,
    eth: bool,
    meter: u32,
}

impl Household {
    fn signer(&self) -> Signer {
        household_signer(&self.label)
    }
    /// Its intent's energy in slot `k`: buyer `j` wants what seller `j` offers,
    /// so every intent fills in full.
    fn wh(&self, index: usize, k: usize) -> u64 {
        let pair = index % (HOUSEHOLDS / 2);
        1_000 + 100 * pair as u64 + 10 * k as u64
    }
}

/// One matcher agent process (`aip_testing::localnet::Agent`) and its name.
struct AgentProc {
    name: &'static str,
    agent: Agent,
}

impl AgentProc {
    fn spawn(name: &'static str, deployment: &Path, rpc: &str, gateway: &str, dir: &Path) -> Self {
        let log = dir.join(format!("matcher-{name}.log"));
        let args: Vec<&OsStr> = vec![
            "run".as_ref(),
            "--deployment".as_ref(),
            deployment.as_os_str(),
            "--key".as_ref(),
            "matcher".as_ref(),
            "--rpc".as_ref(),
            rpc.as_ref(),
            "--gateway".as_ref(),
            gateway.as_ref(),
            "--poll-secs".as_ref(),
            "1".as_ref(),
        ];
        let agent = Agent::spawn(env!("CARGO_BIN_EXE_aip-matcher"), args, &log, Log::Fresh);
        AgentProc { name, agent }
    }

    /// The log lines with `what` and `slot=SLOT`.
    fn lines(&self, what: &str, slot: u64) -> Vec<String> {
        let tag = format!("slot={slot}");
        self.agent
            .log()
            .lines()
            .filter(|l| l.contains(what) && l.split_whitespace().any(|w| w == tag))
            .map(str::to_string)
            .collect()
    }

    /// The transaction hashes this agent's log says committed `slot`.
    fn committed(&self, slot: u64) -> Vec<String> {
        self.lines("committed intents", slot)
            .iter()
            .filter_map(|l| {
                let at = l.find("tx=")?;
                Some(l[at + 3..].split_whitespace().next()?.to_string())
            })
            .collect()
    }
}

/// Successful `commit_intents` transactions of `contract` for `slot`, from
/// CometBFT's transaction index on `rpc`.
fn commit_txs(rpc: &str, contract: &str, slot: u64) -> Vec<String> {
    let query = format!(
        "\"wasm._contract_address='{contract}' AND wasm.action='commit_intents' AND wasm.slot='{slot}'\""
    );
    let enc: String = query
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'_' | b'-' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let url = format!("{rpc}/tx_search?query={enc}&per_page=100");
    let (status, text) = http::request("GET", &url, None).unwrap();
    assert_eq!(status, 200, "{url}: {text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    let txs = v["result"]["txs"].as_array().cloned().unwrap_or_default();
    txs.iter()
        .filter(|t| t["tx_result"]["code"].as_u64() == Some(0))
        .map(|t| t["hash"].as_str().unwrap_or_default().to_string())
        .collect()
}

async fn slot_status(c: &ChainClient, settlement: &str, slot: u64) -> SlotStatusResponse {
    c.query(settlement, &QueryMsg::SlotStatus { slot: SlotId(slot) })
        .await
        .unwrap()
}

#[test]
fn two_matcher_agents_commit_each_slot_once_and_the_standby_takes_over() {
    let out = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
        .join(format!(
            "e2e-failover-deployment-{}.json",
            std::process::id()
        ));
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let started = Instant::now();
        let rpcs = endpoints();
        eprintln!("network: {} endpoint(s) {rpcs:?}", rpcs.len());
        let admin = as_account("validator").await;
        let params = MarketParams {
            delivery_deadline_secs: 4 * 3_600,
            ..MarketParams::default()
        };
        let balances = vec![(addr("alice"), 1_000_000_000_000)];
        let opts = DeployOptions::localnet(root().join("artifacts"), out.clone(), balances, params.clone())
            .unwrap();
        let d = deploy(&admin, &opts).await.expect("deploy").deployment;
        let settlement = d.address("settlement").unwrap().to_string();
        let token = d.address("aip-token").unwrap().to_string();
        let mo = d.address("meter-oracle").unwrap().to_string();
        let rep = d.address("reputation").unwrap().to_string();
        let (alice, oracle) = (as_account("alice").await, as_account("oracle").await);

        // One zone, node 1.
        one_zone_grid(&settlement, 1).await;

        // Households: gas, AIP, reputation token, meter, deposit.
        let mut hh: Vec<Household> = (0..HOUSEHOLDS)
            .map(|i| {
                let label = format!("failover e2e household {i}");
                let key = IntentKey::from_label(&label);
                let address = key.address("wasm");
                Household { label, key, address, sells: i < HOUSEHOLDS / 2, eth: i % 2 == 1, meter: 0 }
            })
            .collect();
        let new: Vec<NewHousehold> = hh
            .iter()
            .map(|h| NewHousehold { label: h.label.clone(), node: 1, aip: DEPOSIT })
            .collect();
        let meters = onboard(&new, &token, &rep, &mo, 50_000_000, HOUSEHOLDS, |_| {}).await;
        let mut devices = HashMap::new();
        for (h, meter) in hh.iter_mut().zip(meters) {
            h.meter = meter;
            devices.insert(meter, DeviceKey::from_seed(meter_seed(&h.label)));
        }
        let base = chain().await;
        let mut set = tokio::task::JoinSet::new();
        for h in &hh {
            let c = base.with_signer(h.signer());
            let call = market::deposit(&d, DEPOSIT).unwrap();
            set.spawn(async move { c.execute_multi(vec![call]).await.map(|_| ()) });
        }
        while let Some(r) = set.join_next().await {
            r.unwrap().expect("deposit");
        }

        // The gateway: library server on loopback, its clock the chain's.
        let cfg = gateway::Config {
            listen: "127.0.0.1:0".into(),
            database: dir.path().join("gateway.sqlite"),
            contract: settlement.clone(),
            gate_closure_seconds: params.gate_closure_secs,
            freeze_interval_ms: 200,
            balance: gateway::BalanceConfig::Chain,
            chain: ChainConfig::from_env(),
            ..gateway::Config::default()
        };
        let balance = LocalGateway::chain_balance(&settlement).await;
        let gateway = LocalGateway::start(cfg.clone(), balance).await;
        let url = gateway.url.clone();

        // Every household signs one intent per slot (nonce = slot index + 1);
        // all are posted now and each must be acknowledged (201).
        let (_, now) = alice.latest_block().await.unwrap();
        let first = market::next_open_slot(now as u64, params.gate_closure_secs, 120);
        let slots: Vec<u64> = (0..SLOTS).map(|k| first + 900 * k as u64).collect();
        let mut acknowledged: Vec<(usize, usize, String)> = vec![]; // (household, slot index, hash)
        let mut bodies = vec![];
        for (k, &slot) in slots.iter().enumerate() {
            for (i, h) in hh.iter().enumerate() {
                let intent = OrderIntent {
                    chain_id: d.chain_id.clone(),
                    contract: settlement.clone(),
                    owner: h.address.clone(),
                    nonce: k as u64 + 1,
                    slot_from: slot,
                    slot_until: slot + 900,
                    side: if h.sells { IntentSide::Sell } else { IntentSide::Buy },
                    meter: h.meter,
                    wh: h.wh(i, k),
                    limit_price: if h.sells { 150_000 } else { 250_000 },
                    premium_only: false,
                    expires: slot + 900,
                };
                let signed = if h.eth { h.key.sign_eth(&intent) } else { h.key.sign_cosmos(&intent) };
                bodies.push((i, k, hex::encode(intent.hash()), serde_json::to_string(&signed).unwrap()));
            }
        }
        let posts = url.clone();
        let answers = tokio::task::spawn_blocking(move || {
            bodies
                .into_iter()
                .map(|(i, k, hash, b)| (i, k, hash, http::request("POST", &format!("{posts}/v1/intents"), Some(&b)).unwrap()))
                .collect::<Vec<_>>()
        })
        .await
        .unwrap();
        for (i, k, hash, (status, body)) in answers {
            assert_eq!(status, 201, "household {i} slot {k}: {body}");
            acknowledged.push((i, k, hash));
        }

        // Two agents, the same matcher key, each on its own endpoint.
        let a = AgentProc::spawn("a", &out, &rpcs[0], &url, dir.path());
        let b = AgentProc::spawn("b", &out, &rpcs[1 % rpcs.len()], &url, dir.path());
        let mut agents = vec![a, b];
        let mut killed: Option<&'static str> = None;
        let mut commit_times = vec![];

        for (k, &slot) in slots.iter().enumerate() {
            let (_, now) = alice.latest_block().await.unwrap();
            advance((slot - params.gate_closure_secs).saturating_sub(now as u64) + 2);
            let gate = Instant::now();
            if k == KILL_AT {
                // SIGKILL the agent that committed the previous slot in the
                // middle of this slot's cycle: once it has cleared the frozen
                // book, before its commit is included.
                let prev = slots[k - 1];
                let active = agents.iter().position(|p| !p.committed(prev).is_empty()).expect("an agent committed the previous slot");
                let until = Instant::now() + COMMIT_TIMEOUT;
                while agents[active].lines("cleared the gateway's frozen book", slot).is_empty() {
                    assert!(Instant::now() < until, "agent {} never cleared slot {slot}", agents[active].name);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                agents[active].agent.kill();
                killed = Some(agents[active].name);
                let st = slot_status(&alice, &settlement, slot).await;
                eprintln!(
                    "slot {k}: SIGKILL agent {} {:?} after gate closure, after it cleared the book; its log shows a commit: {}; trades on chain then: {}",
                    agents[active].name,
                    gate.elapsed(),
                    !agents[active].committed(slot).is_empty(),
                    st.trades
                );
            }
            let deadline = Instant::now() + COMMIT_TIMEOUT;
            loop {
                let st = slot_status(&alice, &settlement, slot).await;
                if st.trades > 0 {
                    break;
                }
                assert!(Instant::now() < deadline, "slot {k} ({slot}) not committed within {COMMIT_TIMEOUT:?}: {st:?}");
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            commit_times.push(gate.elapsed());
            // Give the loser its full cycle (its commit is refused or it finds
            // the slot committed), then count the slot's commits on chain.
            tokio::time::sleep(Duration::from_secs(4)).await;
            let txs = commit_txs(&rpcs[0], &settlement, slot);
            assert_eq!(txs.len(), 1, "slot {k} ({slot}): commit_intents transactions {txs:?}");
            // Nothing acknowledged is lost: every intent of the slot is filled in full.
            let trades = trades_of(&alice, &settlement, slot).await;
            assert!(trades.iter().all(|t| t.intents));
            for (i, h) in hh.iter().enumerate() {
                let nonce = k as u64 + 1;
                let mine: u128 = trades
                    .iter()
                    .filter(|t| if h.sells { t.seller == h.address && t.offer == nonce } else { t.buyer == h.address && t.bid == nonce })
                    .map(|t| t.wh.u128())
                    .sum();
                assert_eq!(mine, u128::from(h.wh(i, k)), "household {i} slot {k}");
                let fill: IntentFillResponse = alice
                    .query(&settlement, &QueryMsg::IntentFill { owner: h.address.clone(), nonce })
                    .await
                    .unwrap();
                // One-slot intents keep no fill record after their slot's
                // commit (`rules::fill_needs_record`); the trades above are
                // the fill.
                assert_eq!((fill.filled, fill.hash_prefix.as_deref()), (0, None), "household {i} slot {k}: {fill:?}");
            }
            // Each agent that reports a commit names the one transaction on
            // chain: with one key, one sequence and one message, both sign the
            // same bytes, so a double broadcast is one transaction.
            let who: Vec<&str> = agents.iter().filter(|p| !p.committed(slot).is_empty()).map(|p| p.name).collect();
            // At the kill slot the killed agent may have broadcast and died
            // before logging it, and the survivor then finds the slot
            // committed: the one transaction on chain (`txs`) is the check.
            assert!(!who.is_empty() || k == KILL_AT, "slot {k}: no agent logged its commit");
            for p in &agents {
                for tx in p.committed(slot) {
                    assert_eq!(vec![tx.clone()], txs, "slot {k}: agent {} logged {tx}", p.name);
                }
            }
            eprintln!("slot {k} ({slot}): {} trades, commit logged by {who:?}, {:?} after gate closure, tx {txs:?}", trades.len(), commit_times[k]);
            if k > KILL_AT {
                // The survivor commits the slots after the kill.
                let survivor = agents.iter().find(|p| Some(p.name) != killed).unwrap();
                assert_eq!(who, vec![survivor.name], "slot {k}");
            }
        }
        let killed = killed.unwrap();
        for p in agents.iter_mut() {
            if p.name != killed {
                assert!(p.agent.alive(), "the standby {} exited: {}", p.name, p.agent.log());
            }
        }
        // Every acknowledged intent was for one of the slots and is filled.
        assert_eq!(acknowledged.len(), SLOTS * HOUSEHOLDS);
        drop(agents);

        // Delivery and settlement of every slot: the sellers' meters report
        // what they sold (device-signed), then fetch, dispute window, settle.
        let (_, now) = alice.latest_block().await.unwrap();
        advance((slots[SLOTS - 1] + 900).saturating_sub(now as u64) + 2);
        let mut all_trades = vec![];
        for &slot in &slots {
            let trades = trades_of(&alice, &settlement, slot).await;
            let mut sold: BTreeMap<u32, u128> = BTreeMap::new();
            for t in &trades {
                *sold.entry(t.meter).or_default() += t.wh.u128();
            }
            let readings: Vec<meter_oracle::msg::SignedReading> = sold
                .iter()
                .map(|(m, w)| serde_json::from_value(devices[m].reading(&d, *m, slot, *w, 0).unwrap()).unwrap())
                .collect();
            oracle
                .execute(&mo, &meter_oracle::msg::ExecuteMsg::SubmitReadings { slot: SlotId(slot), readings }, &[])
                .await
                .unwrap();
            alice
                .execute(&settlement, &ExecuteMsg::FetchDeliveries { slot: SlotId(slot), limit: Some(500) }, &[])
                .await
                .unwrap();
            all_trades.extend(trades);
        }
        let latest = {
            let mut m = 0;
            for &slot in &slots {
                m = m.max(slot_status(&alice, &settlement, slot).await.settle_from.expect("data final"));
            }
            m
        };
        let (_, now) = alice.latest_block().await.unwrap();
        advance(latest.saturating_sub(now as u64) + 2);
        for &slot in &slots {
            alice
                .execute(&settlement, &ExecuteMsg::Settle { slot: SlotId(slot), limit: Some(500) }, &[])
                .await
                .unwrap();
            assert!(slot_status(&alice, &settlement, slot).await.fully_settled, "slot {slot}");
        }

        // The audit: free balances recomputed from the trades (one zone: no
        // losses, no corridor fee), holdings, supply.
        let mut expected: HashMap<String, u128> = hh.iter().map(|h| (h.address.clone(), DEPOSIT)).collect();
        for t in trades_of_all(&alice, &settlement, &slots).await {
            let s = t.settlement.as_ref().expect("settled");
            let pay = payment(t.wh, t.price).unwrap();
            assert_eq!((s.delivered_wh, s.seller_paid, s.penalty), (t.wh, pay, Uint128::zero()), "trade {}", t.id);
            *expected.get_mut(&t.buyer).unwrap() -= (pay + t.fee).u128();
            *expected.get_mut(&t.seller).unwrap() += pay.u128();
        }
        let mut free_total = 0u128;
        for h in &hh {
            let bal: BalanceResponse = alice.query(&settlement, &QueryMsg::Balance { account: h.address.clone() }).await.unwrap();
            assert_eq!((bal.free.u128(), bal.locked), (expected[&h.address], Uint128::zero()), "{}", h.address);
            free_total += bal.free.u128();
        }
        let treasury: BalanceResponse = alice.query(&settlement, &QueryMsg::Balance { account: addr("validator") }).await.unwrap();
        let audit = token_audit(&alice, &token, &settlement).await;
        assert_eq!(audit.holdings.total.u128(), audit.settlement_balance);
        assert_eq!(audit.holdings.claimable.u128(), free_total + treasury.free.u128());
        assert_eq!(audit.holdings.trades, Uint128::zero());
        assert_eq!(audit.others + audit.holdings.total.u128(), audit.supply);
        assert_eq!(all_trades.len(), trades_of_all(&alice, &settlement, &slots).await.len());
        eprintln!(
            "FAILOVER network_endpoints={} slots={SLOTS} killed={killed} commit_after_gate_s={:?} whole_run={:?}",
            rpcs.len(),
            commit_times.iter().map(|t| (t.as_secs_f64() * 10.0).round() / 10.0).collect::<Vec<_>>(),
            started.elapsed()
        );
        gateway.stop().await;
    });
    let _ = std::fs::remove_file(&out);
}

async fn trades_of_all(c: &ChainClient, settlement: &str, slots: &[u64]) -> Vec<TradeResponse> {
    let mut all = vec![];
    for &s in slots {
        all.extend(trades_of(c, settlement, s).await);
    }
    all
}
