//! Signed intents end to end on the real localnet (wasmd, the real .wasm),
//! behind the `e2e` feature:
//!
//! ```sh
//! ci/build-wasm.sh && ci/localnet.sh start
//! cargo test -p aip-matcher --features e2e --test intents_e2e -- --nocapture
//! ```
//!
//! The gateway listens on `AIP_GATEWAY_PORT` (default: any free loopback port).
//!
//! `AIP_E2E_HOUSEHOLDS` households (default 100): half sell, half buy; even
//! ones sign with Cosmos keys (ADR-036), odd ones with Ethereum keys
//! (EIP-712). Each gets gas and AIP, a reputation token and a meter with an
//! ed25519 device key (real meter-oracle), deposits AIP into settlement
//! (a cw20 `Send` with `deposit`) and posts one signed intent to the real
//! gateway (its library server on loopback, SQLite, balances from the
//! chain). A forged intent is refused with 401 and stored nowhere. One seller
//! deposits too little for its collateral and one names another household's
//! meter: the gateway accepts both (it checks neither), the matcher skips
//! both with the contract's reason. At gate closure the gateway freezes the
//! book; the online matcher commits it with one `CommitIntents`; a second
//! cycle commits nothing. `verify-slot` re-runs the clearing against the
//! trades on chain. After the slot the sellers' meters report their
//! contracted energy (device-signed readings through the meter-oracle),
//! settlement fetches the deliveries and, after the dispute window, settles.
//! Then the token audit: every account's AIP plus what settlement holds
//! equals the supply; settlement's holdings equal its AIP; each household's
//! free balance equals its deposit − payments and fees + payouts recomputed
//! from the trades (`aip_types::payment`, the corridor's loss and fee).
//! Then two more slots: a seller whose deposit is exactly its collateral,
//! split over two buyers, makes the contract refuse the second trade (per-trade
//! rounding), which the agent drops before committing again; and with
//! `max_batch` lowered to 2, three planned trades commit as the best two.
//! The gas of the deposit, `CommitIntents`, `FetchDeliveries` and `Settle`
//! transactions is printed (`GAS ...` lines; `docs/benchmarks.md`).
#![cfg(feature = "e2e")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Duration;

use aip_cli::deploy::{deploy, DeployOptions, MarketParams};
use aip_cli::market::{self, DeviceKey};
use aip_matcher::http;
use aip_matcher::online::{Agent, CycleOutcome, Deployment};
use aip_matcher::verify::{self, FrozenBook};
use aip_matcher::Method;
use aip_testing::localnet::{
    addr, advance, as_account, chain, household_signer, meter_seed, onboard as onboard_households,
    root, token_audit, trades_of, LocalGateway, NewHousehold,
};
use aip_types::intent::sign::IntentKey;
use aip_types::intent::{IntentDomain, OrderIntent, Side as IntentSide, SignedIntent};
use aip_types::{net_of_loss, payment, SlotId};
use chain_client::{ChainClient, ChainConfig, Execute, Signer};
use cosmwasm_std::Uint128;
use serde_json::Value;
use settlement::msg::{
    BalanceResponse, Corridor, ExecuteMsg, NodeZone, QueryMsg, SlotStatusResponse, Zone,
};

