//! The sentinel against deployed contracts on the wasmd localnet, behind the
//! `e2e` feature:
//!
//! ```sh
//! ci/build-wasm.sh && ci/localnet.sh start
//! cargo test -p aip-sentinel --features e2e --test localnet_e2e -- --nocapture
//! ```
//!
//! Deploys every contract (`aip deploy`'s code), registers four honest
//! households and six adversaries with reputation tokens and meters, and
//! starts the real `aip-sentinel` binary on the node (`ChainSource`, the
//! guardian role through `ChainGuardian`, a SQLite store). One delivery slot
//! goes through the real market (deposits, signed intents, the matcher's
//! `commit_intents`, device-signed readings, deliveries, settlement), then
//! reviews:
//!
//! - a wash pair funded by one wallet trades back and forth (5 trades each way),
//! - a review ring funded by another wallet trades in a circle and rates
//!   itself 5 stars,
//! - the honest households sell one way and review each other,
//! - one household's meter (4 kW of PV, no storage) exports at night.
//!
//! The adversaries are flagged on chain with `wash:sha256:…`,
//! `ring:sha256:…` and `meter:sha256:…` reasons whose evidence the binary
//! serves, their score is frozen and halved
//! as the reputation contract defines (the wash traders drop from silver to
//! bronze, the ring's reviews stop counting, settlement refuses their
//! intents), and no honest household is flagged. The sentinel is killed
//! (SIGKILL); while it is down the first wallet funds two more accounts that
//! wash-trade in a second slot and also post signed intents to the order
//! gateway (`offchain/gateway`, in process, on chain time); restarted on the
//! same store it flags those two (`sybil`: now four accounts of one funder
//! trading among themselves), re-flags nobody, reads every trade on chain
//! exactly once, the readings of meters registered before the restart and
//! the intents from the slot's frozen book. Finally the guardian grants an
//! appeal with `aip-sentinel clear`: the account is unflagged on chain, its
//! reviews count again, and a further run does not flag it on the same
//! evidence.
//!
//! The market's order path lives in one function, [`trade_slot`].
#![cfg(feature = "e2e")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../aip/tests/common/mod.rs"]
mod common;
#[path = "../../gateway/tests/common/mod.rs"]
mod gwc;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aip_cli::deploy::{deploy, MarketParams};
use aip_cli::deployment::Deployment;
use aip_cli::market::{self, DeviceKey, OrderTerms, WalletKey};
use aip_sentinel::config::{AgentConfig, Config, GatewayConfig};
use aip_sentinel::event::{Event, Side};
use aip_sentinel::source::{Contracts, MeterData};
use aip_sentinel::store::Store;
use aip_sentinel::watch::RateLimit;
use aip_testing::localnet::{self, Agent, LocalGateway, Log};
use aip_types::intent::{BatchIntent, Side as IntentSide};
use chain_client::cosmrs::crypto::secp256k1::SigningKey;
use chain_client::{ChainClient, ChainConfig, Coin, Execute, Signer};
use common::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Zone 1, grid node 1: every meter of the test.
const ZONE: u32 = 1;
/// The market price the honest households and the adversaries trade at.
const PRICE: u128 = 220_000;

/// A market participant: a signing client, the same key for its intents,
/// its meter and the meter's device key.
struct Party {
    name: String,
    client: ChainClient,
    intent: aip_types::intent::sign::IntentKey,
    addr: String,
    meter: u32,
    key: DeviceKey,
}

/// One trade to make: seller, buyer, Wh, uaip/kWh.
struct Deal<'a> {
    seller: &'a Party,
    buyer: &'a Party,
    wh: u128,
    price: u128,
}

fn deal<'a>(seller: &'a Party, buyer: &'a Party, wh: u128) -> Deal<'a> {
    Deal {
        seller,
        buyer,
        wh,
        price: PRICE,
    }
}

/// The deployment and the role clients.
struct Market {
    d: Deployment,
    admin: ChainClient,
    dso: ChainClient,
    matcher: ChainClient,
    oracle: ChainClient,
    faucet: ChainClient,
}

impl Market {
    fn addr(&self, contract: &str) -> String {
        self.d.address(contract).unwrap().to_string()
    }
}

/// A fresh localnet account from a label (its key is sha256 of the label).
fn fresh_signer(label: &str) -> Signer {
    let seed = Sha256::digest(format!("sentinel e2e {label}").as_bytes());
    Signer::from_signing_key(SigningKey::from_slice(&seed).unwrap(), "wasm").unwrap()
}

/// The localnet test account `name`, or a fresh account (as [`fresh_signer`]):
/// its key for transactions and intents.
fn signer(name: &str) -> WalletKey {
    match chain_client::testnet::mnemonic(name) {
        Ok(phrase) => {
            WalletKey::from_mnemonic(phrase, chain_client::COSMOS_HD_PATH, "wasm").unwrap()
        }
        Err(_) => {
            let seed: [u8; 32] = Sha256::digest(format!("sentinel e2e {name}").as_bytes()).into();
            WalletKey::from_secret(&seed, "wasm").unwrap()
        }
    }
}

/// Gas (ustake) for `signers`, in one transaction from the faucet with a
/// fixed gas limit (a simulated bank send's gas × 1.3 falls short of what
/// it uses once a fee is paid).
async fn gas(m: &Market, signers: &[&Signer]) {
    use chain_client::cosmrs::tx::Msg;
    let faucet = m.faucet.address().unwrap().clone();
    let msgs: Vec<chain_client::Any> = signers
        .iter()
        .map(|s| {
            chain_client::cosmrs::bank::MsgSend {
                from_address: faucet.clone(),
                to_address: s.address().clone(),
                amount: vec![Coin {
                    denom: "ustake".parse().unwrap(),
                    amount: 10_000_000_000,
                }],
            }
            .to_any()
            .unwrap()
        })
        .collect();
    let n = msgs.len() as u64;
    let account = m.faucet.account(faucet.as_ref()).await.unwrap();
    let tx = m
        .faucet
        .sign_with_sequence(msgs, "", account, 100_000 * n)
        .unwrap();
    m.faucet.broadcast_signed(&tx).await.unwrap();
}

/// A wallet that only moves AIP: a client of a fresh account with gas.
async fn wallet(m: &Market, label: &str) -> (ChainClient, String) {
    let s = fresh_signer(label);
    gas(m, &[&s]).await;
    let addr = s.address().to_string();
    (chain().await.with_signer(s), addr)
}

/// Gas for each of `names`, a reputation token each (the admin mints: no
/// KYC proofs here) and a meter each at node 1.
async fn onboard(m: &Market, names: &[&str]) -> Vec<Party> {
    let wallets: Vec<WalletKey> = names.iter().map(|n| signer(n)).collect();
    gas(m, &wallets.iter().map(|w| &w.signer).collect::<Vec<_>>()).await;
    let (signers, intent_keys): (Vec<Signer>, Vec<_>) =
        wallets.into_iter().map(|w| (w.signer, w.intent)).unzip();
    let (rep, mo) = (m.addr("reputation"), m.addr("meter-oracle"));
    let mint: Vec<Execute> = signers
        .iter()
        .map(|s| {
            Execute::new(
                &rep,
                &json!({"mint_for": {"owner": s.address().to_string()}}),
                &[],
            )
            .unwrap()
        })
        .collect();
    m.admin.execute_multi(mint).await.unwrap();
    let keys: Vec<DeviceKey> = names
        .iter()
        .map(|n| device(&format!("sentinel e2e {n} meter")))
        .collect();
    let register: Vec<Execute> = signers
        .iter()
        .zip(&keys)
        .map(|(s, k)| {
            Execute::new(
                &mo,
                &json!({"register_meter": {"owner": s.address().to_string(), "node": 1, "pubkey": k.public_key()}}),
                &[],
            )
            .unwrap()
        })
        .collect();
    let tx = m.dso.execute_multi(register).await.unwrap();
    let meters: Vec<u32> = tx
        .attributes("wasm", "meter")
        .iter()
        .map(|v| v.parse().unwrap())
        .collect();
    assert_eq!(meters.len(), names.len(), "{:?}", tx.events);
    let base = chain().await;
    names
        .iter()
        .zip(signers)
        .zip(keys)
        .zip(meters)
        .zip(intent_keys)
        .map(|((((n, s), key), meter), intent)| Party {
            name: n.to_string(),
            addr: s.address().to_string(),
            client: base.with_signer(s),
            intent,
            meter,
            key,
        })
        .collect()
}

/// `from` pays each of `to` `amount` uaip of AIP (a cw20 transfer each, one transaction).
async fn fund(m: &Market, from: &ChainClient, to: &[&Party], amount: u128) {
    let token = m.addr("aip-token");
    let calls = to
        .iter()
        .map(|p| {
            Execute::new(
                &token,
                &json!({"transfer": {"recipient": p.addr, "amount": amount.to_string()}}),
                &[],
            )
            .unwrap()
        })
        .collect();
    from.execute_multi(calls).await.unwrap();
}

/// What one [`trade_slot`] did.
struct Slot {
    /// The slot's start.
    slot: u64,
    /// Settlement's trade ids, in deal order.
    trades: Vec<u64>,
    /// Height of the transaction that finished settling the slot.
    settled_at: u64,
}

/// `p`'s intent for `terms` with `nonce`, signed as Keplr does (ADR-036), in
/// the form a batch carries it.
fn signed_intent(m: &Market, p: &Party, nonce: u64, terms: &OrderTerms) -> BatchIntent {
    let i = market::order_intent(&m.d, &p.addr, nonce, terms).unwrap();
    BatchIntent::from_signed(&p.intent.sign_cosmos(&i))
}