/// The gateway's port: `AIP_GATEWAY_PORT`, else any free loopback port.
fn gateway_port() -> u16 {
    std::env::var("AIP_GATEWAY_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(0)
}
/// Each household's deposit, uaip (10 AIP).
const DEPOSIT: u128 = 10_000_000;
/// The underfunded seller's deposit, uaip.
const POOR_DEPOSIT: u128 = 1;
/// Corridor terms between the two zones, both ways.
const LOSS_BPS: u32 = 100;
const FEE: u128 = 10;

/// A household: its key (intents and transactions), meter and role.
struct Household {
    label: String,
    key: IntentKey,
    address: String,
    sells: bool,
    eth: bool,
    meter: u32,
    node: u32,
    deposit: u128,
}

impl Household {
    fn signer(&self) -> Signer {
        household_signer(&self.label)
    }

    fn side(&self) -> IntentSide {
        if self.sells {
            IntentSide::Sell
        } else {
            IntentSide::Buy
        }
    }
}

fn post(url: &str, body: &str) -> (u16, Value) {
    let (status, text) = http::request("POST", url, Some(body)).unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn get(url: &str) -> (u16, Value) {
    let (status, text) = http::request("GET", url, None).unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// The contracts and the accounts that set a household up.
struct Market {
    alice: ChainClient,
    base: ChainClient,
    settlement: String,
    token: String,
    rep: String,
    mo: String,
    /// the deployment file's contents (`aip_cli::market` builds calls from it)
    deployment: Deployment,
}

/// Gas coins, AIP, reputation tokens and meters (batches of 50,
/// `aip_testing::localnet::onboard`), then every household deposits its AIP with one cw20 `Send` (its
/// own key, in parallel). Returns the deposits' gas and the meters' device keys.
async fn onboard(m: &Market, hh: &mut [Household]) -> (Vec<u64>, HashMap<u32, DeviceKey>) {
    let Market {
        alice,
        base,
        settlement,
        token,
        rep,
        mo,
        deployment,
    } = m;
    // Gas coins, AIP, reputation tokens and meters, batches of 50.
    let new: Vec<NewHousehold> = hh
        .iter()
        .map(|h| NewHousehold {
            label: h.label.clone(),
            node: h.node,
            aip: h.deposit,
        })
        .collect();
    let meters = onboard_households(&new, token, rep, mo, 50_000_000, 50, |_| {}).await;
    let mut devices = HashMap::new();
    for (h, meter) in hh.iter_mut().zip(meters) {
        h.meter = meter;
        devices.insert(meter, DeviceKey::from_seed(meter_seed(&h.label)));
    }

    // Every household deposits its AIP with one cw20 Send (its own key, in parallel).
    let mut deposit_gas = vec![];
    for chunk in hh.chunks(25) {
        let mut set = tokio::task::JoinSet::new();
        for h in chunk {
            let c = base.with_signer(h.signer());
            let call = market::deposit(deployment, h.deposit).unwrap();
            set.spawn(async move { c.execute_multi(vec![call]).await.map(|tx| tx.gas_used) });
        }
        while let Some(r) = set.join_next().await {
            deposit_gas.push(r.unwrap().expect("deposit"));
        }
    }
    for h in hh.iter() {
        let b: BalanceResponse = alice
            .query(
                settlement,
                &QueryMsg::Balance {
                    account: h.address.clone(),
                },
            )
            .await
            .unwrap();
        assert_eq!(b.free.u128(), h.deposit, "{}", h.address);
    }
    (deposit_gas, devices)
}

/// The JSON a wallet posts: `h`'s intent for one slot (`slot` to its end,
/// expiring then) on its meter, signed with its key (EIP-712 or ADR-036).
fn intent_body(
    h: &Household,
    (chain_id, contract): (&str, &str),
    nonce: u64,
    slot: u64,
    wh: u64,
    limit_price: u64,
) -> String {
    let domain = IntentDomain {
        chain_id: chain_id.to_string(),
        contract: contract.to_string(),
    };
    let i = OrderIntent {
        nonce,
        meter: h.meter,
        wh,
        limit_price,
        ..OrderIntent::for_slot(&domain, &h.address, slot, h.side())
    };
    serde_json::to_string(&if h.eth {
        h.key.sign_eth(&i)
    } else {
        h.key.sign_cosmos(&i)
    })
    .unwrap()
}

/// Posts every body to the gateway; each must be accepted (201).
async fn post_all(url: &str, bodies: Vec<String>) {
    let posts = url.to_string();
    let answers = tokio::task::spawn_blocking(move || {
        bodies
            .iter()
            .map(|b| post(&format!("{posts}/v1/intents"), b))
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    assert!(
        answers.iter().all(|(status, _)| *status == 201),
        "{answers:?}"
    );
}

/// Moves the chain past `slot`'s gate closure and runs the agent's cycle
/// for it, again while the gateway's book is not frozen yet.
async fn cycle_at_gate(
    agent: &Agent,
    chain: &ChainClient,
    slot: u64,
    gate_closure_secs: u64,
) -> CycleOutcome {
    let (_, now) = chain.latest_block().await.unwrap();
    advance(slot - gate_closure_secs - now as u64 + 2);
    let mut outcome = agent.cycle(slot).await.unwrap();
    for _ in 0..50 {
        if outcome != CycleOutcome::BookNotFrozen {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        outcome = agent.cycle(slot).await.unwrap();
    }
    outcome
}

#[test]
fn households_trade_a_slot_from_signed_intents_through_the_gateway_and_settle() {
    let n: usize = std::env::var("AIP_E2E_HOUSEHOLDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100);
    assert!(n >= 6, "AIP_E2E_HOUSEHOLDS must be at least 6");
    let out = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
        .join(format!(
            "e2e-intents-deployment-{}.json",
            std::process::id()
        ));
    let _ = std::fs::remove_file(&out);
    let db = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let started = std::time::Instant::now();
        let admin = as_account("validator").await;
        let params = MarketParams::default();
        let balances = vec![(addr("alice"), 1_000_000_000_000)];
        let opts = DeployOptions::localnet(root().join("artifacts"), out.clone(), balances, params.clone())
            .unwrap();
        let d = deploy(&admin, &opts).await.expect("deploy").deployment;
        let settlement = d.address("settlement").unwrap().to_string();
        let token = d.address("aip-token").unwrap().to_string();
        let mo = d.address("meter-oracle").unwrap().to_string();
        let rep = d.address("reputation").unwrap().to_string();
        let (dso, alice, oracle) = (
            as_account("dso").await,
            as_account("alice").await,
            as_account("oracle").await,
        );

        // Two zones joined both ways; node 1 in zone 1, node 2 in zone 2.
        let mut grid = vec![];
        for (id, name) in [(1, "feeder A"), (2, "feeder B")] {
            grid.push(Execute::new(&settlement, &ExecuteMsg::UpsertZone { zone: Zone { id, name: name.into() } }, &[]).unwrap());
        }
        for (from_zone, to_zone) in [(1, 2), (2, 1)] {
            let corridor = Corridor {
                from_zone,
                to_zone,
                capacity_wh: Uint128::new(10_000_000),
                loss_bps: LOSS_BPS,
                fee_per_kwh: Uint128::new(FEE),
            };
            grid.push(Execute::new(&settlement, &ExecuteMsg::SetCorridor { corridor }, &[]).unwrap());
        }
        let nodes = vec![NodeZone { node: 1, zone: 1 }, NodeZone { node: 2, zone: 2 }];
        grid.push(Execute::new(&settlement, &ExecuteMsg::SetNodeZones { nodes }, &[]).unwrap());
        dso.execute_multi(grid).await.unwrap();

        // The households: sellers first, then buyers; even ones sign with Cosmos keys.
        let mut hh: Vec<Household> = (0..n)
            .map(|i| {
                let label = format!("intents e2e household {i}");
                let key = IntentKey::from_label(&label);
                let address = key.address("wasm");
                Household {
                    label,
                    key,
                    address,
                    sells: i < n / 2,
                    eth: i % 2 == 1,
                    meter: 0,
                    node: 1 + (i as u32 * 7 % 2),
                    deposit: DEPOSIT,
                }
            })
            .collect();
        let poor = n / 2 - 1; // a seller that deposits too little for its collateral
        let borrower = n / 2 - 2; // a seller naming another household's meter
        hh[poor].deposit = POOR_DEPOSIT;

        let market = Market {
            alice: alice.clone(),
            base: chain().await,
            settlement: settlement.clone(),
            token: token.clone(),
            rep: rep.clone(),
            mo: mo.clone(),
            deployment: d.clone(),
        };
        let (mut deposit_gas, devices) = onboard(&market, &mut hh).await;
        eprintln!("setup of {n} households: {:?}", started.elapsed());

        // The gateway: the library server on loopback, SQLite, balances from the
        // chain, its clock the chain's (system time + the test clock's offset).
        let cfg = gateway::Config {
            listen: format!("127.0.0.1:{}", gateway_port()),
            database: db.path().join("gateway.sqlite"),
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

        // Every household signs one intent for the next open slot and posts it.
        let (_, now) = alice.latest_block().await.unwrap();
        let slot = market::next_open_slot(now as u64, params.gate_closure_secs, 120);
        let domain = IntentDomain {
            chain_id: d.chain_id.clone(),
            contract: settlement.clone(),
        };
        let intent_of = |i: usize, h: &Household| OrderIntent {
            nonce: 1,
            meter: if i == borrower { hh[0].meter } else { h.meter },
            // The underfunded seller's offer is the dearest; verify-slot
            // leaves it out of its re-run because the agent's screening
            // record lists it (and the chain confirms why).
            wh: if h.sells { 1_500 } else { 1_000 } + (i as u64 * 337) % 2_000,
            limit_price: match (h.sells, i == poor) {
                (true, true) => 199_000,
                (true, false) => 150_000 + (i as u64 % 20) * 2_000,
                (false, _) => 240_000 + (i as u64 % 30) * 2_000,
            },
            ..OrderIntent::for_slot(&domain, &h.address, slot, h.side())
        };
        let signed: Vec<SignedIntent> = hh
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let intent = intent_of(i, h);
                if h.eth { h.key.sign_eth(&intent) } else { h.key.sign_cosmos(&intent) }
            })
            .collect();
        let posts = url.clone();
        let bodies: Vec<String> = signed.iter().map(|s| serde_json::to_string(s).unwrap()).collect();
        let answers = tokio::task::spawn_blocking(move || {
            bodies.iter().map(|b| post(&format!("{posts}/v1/intents"), b)).collect::<Vec<_>>()
        })
        .await
        .unwrap();
        for (i, (status, body)) in answers.iter().enumerate() {
            assert_eq!(*status, 201, "household {i}: {body}");
            assert_eq!(body["hash"], hex::encode(signed[i].intent.hash()));
        }

        // A forged intent (the quantity changed after signing) is refused with
        // 401 and stored nowhere.
        let mut forged = signed[n - 1].clone();
        forged.intent.wh += 1;
        forged.intent.nonce = 2;
        let gets = url.clone();
        let forged_hash = hex::encode(forged.intent.hash());
        let body = serde_json::to_string(&forged).unwrap();
        let (refused, lookup, health) = tokio::task::spawn_blocking(move || {
            (
                post(&format!("{gets}/v1/intents"), &body),
                get(&format!("{gets}/v1/intents/{forged_hash}")),
                get(&format!("{gets}/health")),
            )
        })
        .await
        .unwrap();
        assert_eq!(refused.0, 401, "{}", refused.1);
        assert_eq!(refused.1["error"], "bad_signature");
        assert_eq!(refused.1["reason"], format!("the {} signature does not verify for this intent", if hh[n - 1].eth { "eth_eip712" } else { "cosmos_adr036" }));
        assert_eq!(lookup.0, 404, "{}", lookup.1);
        assert_eq!(lookup.1["error"], "unknown_intent");
        assert_eq!(health.1["intents"], n as u64, "{}", health.1);

        // The agent: only the matcher role may run it; nothing before the
        // gate; at gate closure one CommitIntents.
        let file = Deployment::load(&out).unwrap();
        let err = Agent::new(as_account("alice").await, &file, Method::Auto).await.err().unwrap();
        assert_eq!(
            err.to_string(),
            format!("signer {} is not the settlement contract's matcher ({})", addr("alice"), addr("matcher"))
        );
        let publish_dir = out.with_file_name(format!("screening-e2e-{}", std::process::id()));
        let agent = Agent::new(as_account("matcher").await, &file, Method::Auto)
            .await
            .unwrap()
            .with_gateway(url.clone())
            .with_publish_dir(&publish_dir);
        assert_eq!(agent.cycle(slot).await.unwrap(), CycleOutcome::NotMatching { phase: "open".into() });
        let outcome = cycle_at_gate(&agent, &alice, slot, params.gate_closure_secs).await;
        let CycleOutcome::CommittedIntents { trades, intents, wh, skipped, skipped_trades, retries, gas_used: commit_gas, tx_hash, screening, .. } = outcome.clone() else {
            panic!("{outcome:?}");
        };
        eprintln!("commit {tx_hash}: {trades} trades, {intents} intents, {wh} Wh, {skipped_trades} trades skipped, {retries} retries");
        assert_eq!(retries, 0, "{outcome:?}");
        let skipped: BTreeMap<String, String> = skipped.into_iter().map(|s| (s.owner, s.reason)).collect();
        assert_eq!(skipped.len(), 2, "{skipped:?}");
        assert_eq!(
            skipped[&hh[borrower].address],
            format!("meter {} belongs to {}, not to the sender", hh[0].meter, hh[0].address)
        );
        assert!(
            skipped[&hh[poor].address].starts_with(&format!("{} has 1 uaip free; its intents need ", hh[poor].address)),
            "{skipped:?}"
        );
        assert!(trades >= n / 3, "{outcome:?}");

        // The same cycle again, and a restarted agent's run loop (stopped
        // after a few polls, as ctrl-c stops it), commit nothing more.
        assert_eq!(agent.cycle(slot).await.unwrap(), CycleOutcome::AlreadyCommitted { trades: trades as u64 });
        let restarted = Agent::new(as_account("matcher").await, &file, Method::Auto)
            .await
            .unwrap()
            .with_gateway(url.clone());
        restarted
            .run(Duration::from_millis(500), tokio::time::sleep(Duration::from_secs(3)))
            .await
            .unwrap();
        assert_eq!(trades_of(&alice, &settlement, slot).await.len(), trades);

        // What is on chain: the trades the agent reported, from intents.
        let on_chain = trades_of(&alice, &settlement, slot).await;
        assert_eq!(on_chain.len(), trades);
        assert!(on_chain.iter().all(|t| t.intents));
        assert_eq!(on_chain.iter().map(|t| t.wh.u128() as u64).sum::<u64>(), wh);

        // verify-slot: the frozen book re-cleared and compared with the trades on chain.
        let frozen_url = format!("{url}/v1/book/{slot}/frozen");
        let text = tokio::task::spawn_blocking(move || verify::fetch(&frozen_url)).await.unwrap().unwrap();
        let frozen: FrozenBook = serde_json::from_str(&text).unwrap();
        assert_eq!(frozen.intents.len(), n);
        // The agent's screening record: the two intents it left out, with the
        // contract's reasons, and the state it read them from.
        assert_eq!((screening.slot, screening.book_hash.as_str()), (slot, frozen.book_hash.as_str()));
        assert_eq!(screening.screened.len(), 2, "{screening:?}");
        assert!(screening.refused.is_empty(), "{screening:?}");
        let report = agent.verify_slot(slot, &frozen, Some(&screening), 0.005).await.expect("verify-slot");
        eprintln!("verify-slot: {} screened out at height {:?}, welfare committed {:.0} / re-run {:.0} (ratio {:.6})", report.screened_out, report.screening_height, report.committed_welfare, report.recomputed_welfare, report.ratio);
        assert_eq!(report.committed_trades, trades);
        assert_eq!((report.screening_height, report.screened_out), (Some(screening.height), 2), "{report:?}");
        assert!(report.unchecked.is_empty(), "{report:?}");
        assert!(report.ratio > 0.995, "{report:?}");
        // A record that screens out an intent the chain passes is refused,
        // naming the intent and the reason.
        let mut forged = screening.clone();
        let kept = frozen.intents.iter().find(|e| forged.screened.iter().all(|s| s.hash != e.hash)).unwrap();
        forged.screened.push(verify::ScreenedOut {
            hash: kept.hash.clone(),
            owner: kept.signed.intent.owner.clone(),
            nonce: kept.signed.intent.nonce,
            reason: "no reputation token".to_string(),
        });
        let err = agent.verify_slot(slot, &frozen, Some(&forged), 0.005).await.expect_err("wrongly screened");
        assert!(
            err.to_string().starts_with(&format!("intent {} ({}, nonce 1) was screened out for \"no reputation token\", but at height {} the rules say: the intent passes", kept.hash, kept.signed.intent.owner, screening.height)),
            "{err}"
        );
        // A record whose clock is not its block's time + 10 s, and one read
        // after the commit, are refused.
        let mut off_clock = screening.clone();
        off_clock.now += 1;
        let err = agent.verify_slot(slot, &frozen, Some(&off_clock), 0.005).await.expect_err("clock");
        assert!(err.to_string().starts_with(&format!("the screening record's clock {} is not block {}'s time ", screening.now + 1, screening.height)), "{err}");
        let (latest, _) = alice.latest_block().await.unwrap();
        let late_time = alice.block_time(latest).await.unwrap();
        let late = verify::Screening { height: latest, now: late_time as u64 + 10, ..screening.clone() };
        let err = agent.verify_slot(slot, &frozen, Some(&late), 0.005).await.expect_err("after the commit");
        assert_eq!(err.to_string(), format!("at the screening height {latest} slot {slot} already had {trades} trades"));
        // The agent published the record in its folder (`run --publish-dir`).
        let screening_file = publish_dir.join(format!("screening-{slot}.json"));
        let published: verify::Screening = serde_json::from_str(&std::fs::read_to_string(&screening_file).unwrap()).unwrap();
        assert_eq!(published, screening);

        // The binaries: `verify-slot` against the chain (no key), and one
        // `run --gateway --once` cycle, which finds the slot committed.
        let (exe, out_file, frozen_url) = (env!("CARGO_BIN_EXE_aip-matcher"), out.clone(), format!("{url}/v1/book/{slot}/frozen"));
        let gw_url = url.clone();
        let (verified, once, not_matcher, no_gateway) = tokio::task::spawn_blocking(move || {
            let v = std::process::Command::new(exe)
                .args(["verify-slot", "--book", &frozen_url, "--deployment"])
                .arg(&out_file)
                .arg("--screening")
                .arg(&screening_file)
                .output()
                .unwrap();
            let o = std::process::Command::new(exe)
                .args(["run", "--deployment"])
                .arg(&out_file)
                .args(["--key", "matcher", "--once", &slot.to_string(), "--gateway", &gw_url])
                .output()
                .unwrap();
            let run = |args: &[&str]| {
                std::process::Command::new(exe)
                    .args(["run", "--deployment"])
                    .arg(&out_file)
                    .args(args)
                    .output()
                    .unwrap()
            };
            let slot_arg = slot.to_string();
            let not_matcher = run(&["--key", "bob", "--once", &slot_arg, "--gateway", &gw_url]);
            let no_gateway = run(&["--key", "matcher", "--once", &slot_arg]);
            (v, o, not_matcher, no_gateway)
        })
        .await
        .unwrap();
        assert!(verified.status.success(), "{}", String::from_utf8_lossy(&verified.stderr));
        let r: Value = serde_json::from_slice(&verified.stdout).unwrap();
        assert_eq!((r["slot"].as_u64(), r["intents"].as_u64(), r["committed_trades"].as_u64()), (Some(slot), Some(n as u64), Some(trades as u64)), "{r}");
        assert_eq!((r["screening_height"].as_u64(), r["screened_out"].as_u64()), (Some(screening.height), Some(2)), "{r}");
        assert!(once.status.success(), "{}", String::from_utf8_lossy(&once.stderr));
        assert_eq!(String::from_utf8_lossy(&once.stdout).trim(), format!("AlreadyCommitted {{ trades: {trades} }}"));
        // Refused: a signer without the matcher role, and no gateway (the
        // agent has no other book to clear).
        assert!(!not_matcher.status.success());
        let stderr = String::from_utf8_lossy(&not_matcher.stderr);
        assert!(stderr.contains(&format!("signer {} is not the settlement contract's matcher", addr("bob"))), "{stderr}");
        assert!(!no_gateway.status.success());
        let stderr = String::from_utf8_lossy(&no_gateway.stderr);
        assert!(stderr.contains("--gateway <GATEWAY>"), "{stderr}");

        // Delivery: after the slot every traded seller meter reports its contracted energy.
        let mut contracted: BTreeMap<u32, u128> = BTreeMap::new();
        for t in &on_chain {
            *contracted.entry(t.meter).or_default() += t.wh.u128();
        }
        let (_, now) = alice.latest_block().await.unwrap();
        advance(slot + 900 - now as u64 + 2);
        let readings: Vec<meter_oracle::msg::SignedReading> = contracted
            .iter()
            .map(|(m, w)| serde_json::from_value(devices[m].reading(&d, *m, slot, *w, 0).unwrap()).unwrap())
            .collect();
        let reported = oracle
            .execute(&mo, &meter_oracle::msg::ExecuteMsg::SubmitReadings { slot: SlotId(slot), readings }, &[])
            .await
            .unwrap();
        let fetch = alice
            .execute(&settlement, &ExecuteMsg::FetchDeliveries { slot: SlotId(slot), limit: Some(500) }, &[])
            .await
            .unwrap();
        let st: SlotStatusResponse = alice.query(&settlement, &QueryMsg::SlotStatus { slot: SlotId(slot) }).await.unwrap();
        assert_eq!(st.meters_reported, st.meters, "{st:?}");
        assert_eq!(st.meters as usize, contracted.len());
        let (_, now) = alice.latest_block().await.unwrap();
        let settle_from = st.settle_from.expect("data final");
        advance(settle_from.saturating_sub(now as u64) + 2);
        let settle = alice
            .execute(&settlement, &ExecuteMsg::Settle { slot: SlotId(slot), limit: Some(500) }, &[])
            .await
            .unwrap();
        let st: SlotStatusResponse = alice.query(&settlement, &QueryMsg::SlotStatus { slot: SlotId(slot) }).await.unwrap();
        assert!(st.fully_settled, "{st:?}");

        // The audit: each household's free balance recomputed from the trades.
        let settled = trades_of(&alice, &settlement, slot).await;
        let mut expected: HashMap<String, i128> = hh.iter().map(|h| (h.address.clone(), h.deposit as i128)).collect();
        let mut fees = 0i128;
        for t in &settled {
            let zone = |m: u32| hh.iter().find(|h| h.meter == m).map(|h| h.node).unwrap();
            let buyer = hh.iter().find(|h| h.address == t.buyer).unwrap();
            let cross = zone(t.meter) != buyer.node;
            let net = net_of_loss(t.wh, if cross { LOSS_BPS } else { 0 }).unwrap();
            let pay = payment(net, t.price).unwrap();
            let fee = payment(net, Uint128::new(if cross { FEE } else { 0 })).unwrap();
            assert_eq!((t.net_wh, t.payment, t.fee), (net, pay, fee), "trade {}", t.id);
            let s = t.settlement.as_ref().expect("settled");
            assert_eq!((s.delivered_wh, s.seller_paid, s.buyer_refund, s.penalty), (t.wh, pay, Uint128::zero(), Uint128::zero()));
            assert_eq!(s.collateral_returned, t.collateral);
            *expected.get_mut(&t.buyer).unwrap() -= (pay + fee).u128() as i128;
            *expected.get_mut(&t.seller).unwrap() += pay.u128() as i128;
            fees += fee.u128() as i128;
        }
        let mut free_total = 0u128;
        for h in &hh {
            let b: BalanceResponse = alice.query(&settlement, &QueryMsg::Balance { account: h.address.clone() }).await.unwrap();
            assert_eq!(b.free.u128() as i128, expected[&h.address], "{}", h.address);
            assert_eq!(b.locked, Uint128::zero(), "{}", h.address);
            free_total += b.free.u128();
        }
        let treasury: BalanceResponse = alice.query(&settlement, &QueryMsg::Balance { account: addr("validator") }).await.unwrap();
        assert_eq!(treasury.free.u128() as i128, fees);
        // Token conservation: every account's AIP + what settlement holds = supply.
        let audit = token_audit(&alice, &token, &settlement).await;
        assert_eq!(audit.holdings.total.u128(), audit.settlement_balance);
        assert_eq!(audit.holdings.claimable.u128(), free_total + treasury.free.u128());
        assert_eq!(
            (audit.holdings.trades, audit.holdings.orders),
            (Uint128::zero(), Uint128::zero())
        );
        assert_eq!(audit.others + audit.holdings.total.u128(), audit.supply);

        deposit_gas.sort_unstable();
        eprintln!(
            "GAS households={n} trades={trades} intents={intents} deposit_min={} deposit_median={} deposit_max={} commit_intents={commit_gas} submit_readings={} (meters={}) fetch_deliveries={} settle={} commit+fetch+settle_per_trade={:.0}",
            deposit_gas[0],
            deposit_gas[deposit_gas.len() / 2],
            deposit_gas[deposit_gas.len() - 1],
            reported.gas_used,
            contracted.len(),
            fetch.gas_used,
            settle.gas_used,
            (commit_gas + fetch.gas_used + settle.gas_used) as f64 / trades as f64,
        );

        // A refusal the screening cannot foresee: a seller whose deposit is
        // exactly its offer's collateral, split over two buyers. The contract
        // rounds each trade's collateral up, so the second trade needs 1 uaip
        // more than the seller has: the contract names that trade, the agent
        // drops it and commits the first on its second attempt.
        let ratio = |t: aip_types::hooks::TradingTermsResponse| t.collateral_ratio_bps;
        let mut trio: Vec<Household> = ["seller", "first buyer", "second buyer"]
            .iter()
            .enumerate()
            .map(|(i, who)| {
                let label = format!("intents e2e retry {who}");
                let key = IntentKey::from_label(&label);
                let address = key.address("wasm");
                Household { label, key, address, sells: i == 0, eth: i == 1, meter: 0, node: 1, deposit: DEPOSIT }
            })
            .collect();
        let price = 150_001u128;
        let collateral = |wh: u128, r: u32| {
            aip_types::offer_collateral(Uint128::new(wh), Uint128::new(price), params.collateral_floor_price, r)
                .unwrap()
                .u128()
        };
        // A newcomer's ratio (what the seller will have once its token is minted).
        let r = ratio(alice.query(&rep, &aip_types::hooks::ReputationQueryHook::TradingTerms { account: hh[0].address.clone() }).await.unwrap());
        let (a, b) = (300..700u128)
            .flat_map(|a| (300..700u128).map(move |b| (a, b)))
            .find(|&(a, b)| collateral(a, r) + collateral(b, r) > collateral(a + b, r))
            .expect("a split whose rounded-up collaterals exceed the whole's");
        trio[0].deposit = collateral(a + b, r);
        let (_, _) = onboard(&market, &mut trio).await;
        let (_, now) = alice.latest_block().await.unwrap();
        let slot2 = market::next_open_slot(now as u64, params.gate_closure_secs, 120);
        let intents2: Vec<String> = trio
            .iter()
            .zip([(a + b, price as u64), (a, 260_000), (b, 250_000)])
            .map(|(h, (wh, limit_price))| {
                intent_body(h, (&d.chain_id, &settlement), 1, slot2, wh as u64, limit_price)
            })
            .collect();
        post_all(&url, intents2).await;
        let outcome = cycle_at_gate(&agent, &alice, slot2, params.gate_closure_secs).await;
        let CycleOutcome::CommittedIntents { trades: t2, intents: i2, wh: wh2, skipped: s2, skipped_trades: st2, retries: r2, .. } = outcome.clone() else {
            panic!("{outcome:?}");
        };
        // Two trades planned, the second refused and dropped, one committed.
        assert_eq!((t2, i2, s2.len(), st2, r2), (1, 2, 0, 1, 1), "{outcome:?}");
        assert!(wh2 == a as u64 || wh2 == b as u64, "{outcome:?}");
        let seller: BalanceResponse = alice
            .query(&settlement, &QueryMsg::Balance { account: trio[0].address.clone() })
            .await
            .unwrap();
        let kept = collateral(u128::from(wh2), r);
        assert_eq!((seller.locked.u128(), seller.free.u128()), (kept, collateral(a + b, r) - kept));

        // More trades than `max_batch`: the admin lowers it to 2; three pairs
        // in one zone clear into three trades; the agent commits the two with
        // the most welfare and reports the third as skipped.
        let cfg: settlement::msg::ConfigResponse = alice.query(&settlement, &QueryMsg::Config {}).await.unwrap();
        let small = settlement::msg::MarketParams { max_batch: 2, ..cfg.params.clone() };
        admin
            .execute(&settlement, &ExecuteMsg::UpdateConfig { roles: None, params: Some(small) }, &[])
            .await
            .unwrap();
        let mut six: Vec<Household> = (0..6)
            .map(|i| {
                let label = format!("intents e2e batch household {i}");
                let key = IntentKey::from_label(&label);
                let address = key.address("wasm");
                Household { label, key, address, sells: i < 3, eth: i % 2 == 1, meter: 0, node: 2, deposit: DEPOSIT }
            })
            .collect();
        onboard(&market, &mut six).await;
        let (_, now) = alice.latest_block().await.unwrap();
        let slot3 = market::next_open_slot(now as u64, params.gate_closure_secs, 120);
        // Sellers at 150,000; buyers at 250,000, 260,000, 270,000: 1,000 Wh each.
        let limits = [150_000, 150_000, 150_000, 250_000, 260_000, 270_000];
        let bodies: Vec<String> = six
            .iter()
            .zip(limits)
            .map(|(h, limit_price)| {
                intent_body(h, (&d.chain_id, &settlement), 1, slot3, 1_000, limit_price)
            })
            .collect();
        post_all(&url, bodies).await;
        let agent = Agent::new(as_account("matcher").await, &file, Method::Auto)
            .await
            .unwrap()
            .with_gateway(url.clone());
        let outcome = cycle_at_gate(&agent, &alice, slot3, params.gate_closure_secs).await;
        let CycleOutcome::CommittedIntents { trades: t3, intents: i3, skipped_trades: st3, retries: r3, .. } = outcome.clone() else {
            panic!("{outcome:?}");
        };
        assert_eq!((t3, i3, st3, r3), (2, 4, 1, 0), "{outcome:?}");
        let mut buyers: Vec<String> = trades_of(&alice, &settlement, slot3).await.into_iter().map(|t| t.buyer).collect();
        buyers.sort();
        let mut best = vec![six[4].address.clone(), six[5].address.clone()];
        best.sort();
        assert_eq!(buyers, best, "the two dearest bids");

        // The agent's commit carries open settlements: past the delivery
        // deadline (no readings: nothing delivered) and the dispute window of
        // slots 2 and 3, the commit of a fourth slot settles both.
        let st3: SlotStatusResponse = alice.query(&settlement, &QueryMsg::SlotStatus { slot: SlotId(slot3) }).await.unwrap();
        assert!(!st3.fully_settled, "{st3:?}");
        let (_, now) = alice.latest_block().await.unwrap();
        let settle3 = slot3 + 900 + params.delivery_deadline_secs + params.dispute_window_secs;
        let slot4 = market::next_open_slot(settle3.max(now as u64), params.gate_closure_secs, 120);
        let bodies: Vec<String> = [(&six[0], 150_000u64), (&six[3], 250_000)]
            .iter()
            .map(|(h, limit_price)| {
                intent_body(h, (&d.chain_id, &settlement), 2, slot4, 1_000, *limit_price)
            })
            .collect();
        post_all(&url, bodies).await;
        let outcome = cycle_at_gate(&agent, &alice, slot4, params.gate_closure_secs).await;
        let CycleOutcome::CommittedIntents { trades: t4, settled, .. } = outcome.clone() else {
            panic!("{outcome:?}");
        };
        assert_eq!((t4, settled), (1, vec![slot2, slot3]), "{outcome:?}");
        for s in [slot2, slot3] {
            let st: SlotStatusResponse = alice.query(&settlement, &QueryMsg::SlotStatus { slot: SlotId(s) }).await.unwrap();
            assert!(st.fully_settled, "{st:?}");
        }
        let audit = token_audit(&alice, &token, &settlement).await;
        assert_eq!(audit.others + audit.holdings.total.u128(), audit.supply);
        eprintln!("whole run: {:?}", started.elapsed());
        gateway.stop().await;
    });
    let _ = std::fs::remove_file(&out);
}