/// Trades `deals` in the next open slot through the real market and settles
/// them: deposits, signed intents, the matcher's `commit_intents`,
/// device-signed readings of exactly the traded energy, deliveries,
/// settlement (dispute window 0).
///
/// The one place that knows how orders reach settlement: each party
/// deposits what its trades lock (a buyer's payment, a seller's collateral),
/// each deal is a buy and a sell intent signed by their owners, and the
/// matcher commits the slot once with them. The sentinel reads trades from
/// settlement (`settle` events, then `trades_by_slot`) and orders from the
/// gateway's frozen books.
async fn trade_slot(m: &Market, deals: &[Deal<'_>]) -> Slot {
    let (rep, settlement, mo) = (
        m.addr("reputation"),
        m.addr("settlement"),
        m.addr("meter-oracle"),
    );
    let params = MarketParams::default();
    let (_, now) = m.admin.latest_block().await.unwrap();
    let slot = market::next_open_slot(now as u64, params.gate_closure_secs, 60);

    // Intents: [2i] = deal i's bid, [2i + 1] its offer; nonces unique per
    // owner across slots. Deposits: per account, what its trades lock.
    let mut need: BTreeMap<&str, (&Party, u128)> = BTreeMap::new();
    let mut intents = Vec::with_capacity(2 * deals.len());
    for (i, x) in deals.iter().enumerate() {
        let terms: Value = m
            .admin
            .query(&rep, &json!({"trading_terms": {"account": x.seller.addr}}))
            .await
            .unwrap();
        let ratio = terms["collateral_ratio_bps"].as_u64().unwrap() as u32;
        let collateral =
            market::offer_collateral(x.wh, x.price, params.collateral_floor_price.u128(), ratio)
                .unwrap();
        need.entry(&x.seller.addr).or_insert((x.seller, 0)).1 += collateral;
        need.entry(&x.buyer.addr).or_insert((x.buyer, 0)).1 +=
            market::payment(x.wh, x.price).unwrap();
        let nonce = slot * 1_000 + i as u64;
        let terms = |side, p: &Party| OrderTerms {
            side,
            slot,
            meter: p.meter,
            wh: x.wh as u64,
            limit_price: x.price as u64,
        };
        intents.push(signed_intent(
            m,
            x.buyer,
            nonce,
            &terms(IntentSide::Buy, x.buyer),
        ));
        intents.push(signed_intent(
            m,
            x.seller,
            nonce,
            &terms(IntentSide::Sell, x.seller),
        ));
    }
    for (party, amount) in need.into_values() {
        party
            .client
            .execute_multi(vec![market::deposit(&m.d, amount).unwrap()])
            .await
            .unwrap();
    }

    // The matcher's commit: trade ids follow the deals' order.
    let matched: Vec<market::IntentTrade> = deals
        .iter()
        .enumerate()
        .map(|(i, x)| ((2 * i) as u32, (2 * i + 1) as u32, x.wh, x.price))
        .collect();
    let tx = m
        .matcher
        .execute_multi(vec![
            market::commit_intents(&m.d, slot, &intents, &matched).unwrap()
        ])
        .await
        .unwrap();
    let first: u64 = tx
        .wasm_attribute("first_trade_id")
        .unwrap()
        .parse()
        .unwrap();
    let trades: Vec<u64> = (first..first + deals.len() as u64).collect();

    // After the slot: each meter exports what it sold and imports what it bought.
    let (_, now) = m.admin.latest_block().await.unwrap();
    advance((slot + 900 + 5).saturating_sub(now as u64));
    let mut flows: BTreeMap<u32, (&Party, u128, u128)> = BTreeMap::new();
    for x in deals {
        flows.entry(x.seller.meter).or_insert((x.seller, 0, 0)).1 += x.wh;
        flows.entry(x.buyer.meter).or_insert((x.buyer, 0, 0)).2 += x.wh;
    }
    let readings: Vec<Value> = flows
        .iter()
        .map(|(&meter, (p, e, i))| p.key.reading(&m.d, meter, slot, *e, *i).unwrap())
        .collect();
    m.oracle
        .execute(
            &mo,
            &json!({"submit_readings": {"slot": slot, "readings": readings}}),
            &[],
        )
        .await
        .unwrap();
    loop {
        let tx = m
            .oracle
            .execute(
                &settlement,
                &json!({"fetch_deliveries": {"slot": slot, "limit": null}}),
                &[],
            )
            .await
            .unwrap();
        if tx.wasm_attribute("complete") == Some("true") {
            break;
        }
    }
    let settled_at = loop {
        let tx = m
            .oracle
            .execute(
                &settlement,
                &json!({"settle": {"slot": slot, "limit": null}}),
                &[],
            )
            .await
            .unwrap();
        if tx.attributes("wasm", "done").contains(&"true") {
            break tx.height;
        }
    };
    Slot {
        slot,
        trades,
        settled_at,
    }
}

/// Each party of `trade` rates the other.
async fn review(m: &Market, trade: u64, reviews: &[(&Party, &Party, u8)]) {
    let rep = m.addr("reputation");
    for (by, of, rating) in reviews {
        by.client
            .execute(
                &rep,
                &json!({"review": {"trade_id": trade, "counterparty": of.addr, "rating": rating}}),
                &[],
            )
            .await
            .unwrap();
    }
}

/// The reputation contract's view of `p`.
async fn reputation(m: &Market, p: &Party) -> Value {
    m.admin
        .query(
            &m.addr("reputation"),
            &json!({"reputation": {"account": p.addr}}),
        )
        .await
        .unwrap()
}

/// The reason of `p`'s flag on chain.
async fn flag_reason(m: &Market, p: &Party) -> Option<String> {
    reputation(m, p).await["flag"]["reason"]
        .as_str()
        .map(str::to_string)
}

/// Waits until every one of `who` is flagged on chain; their reasons.
async fn flagged(m: &Market, who: &[&Party], log: &Path) -> Vec<String> {
    let until = Instant::now() + Duration::from_secs(120);
    loop {
        let mut reasons = Vec::new();
        for p in who {
            if let Some(r) = flag_reason(m, p).await {
                reasons.push(r);
            }
        }
        if reasons.len() == who.len() {
            return reasons;
        }
        assert!(
            Instant::now() < until,
            "not flagged within 120 s: {:?}\n{}",
            who.iter().map(|p| &p.name).collect::<Vec<_>>(),
            tail(log)
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Starts `aip-sentinel run --config cfg`, its log appended to `log`;
/// SIGKILLed when dropped.
fn spawn(cfg: &Path, log: &Path) -> Agent {
    let args: [&OsStr; 3] = ["run".as_ref(), "--config".as_ref(), cfg.as_os_str()];
    Agent::spawn(env!("CARGO_BIN_EXE_aip-sentinel"), args, log, Log::Append)
}

/// Runs `aip-sentinel <args>` to the end.
fn sentinel(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aip-sentinel"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn tail(log: &Path) -> String {
    localnet::tail(log, 40)
}

/// Lines of the log saying `account` was flagged.
fn flag_lines(log: &Path, account: &str) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(" flagged") && l.contains(account))
        .count()
}

/// The flagged score the reputation contract defines: frozen at the score
/// when flagged and halved.
fn flagged_score(r: &Value) -> u64 {
    let base = r["base_score"].as_u64().unwrap();
    let at = r["flag"]["score_at_flag"].as_u64().unwrap();
    base.min(at) * 5_000 / 10_000
}

/// The order gateway (`offchain/gateway`), in process on a loopback port,
/// bound to the deployment's settlement; its clock is the localnet's chain
/// time (the wall clock plus the test clock's offset, `ci/localnet.sh`'s
/// `clock-offset` file). It runs until dropped.
async fn start_gateway(d: &Deployment, dir: &Path) -> LocalGateway {
    let cfg = gateway::Config {
        listen: "127.0.0.1:0".into(),
        contract: d.address("settlement").unwrap().to_string(),
        database: dir.join("gateway.sqlite"),
        chain: ChainConfig::from_env(),
        ..gateway::Config::default()
    };
    LocalGateway::start(cfg, Arc::new(gateway::FixedBalance::new(u128::MAX))).await
}

/// `p` signs an intent (ADR-036, as Keplr does) for the slots
/// `[from, until)` and posts it to the gateway.
async fn post_intent(
    m: &Market,
    gateway: &str,
    p: &Party,
    side: aip_types::intent::Side,
    (from, until): (u64, u64),
    wh: u64,
) {
    // The same key as the party's chain signer (`fresh_signer`).
    let key = k256::ecdsa::SigningKey::from_bytes(&Sha256::digest(
        format!("sentinel e2e {}", p.name).as_bytes(),
    ))
    .unwrap();
    assert_eq!(gwc::address_of(&key), p.addr);
    let intent = aip_types::intent::OrderIntent {
        chain_id: m.d.chain_id.clone(),
        contract: m.addr("settlement"),
        owner: p.addr.clone(),
        nonce: 1,
        slot_from: from,
        slot_until: until,
        side,
        meter: p.meter,
        wh,
        limit_price: PRICE as u64,
        premium_only: false,
        expires: until,
    };
    let body = serde_json::to_string(&gwc::sign_cosmos(&key, &intent)).unwrap();
    let mut h = gwc::Http::connect(gateway.trim_start_matches("http://"))
        .await
        .unwrap();
    let (status, answer) = h.request("POST", "/v1/intents", Some(&body)).await.unwrap();
    assert_eq!(status, 201, "{answer}");
}

fn write_config(
    path: &Path,
    d: &Deployment,
    dir: &Path,
    start_height: u64,
    limit: RateLimit,
    gateway: &str,
) {
    let cfg = Config {
        contracts: Contracts {
            token: d.address("aip-token").unwrap().into(),
            settlement: d.address("settlement").unwrap().into(),
            reputation: d.address("reputation").unwrap().into(),
            meter_oracle: Some(d.address("meter-oracle").unwrap().into()),
            zk_verifier: d.address("zk-verifier").ok().map(str::to_string),
        },
        // The deployer holds the guardian role.
        guardian: Some("validator".into()),
        guardian_mnemonic_file: None,
        chain: ChainConfig::from_env(),
        agent: AgentConfig {
            db: dir.join("sentinel.db"),
            evidence_dir: dir.join("evidence"),
            start_height,
            poll_ms: 300,
            max_blocks: 100,
        },
        detect: Default::default(),
        limit,
        // The grid operator's register: meter-1's rated power (the honest
        // meters have none, and are not checked).
        meters: [(
            fresh_signer("meter-1").address().to_string(),
            MeterData {
                zone: ZONE,
                rated_w: 4_000,
                storage_w: 0,
            },
        )]
        .into(),
        ml: Default::default(),
        gateway: Some(GatewayConfig {
            url: gateway.to_string(),
        }),
    };
    std::fs::write(path, toml::to_string(&cfg).unwrap()).unwrap();
}

#[test]
fn an_injected_ring_is_flagged_on_chain_and_restarts_neither_miss_nor_reflag() {
    let dir = deployment_file("sentinel").with_extension("d");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (cfg, log) = (dir.join("sentinel.toml"), dir.join("sentinel.log"));
    // Several threads: the in-process gateway answers the sentinel's
    // processes while the test waits for them.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        // ---- deploy: funders hold AIP, dispute window 0 (settle once reported)
        let start = chain().await.latest_block().await.unwrap().0;
        let mut opts = options(dir.join("deployment.json"));
        opts.market.dispute_window_secs = 0;
        for w in ["wallet-1", "wallet-2"] {
            opts.initial_balances
                .push((fresh_signer(w).address().to_string(), 1_000 * AIP));
        }
        let admin = as_account("validator").await;
        let d = deploy(&admin, &opts).await.expect("deploy").deployment;
        let m = Market {
            admin,
            dso: as_account("dso").await,
            matcher: as_account("matcher").await,
            oracle: as_account("oracle").await,
            faucet: as_account("faucet").await,
            d,
        };
        let settlement = m.addr("settlement");
        localnet::one_zone_grid(&settlement, ZONE).await;

        // ---- the sentinel follows from before the deployment
        // A test market of 12 accounts, 8 of them adversaries: the share cap
        // (20 % of the accounts seen by default) would hold most flags back.
        let limit = RateLimit {
            max_share: 0.75,
            ..RateLimit::default()
        };
        // Runs until the test ends.
        let gw = start_gateway(&m.d, &dir).await;
        let gw_url = gw.url.clone();
        write_config(&cfg, &m.d, &dir, start, limit, &gw_url);
        let run1 = spawn(&cfg, &log);

        // ---- participants: 4 honest households, a wash pair, a review ring
        // and a household whose meter exports at night
        let ps = onboard(
            &m,
            &[
                "alice", "bob", "carol", "dave", "wash-1", "wash-2", "ring-1", "ring-2", "ring-3",
                "meter-1",
            ],
        )
        .await;
        let [alice, bob, carol, dave, w1, w2, r1, r2, r3, m1] = &ps[..] else {
            unreachable!()
        };
        let (wallet1, wallet1_addr) = wallet(&m, "wallet-1").await;
        let (wallet2, _) = wallet(&m, "wallet-2").await;
        fund(&m, &wallet1, &[w1, w2], 100 * AIP).await;
        fund(&m, &wallet2, &[r1, r2, r3], 100 * AIP).await;

        // ---- slot 1
        let mut deals = vec![
            deal(alice, bob, 2_000),
            deal(carol, dave, 1_500),
            deal(alice, dave, 1_000),
        ];
        for _ in 0..5 {
            deals.push(deal(w1, w2, 1_000));
            deals.push(deal(w2, w1, 1_000));
        }
        deals.extend([deal(r1, r2, 1_000), deal(r2, r3, 1_000), deal(r3, r1, 1_000)]);
        let s1 = trade_slot(&m, &deals).await;
        let settled = Instant::now();
        let t = &s1.trades;
        let wash = flagged(&m, &[w1, w2], &log).await;
        let wash_latency = settled.elapsed();
        // Honest reviews: one mutual pair, one single rating.
        review(&m, t[0], &[(bob, alice, 5), (alice, bob, 4)]).await;
        review(&m, t[1], &[(dave, carol, 5)]).await;
        // The ring praises itself on every trade of its circle.
        let (ta, tb, tc) = (t[13], t[14], t[15]);
        review(&m, ta, &[(r1, r2, 5), (r2, r1, 5)]).await;
        review(&m, tb, &[(r2, r3, 5), (r3, r2, 5)]).await;
        review(&m, tc, &[(r3, r1, 5), (r1, r3, 5)]).await;
        let reviewed = Instant::now();
        let ring = flagged(&m, &[r1, r2, r3], &log).await;
        let ring_latency = reviewed.elapsed();
        // meter-1 (4 kW of PV, no storage in the grid operator's register)
        // exports 600 Wh in three slots of the night, 01:00 to 01:45 UTC
        // yesterday (chain time).
        let (_, now) = m.admin.latest_block().await.unwrap();
        let night = (now as u64 / 86_400 - 1) * 86_400 + 3_600;
        for k in 0..3 {
            let slot = night + k * 900;
            let reading = m1.key.reading(&m.d, m1.meter, slot, 600, 0).unwrap();
            m.oracle
                .execute(
                    &m.addr("meter-oracle"),
                    &json!({"submit_readings": {"slot": slot, "readings": [reading]}}),
                    &[],
                )
                .await
                .unwrap();
        }
        let meter = flagged(&m, &[m1], &log).await;
        eprintln!(
            "figure: flag latency, wash {:.1} s after the settling transaction, ring {:.1} s after the last review",
            wash_latency.as_secs_f64(),
            ring_latency.as_secs_f64()
        );

        // ---- flags on chain: code and evidence hash, served by the binary
        for (reasons, code) in [(&wash, "wash"), (&ring, "ring"), (&meter, "meter")] {
            for r in reasons {
                let hash = r
                    .strip_prefix(&format!("{code}:sha256:"))
                    .unwrap_or_else(|| panic!("{r} is not a {code} flag"));
                assert_eq!(hash.len(), 64, "{r}");
                let out = sentinel(&["evidence", "--config", cfg.to_str().unwrap(), hash]);
                assert!(out.status.success(), "{out:?}");
                let doc = String::from_utf8(out.stdout).unwrap();
                assert_eq!(hex::encode(Sha256::digest(doc.trim_end().as_bytes())), hash);
                let on_disk =
                    std::fs::read_to_string(dir.join("evidence").join(format!("{hash}.json")))
                        .unwrap();
                assert_eq!(on_disk, doc.trim_end());
            }
        }
        // The same documents over HTTP (`aip-sentinel serve`), and the flags.
        {
            let args = ["serve", "--config", cfg.to_str().unwrap(), "--listen", "127.0.0.1:0"];
            let mut serve = Agent::spawn(
                env!("CARGO_BIN_EXE_aip-sentinel"),
                args,
                &dir.join("serve.log"),
                Log::Fresh,
            );
            let line = serve.wait_for_line("listening on ", Duration::from_secs(30));
            let at = line.find("listening on ").unwrap() + "listening on ".len();
            let base = format!("http://{}", line[at..].trim());
            for r in wash.iter().chain(&ring).chain(&meter) {
                let hash = r.rsplit(':').next().unwrap();
                let doc = aip_matcher::verify::fetch(&format!("{base}/v1/evidence/{hash}")).unwrap();
                assert_eq!(hex::encode(Sha256::digest(doc.as_bytes())), hash);
            }
            let rows: Value =
                serde_json::from_str(&aip_matcher::verify::fetch(&format!("{base}/v1/flags")).unwrap())
                    .unwrap();
            let mut reasons: Vec<&str> = rows
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["reason"].as_str().unwrap())
                .collect();
            reasons.sort();
            let mut expected: Vec<&str> =
                wash.iter().chain(&ring).chain(&meter).map(String::as_str).collect();
            expected.sort();
            assert_eq!(reasons, expected, "{rows}");
            drop(serve);
        }
        let wash_doc: Value = serde_json::from_str(
            &String::from_utf8(
                sentinel(&[
                    "evidence",
                    "--config",
                    cfg.to_str().unwrap(),
                    wash[0].rsplit(':').next().unwrap(),
                ])
                .stdout,
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(wash_doc["account"], w1.addr.as_str(), "{wash_doc}");
        assert_eq!(wash_doc["code"], "wash", "{wash_doc}");
        let wash_doc = &wash_doc["evidence"];
        let mut members: Vec<&str> = wash_doc["cycle_members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        members.sort();
        let mut pair = vec![w1.addr.as_str(), w2.addr.as_str()];
        pair.sort();
        assert_eq!(members, pair, "{wash_doc}");
        for e in wash_doc["edges"].as_array().unwrap() {
            assert_eq!(e["trades"], 5, "{e}");
            assert_eq!(e["funding_linked"], true, "{e}");
        }

        // ---- the contract's freeze: score frozen and halved, orders refused
        for p in [w1, w2, r1, r2, r3, m1] {
            let r = reputation(&m, p).await;
            assert_eq!(r["score"].as_u64().unwrap(), flagged_score(&r), "{}: {r}", p.name);
            assert!(r["score"].as_u64() < r["base_score"].as_u64(), "{}: {r}", p.name);
            let terms: Value = m
                .admin
                .query(&m.addr("reputation"), &json!({"trading_terms": {"account": p.addr}}))
                .await
                .unwrap();
            assert_eq!(terms["flagged"], true, "{}: {terms}", p.name);
            assert_eq!(terms["premium_eligible"], false, "{}: {terms}", p.name);
        }
        // Five full sales of 1 kWh earn silver (score >= 600); flagged: bronze.
        for p in [w1, w2] {
            let r = reputation(&m, p).await;
            assert!(r["base_score"].as_u64().unwrap() >= 600, "{}: {r}", p.name);
            assert_eq!(r["tier"], "bronze", "{}: {r}", p.name);
        }
        // The ring's reviews of each other no longer count.
        for p in [r1, r2, r3] {
            let r = reputation(&m, p).await;
            assert_eq!(r["history"]["reviews_received"], 2, "{}: {r}", p.name);
            assert_eq!(r["history"]["counted_review_weight"], 0, "{}: {r}", p.name);
        }
        let (_, now) = m.admin.latest_block().await.unwrap();
        let next = market::next_open_slot(now as u64, 300, 60);
        let terms = |side, p: &Party| OrderTerms { side, slot: next, meter: p.meter, wh: 1_000, limit_price: PRICE as u64 };
        let refused = [
            signed_intent(&m, w1, next * 1_000, &terms(IntentSide::Buy, w1)),
            signed_intent(&m, alice, next * 1_000, &terms(IntentSide::Sell, alice)),
        ];
        let e = m
            .matcher
            .execute_multi(vec![market::commit_intents(&m.d, next, &refused, &[(0, 1, 1_000, PRICE)]).unwrap()])
            .await
            .unwrap_err();
        let msg = format!("intent 0 rejected: account {} may not trade: flagged by the guardian", w1.addr);
        assert!(e.raw_log().unwrap_or_default().contains(&msg), "{e}");

        // ---- honest households: not flagged, their reviews count
        for p in [alice, bob, carol, dave] {
            let r = reputation(&m, p).await;
            assert!(r["flag"].is_null(), "{}: {r}", p.name);
            assert_eq!(r["score"], r["base_score"], "{}: {r}", p.name);
        }
        assert!(
            reputation(&m, carol).await["history"]["counted_review_weight"].as_u64() > Some(0)
        );

        // ---- kill the sentinel (SIGKILL), note what it held
        drop(run1);
        let since: BTreeMap<String, Value> = {
            let mut s = BTreeMap::new();
            for p in [w1, w2, r1, r2, r3, m1] {
                s.insert(p.addr.clone(), reputation(&m, p).await["flag"]["since"].clone());
            }
            s
        };
        let db = dir.join("sentinel.db");
        let cursor1 = Store::open(&db).unwrap().cursor().unwrap().unwrap();
        assert!(cursor1 >= s1.settled_at, "cursor {cursor1} < {}", s1.settled_at);
        // As if the agent had died between ring-3's flag transaction and its
        // record of it: the restart must not post that flag again.
        rusqlite::Connection::open(&db)
            .unwrap()
            .execute("UPDATE flags SET posted = 0 WHERE account = ?1", [&r3.addr])
            .unwrap();

        // ---- while it is down: wallet-1 funds two more accounts that wash-trade
        let more = onboard(&m, &["wash-3", "wash-4"]).await;
        let (w3, w4) = (&more[0], &more[1]);
        fund(&m, &wallet1, &[w3, w4], 100 * AIP).await;
        // Their orders are also signed intents at the gateway (777 Wh each
        // way, over the next four slots): the sentinel reads them from the
        // frozen books.
        let (_, now) = m.admin.latest_block().await.unwrap();
        let next = market::next_open_slot(now as u64, 300, 60);
        let window = (next, next + 4 * 900);
        post_intent(&m, &gw_url, w3, aip_types::intent::Side::Sell, window, 777).await;
        post_intent(&m, &gw_url, w4, aip_types::intent::Side::Buy, window, 777).await;
        let mut deals = vec![deal(alice, bob, 1_200)];
        for _ in 0..3 {
            deals.push(deal(w3, w4, 800));
            deals.push(deal(w4, w3, 800));
        }
        let s2 = trade_slot(&m, &deals).await;
        for p in [w3, w4] {
            assert_eq!(flag_reason(&m, p).await, None, "{}", p.name);
        }

        // ---- restart on the same store
        let run2 = spawn(&cfg, &log);
        let sybil = flagged(&m, &[w3, w4], &log).await;
        for r in &sybil {
            assert!(r.starts_with("sybil:sha256:"), "{r}");
        }
        // Caught up past the second slot, then stopped.
        let until = Instant::now() + Duration::from_secs(60);
        while Store::open(&db).unwrap().cursor().unwrap().unwrap() < s2.settled_at {
            assert!(Instant::now() < until, "{}", tail(&log));
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        drop(run2);

        // Nobody re-flagged: one flag each, on chain since the first time.
        for p in [w1, w2, r1, r2, r3, m1] {
            assert_eq!(reputation(&m, p).await["flag"]["since"], since[&p.addr], "{}", p.name);
        }
        for p in [w1, w2, r1, r2, r3, m1, w3, w4] {
            assert_eq!(flag_lines(&log, &p.addr), 1, "{}:\n{}", p.name, tail(&log));
        }
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(
            text.lines().any(|l| l.contains("flag already on chain; recorded as posted") && l.contains(&r3.addr)),
            "{}",
            tail(&log)
        );
        let conn = rusqlite::Connection::open(&db).unwrap();
        let (flags, unposted): (i64, i64) = conn
            .query_row(
                "SELECT COUNT(*), COALESCE(SUM(posted = 0), 0) FROM flags",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((flags, unposted), (8, 0));
        for p in [alice, bob, carol, dave] {
            assert_eq!(flag_reason(&m, p).await, None, "{}", p.name);
        }
        // No missed block: every trade on chain is in the store exactly once,
        // with the funding of the second pair and the readings of a meter
        // registered before the restart (alice's, in the second slot).
        let events: Vec<Event> = {
            let mut st = conn.prepare("SELECT json FROM events ORDER BY seq").unwrap();
            let rows = st.query_map([], |r| r.get::<_, String>(0)).unwrap();
            rows.map(|j| serde_json::from_str(&j.unwrap()).unwrap())
                .collect()
        };
        let mut stored: Vec<u64> = events
            .iter()
            .filter_map(|e| match e {
                Event::Trade { id, .. } => Some(*id),
                _ => None,
            })
            .collect();
        stored.sort_unstable();
        let mut on_chain: Vec<u64> = s1.trades.iter().chain(&s2.trades).copied().collect();
        on_chain.sort_unstable();
        assert_eq!(stored, on_chain);
        assert!(events.iter().any(|e| matches!(e,
            Event::Transfer { from, to, .. } if *from == wallet1_addr && *to == w3.addr)));
        let slot2 = s2.slot;
        // The intents of the second pair, from the gateway's frozen book.
        for (p, side) in [(w3, Side::Offer), (w4, Side::Bid)] {
            let intent = Event::Order {
                account: p.addr.clone(),
                slot: slot2,
                side,
                wh: 777,
                price: PRICE as u64,
            };
            assert!(events.contains(&intent), "{intent:?} not in {events:?}");
        }
        assert!(events.iter().any(|e| matches!(e,
            Event::Reading { account, slot, exported_wh: 1_200, .. } if *account == alice.addr && *slot == slot2)),
            "{events:?}");

        // ---- the appeal: the guardian clears ring-1
        let out = sentinel(&["clear", "--config", cfg.to_str().unwrap(), &alice.addr]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("{} is not flagged by the sentinel", alice.addr)),
            "{err}"
        );
        assert_eq!(flag_reason(&m, alice).await, None);
        let weight_before = reputation(&m, r2).await["history"]["counted_review_weight"].clone();
        let out = sentinel(&["clear", "--config", cfg.to_str().unwrap(), &r1.addr]);
        assert!(out.status.success(), "{out:?}");
        let said = String::from_utf8(out.stdout).unwrap();
        assert_eq!(said.trim(), format!("cleared {} (was {})", r1.addr, ring[0]));
        let r = reputation(&m, r1).await;
        assert!(r["flag"].is_null(), "{r}");
        assert_eq!(r["score"], r["base_score"], "{r}");
        // ring-1's review of ring-2 counts again.
        assert_eq!(weight_before, 0);
        assert!(reputation(&m, r2).await["history"]["counted_review_weight"].as_u64() > Some(0));
        // A further run on the same evidence does not flag it again.
        let out = sentinel(&["run", "--once", "--config", cfg.to_str().unwrap()]);
        assert!(out.status.success(), "{out:?}");
        assert_eq!(flag_reason(&m, r1).await, None);

        // ---- a figure: blocks per second followed from a fresh store
        let (head, _) = m.admin.latest_block().await.unwrap();
        let fresh = dir.join("fresh");
        std::fs::create_dir_all(&fresh).unwrap();
        let cfg2 = fresh.join("sentinel.toml");
        // The same detectors, but every flag held back by the rate limit:
        // this store knows nothing of the appeal, and must post nothing.
        let hold = RateLimit {
            max_per_window: 0,
            ..RateLimit::default()
        };
        write_config(&cfg2, &m.d, &fresh, start, hold, &gw_url);
        let t0 = Instant::now();
        let out = sentinel(&["run", "--once", "--config", cfg2.to_str().unwrap()]);
        assert!(out.status.success(), "{out:?}");
        let secs = t0.elapsed().as_secs_f64();
        let read = Store::open(&fresh.join("sentinel.db")).unwrap().cursor().unwrap().unwrap() + 1 - start;
        assert!(read > head - start, "{read}");
        assert_eq!(flag_reason(&m, r1).await, None);
        eprintln!(
            "figure: caught up with {read} blocks in {secs:.1} s ({:.0} blocks/s)",
            read as f64 / secs
        );
    });
    let _ = std::fs::remove_dir_all(&dir);
}
