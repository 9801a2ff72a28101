//! Helpers of the tests that run against a wasmd localnet (feature
//! `localnet`): the one copy of what every `e2e` test, the localnet bench and
//! the load example need.
//!
//! * the network: [`endpoints`] (`AIP_RPC_URLS` of the 4-validator network,
//!   else `ChainConfig::from_env`), [`chain`], [`as_account`], [`addr`];
//! * the test clock: [`advance`] (`ci/localnet.sh advance`, or
//!   `ci/localnet-multi.sh advance` when [`multi`]) and [`clock_file`], the
//!   offset file it writes (give it to `gateway::offset_clock` or the
//!   gateway's `test_clock_offset_file`);
//! * households: [`onboard`] (gas, AIP, reputation token, meter) with
//!   [`household_signer`] and [`meter_seed`];
//! * tokens: [`token_audit`], the AIP supply against every account and
//!   settlement's books;
//! * settlement: [`one_zone_grid`] (zone and node 1, by the grid operator),
//!   [`trades_of`], every trade of a slot through the paged
//!   `trades_by_slot` query;
//! * the meter-oracle: [`deploy_meter_oracle`] (a fresh contract from
//!   `artifacts/`), [`register_meters`] with [`device_key`]s;
//! * the order gateway: [`LocalGateway`], the library server on loopback on
//!   the test clock;
//! * agents: [`Agent`], an agent binary run by the test, its output in a log
//!   file (read back without colour codes, waited on line by line), killed
//!   when dropped.
//!
//! Every helper panics with the cause when the chain is not there: these are
//! test helpers, and a panic is a test failure with a message.

use std::path::{Path, PathBuf};

use aip_types::SlotId;
use chain_client::{testnet, ChainClient, ChainConfig};
use settlement::msg::{QueryMsg, TradeResponse, TradesResponse};

/// Page size of `trades_by_slot` (the contract's maximum).
pub const TRADES_PAGE: u32 = 500;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A single-threaded tokio runtime for one test.
pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// The RPC endpoints: `AIP_RPC_URLS` (comma-separated, the 4-validator
/// network of `ci/localnet-multi.sh`), else the one of `ChainConfig::from_env`.
pub fn endpoints() -> Vec<String> {
    match std::env::var("AIP_RPC_URLS") {
        Ok(v) if !v.trim().is_empty() => v.split(',').map(|s| s.trim().to_string()).collect(),
        _ => vec![ChainConfig::from_env().rpc_url],
    }
}

/// Whether the test runs on the 4-validator network (more than one endpoint).
pub fn multi() -> bool {
    endpoints().len() > 1
}

/// A client of the localnet (`ChainConfig::from_env`), without a signer.
pub async fn chain() -> ChainClient {
    ChainClient::connect(ChainConfig::from_env())
        .await
        .expect("no chain: ci/localnet.sh start (or ci/localnet-multi.sh start)")
}

/// A client signing as the test account `name` (`ci/localnet-accounts.txt`).
pub async fn as_account(name: &str) -> ChainClient {
    let c = chain().await;
    let prefix = c.config().prefix.clone();
    c.with_signer(testnet::signer(name, &prefix).expect("a test account"))
}

/// The address of the test account `name`.
pub fn addr(name: &str) -> String {
    testnet::signer(name, "wasm")
        .expect("a test account")
        .address()
        .to_string()
}

/// Moves chain time forward by `secs` with the clock hook of whichever
/// network runs (`ci/localnet.sh advance`, `ci/localnet-multi.sh advance`).
pub fn advance(secs: u64) {
    let script = if multi() {
        "ci/localnet-multi.sh"
    } else {
        "ci/localnet.sh"
    };
    let st = std::process::Command::new(root().join(script))
        .args(["advance", &secs.to_string()])
        .status()
        .unwrap_or_else(|e| panic!("{script}: {e}"));
    assert!(st.success(), "{script} advance {secs} failed");
}

/// The clock-offset file `advance` writes: `$AIP_LOCALNET_HOME/clock-offset`,
/// or node 0's of the 4-validator network (`$AIP_MULTI_HOME/node0`).
/// Defaults under `$AIP_CACHE` (`~/.cache/aipchain`), as the scripts.
pub fn clock_file() -> PathBuf {
    let cache = std::env::var_os("AIP_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/aipchain")
        });
    if multi() {
        std::env::var_os("AIP_MULTI_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| cache.join("localnet/multi"))
            .join("node0/clock-offset")
    } else {
        std::env::var_os("AIP_LOCALNET_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| cache.join("localnet/home"))
            .join("clock-offset")
    }
}

/// Every trade of `slot` in the settlement contract, page by page.
pub async fn trades_of(c: &ChainClient, settlement: &str, slot: u64) -> Vec<TradeResponse> {
    let mut all = vec![];
    let mut start_after = None;
    loop {
        let page: TradesResponse = c
            .query(
                settlement,
                &QueryMsg::TradesBySlot {
                    slot: SlotId(slot),
                    start_after,
                    limit: Some(TRADES_PAGE),
                },
            )
            .await
            .unwrap_or_else(|e| panic!("trades_by_slot {slot}: {e}"));
        let n = page.trades.len();
        start_after = page.trades.last().map(|t| t.id);
        all.extend(page.trades);
        if n < TRADES_PAGE as usize {
            return all;
        }
    }
}

/// The one-zone grid of most localnet tests: the grid operator (test
/// account `dso`) publishes zone `zone` in `settlement` and places grid node 1
/// in it, in one transaction.
pub async fn one_zone_grid(settlement: &str, zone: aip_types::ZoneId) {
    use settlement::msg::{ExecuteMsg, NodeZone, Zone};
    let calls = vec![
        chain_client::Execute::new(
            settlement,
            &ExecuteMsg::UpsertZone {
                zone: Zone {
                    id: zone,
                    name: format!("feeder {zone}"),
                },
            },
            &[],
        )
        .expect("an upsert_zone message"),
        chain_client::Execute::new(
            settlement,
            &ExecuteMsg::SetNodeZones {
                nodes: vec![NodeZone { node: 1, zone }],
            },
            &[],
        )
        .expect("a set_node_zones message"),
    ];
    as_account("dso")
        .await
        .execute_multi(calls)
        .await
        .expect("publish the zone and node 1");
}

/// The device key of meter `meter` in a test: 32 bytes of `fill`, the meter
/// id big-endian in the first four.
pub fn device_key(fill: u8, meter: u32) -> ed25519_dalek::SigningKey {
    let mut seed = [fill; 32];
    seed[..4].copy_from_slice(&meter.to_be_bytes());
    ed25519_dalek::SigningKey::from_bytes(&seed)
}

/// A fresh meter-oracle: `artifacts/meter-oracle.wasm` stored and
/// instantiated by the test account `carol` (no contract admin), with the
/// test account `dso` as grid operator and `operators` reporting with
/// `quorum` and `tolerance`. Its address.
pub async fn deploy_meter_oracle(
    operators: Vec<String>,
    quorum: u32,
    tolerance: meter_oracle::msg::Tolerance,
    label: &str,
) -> String {
    let path = root().join("artifacts/meter-oracle.wasm");
    let wasm = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{} (run ci/build-wasm.sh meter-oracle): {e}",
            path.display()
        )
    });
    let admin = as_account("carol").await;
    let stored = admin.store(&wasm).await.expect("store meter-oracle.wasm");
    admin
        .instantiate(
            stored.code_id,
            &meter_oracle::msg::InstantiateMsg {
                admin: None,
                grid_operator: addr("dso"),
                operators,
                quorum,
                tolerance,
            },
            label,
            None,
        )
        .await
        .expect("instantiate the meter-oracle")
        .address
}

/// Registers meters `1..=meters` of `contract` (each at the grid node of its
/// id, owned by `owner`, device key [`device_key`]`(fill, id)`) as the test
/// account `dso`, `chunk` meters a transaction. The device keys by meter.
pub async fn register_meters(
    contract: &str,
    owner: &str,
    meters: u32,
    fill: u8,
    chunk: usize,
) -> Vec<(u32, ed25519_dalek::SigningKey)> {
    let dso = as_account("dso").await;
    let keys: Vec<(u32, ed25519_dalek::SigningKey)> =
        (1..=meters).map(|m| (m, device_key(fill, m))).collect();
    let calls: Vec<chain_client::Execute> = keys
        .iter()
        .map(|(m, key)| {
            chain_client::Execute::new(
                contract,
                &meter_oracle::msg::ExecuteMsg::RegisterMeter {
                    owner: owner.to_string(),
                    node: *m,
                    pubkey: cosmwasm_std::Binary::from(key.verifying_key().to_bytes().to_vec()),
                },
                &[],
            )
            .expect("a register_meter message")
        })
        .collect();
    for part in calls.chunks(chunk.max(1)) {
        dso.execute_multi(part.to_vec())
            .await
            .expect("register meters");
    }
    keys
}

/// A gateway (the `gateway` library's server) a test runs on loopback, its
/// clock the localnet's test clock ([`clock_file`]): intents expire and
/// books freeze on chain time.
pub struct LocalGateway {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl LocalGateway {
    /// Starts the gateway of `cfg` (listen address, database, contract,
    /// gate closure...) with free balances from `balance`: settlement's
    /// ([`LocalGateway::chain_balance`]) or a fixed one.
    pub async fn start(
        cfg: gateway::Config,
        balance: std::sync::Arc<dyn gateway::BalanceSource>,
    ) -> LocalGateway {
        let clock = gateway::offset_clock(clock_file());
        let listener = tokio::net::TcpListener::bind(&cfg.listen)
            .await
            .unwrap_or_else(|e| panic!("gateway listen {}: {e}", cfg.listen));
        let url = format!(
            "http://{}",
            listener.local_addr().expect("a bound listener's address")
        );
        let gw = gateway::Gateway::new(cfg, balance, clock).expect("the gateway starts");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(gateway::serve(listener, gw, async {
            let _ = stopped.await;
        }));
        LocalGateway { url, stop, server }
    }

    /// Settlement's free balances on the localnet, as the production gateway reads them.
    pub async fn chain_balance(settlement: &str) -> std::sync::Arc<dyn gateway::BalanceSource> {
        std::sync::Arc::new(gateway::ChainBalance::new(
            chain().await,
            settlement.to_string(),
        ))
    }

    /// Stops the server gracefully and waits for it; panics if it failed.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        self.server
            .await
            .expect("the gateway task")
            .expect("the gateway served without error");
    }
}

/// The wallet of a test household named `label`: `sha256(label)` as its
/// secp256k1 secret (as `IntentKey::from_label`: the same key signs its
/// intents), prefix `wasm`.
pub fn household_signer(label: &str) -> chain_client::Signer {
    use sha2::Digest;
    let secret: [u8; 32] = sha2::Sha256::digest(label.as_bytes()).into();
    let key = chain_client::cosmrs::crypto::secp256k1::SigningKey::from_slice(&secret)
        .expect("sha256 of a label is a secp256k1 secret");
    chain_client::Signer::from_signing_key(key, "wasm").expect("a signer")
}

/// The seed of the meter device key of the test household `label`:
/// `sha256("<label> meter")` (`aip_cli::market::DeviceKey::from_seed`).
pub fn meter_seed(label: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(format!("{label} meter").as_bytes()).into()
}

/// A household to onboard ([`onboard`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewHousehold {
    /// Its name: its wallet ([`household_signer`]) and meter key
    /// ([`meter_seed`]) derive from it.
    pub label: String,
    /// The grid node of its meter.
    pub node: aip_types::NodeId,
    /// AIP it receives, uaip.
    pub aip: u128,
}

/// Onboards `households` on the deployment of `token`, `reputation` and
/// `meter_oracle`, `chunk` households a transaction: gas coins (`gas` of
/// the chain's fee denom each) from the test account `faucet`, its AIP from
/// `alice`, its reputation token minted by `validator` (the reputation admin
/// of a test deployment), its meter registered by `dso`. Every transaction's
/// time goes to `observe`. The meter ids, in `households` order.
pub async fn onboard(
    households: &[NewHousehold],
    token: &str,
    reputation: &str,
    meter_oracle: &str,
    gas: u128,
    chunk: usize,
    mut observe: impl FnMut(std::time::Duration),
) -> Vec<u32> {
    use chain_client::cosmrs::tx::Msg;
    use chain_client::Execute;
    let (faucet, alice, admin, dso) = (
        as_account("faucet").await,
        as_account("alice").await,
        as_account("validator").await,
        as_account("dso").await,
    );
    let denom = faucet.config().fee_denom.clone();
    let from = faucet.address().expect("the faucet signs").clone();
    let address = |h: &NewHousehold| household_signer(&h.label).address().clone();
    let mut meters = Vec::with_capacity(households.len());
    for part in households.chunks(chunk.max(1)) {
        let coins = part
            .iter()
            .map(|h| {
                chain_client::cosmrs::bank::MsgSend {
                    from_address: from.clone(),
                    to_address: address(h),
                    amount: vec![chain_client::Coin {
                        denom: denom.parse().expect("a denom"),
                        amount: gas,
                    }],
                }
                .to_any()
                .expect("a bank send")
            })
            .collect();
        let t = std::time::Instant::now();
        faucet
            .broadcast(coins, "")
            .await
            .expect("gas for the households");
        observe(t.elapsed());
        let transfers = part
            .iter()
            .map(|h| {
                Execute::new(
                    token,
                    &cw20::Cw20ExecuteMsg::Transfer {
                        recipient: address(h).to_string(),
                        amount: h.aip.into(),
                    },
                    &[],
                )
                .expect("a transfer")
            })
            .collect();
        let t = std::time::Instant::now();
        alice
            .execute_multi(transfers)
            .await
            .expect("AIP for the households");
        observe(t.elapsed());
        let mints = part
            .iter()
            .map(|h| {
                Execute::new(
                    reputation,
                    &aip_types::hooks::ReputationExecuteHook::MintFor {
                        owner: address(h).to_string(),
                    },
                    &[],
                )
                .expect("a mint_for")
            })
            .collect();
        let t = std::time::Instant::now();
        admin.execute_multi(mints).await.expect("reputation tokens");
        observe(t.elapsed());
        let regs = part
            .iter()
            .map(|h| {
                let device = ed25519_dalek::SigningKey::from_bytes(&meter_seed(&h.label));
                Execute::new(
                    meter_oracle,
                    &meter_oracle::msg::ExecuteMsg::RegisterMeter {
                        owner: address(h).to_string(),
                        node: h.node,
                        pubkey: cosmwasm_std::Binary::from(
                            device.verifying_key().to_bytes().to_vec(),
                        ),
                    },
                    &[],
                )
                .expect("a register_meter")
            })
            .collect();
        let t = std::time::Instant::now();
        let tx = dso.execute_multi(regs).await.expect("meters");
        observe(t.elapsed());
        let ids = tx.attributes("wasm", "meter");
        assert_eq!(ids.len(), part.len(), "one meter id per registration");
        meters.extend(ids.iter().map(|id| id.parse::<u32>().expect("a meter id")));
    }
    meters
}

/// The AIP token's books next to settlement's, read on the localnet
/// ([`token_audit`]).
#[derive(Clone, Debug)]
pub struct TokenAudit {
    /// What every token account but settlement holds, uaip.
    pub others: u128,
    /// Settlement's holdings by purpose.
    pub holdings: settlement::msg::HoldingsResponse,
    /// Settlement's own token balance, uaip.
    pub settlement_balance: u128,
    /// The token's total supply, uaip.
    pub supply: u128,
}

/// Reads [`TokenAudit`]: every account of `token` (paged `all_accounts`)
/// with its balance, settlement's `holdings` and token balance, the supply.
pub async fn token_audit(c: &ChainClient, token: &str, settlement: &str) -> TokenAudit {
    use cw20::{AllAccountsResponse, BalanceResponse, Cw20QueryMsg, TokenInfoResponse};
    const PAGE: u32 = 30;
    let balance = move |address: String| async move {
        let b: BalanceResponse = c
            .query(token, &Cw20QueryMsg::Balance { address })
            .await
            .expect("a cw20 balance");
        b.balance.u128()
    };
    let mut others = 0u128;
    let mut start_after = None;
    loop {
        let page: AllAccountsResponse = c
            .query(
                token,
                &Cw20QueryMsg::AllAccounts {
                    start_after: start_after.clone(),
                    limit: Some(PAGE),
                },
            )
            .await
            .expect("cw20 all_accounts");
        for a in &page.accounts {
            if a != settlement {
                others += balance(a.clone()).await;
            }
        }
        if page.accounts.len() < PAGE as usize {
            break;
        }
        start_after = page.accounts.last().cloned();
    }
    let holdings: settlement::msg::HoldingsResponse = c
        .query(settlement, &settlement::msg::QueryMsg::Holdings {})
        .await
        .expect("settlement holdings");
    let info: TokenInfoResponse = c
        .query(token, &Cw20QueryMsg::TokenInfo {})
        .await
        .expect("cw20 token_info");
    TokenAudit {
        others,
        holdings,
        settlement_balance: balance(settlement.to_string()).await,
        supply: info.total_supply.u128(),
    }
}

/// Whether an [`Agent`]'s log file starts empty or keeps what an earlier run wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Log {
    /// Truncate the file.
    Fresh,
    /// Append to the file (a restarted agent after the first run).
    Append,
}

/// An agent binary (`aip-oracle`, `aip-sentinel`, ...) started by a test,
/// killed (SIGKILL) and reaped when dropped, so a failing test leaves no
/// process behind.
#[derive(Debug)]
pub struct Agent {
    child: std::process::Child,
    log: PathBuf,
}

impl Agent {
    /// Starts `bin args…` with `RUST_LOG=info` and `NO_COLOR=1`, stdin
    /// closed, stdout and stderr (the tracing log) written to `log`.
    pub fn spawn<I, S>(bin: impl AsRef<std::ffi::OsStr>, args: I, log: &Path, mode: Log) -> Agent
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let bin = bin.as_ref();
        let out = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .append(mode == Log::Append)
            .truncate(mode == Log::Fresh)
            .open(log)
            .unwrap_or_else(|e| panic!("log file {}: {e}", log.display()));
        let err = out
            .try_clone()
            .unwrap_or_else(|e| panic!("log file {}: {e}", log.display()));
        let child = std::process::Command::new(bin)
            .args(args)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", bin.to_string_lossy()));
        Agent {
            child,
            log: log.to_path_buf(),
        }
    }

    /// The process, to wait for or kill.
    pub fn child(&mut self) -> &mut std::process::Child {
        &mut self.child
    }

    /// What the agent has logged so far, terminal colour codes removed
    /// (empty if the file cannot be read).
    pub fn log(&self) -> String {
        strip_ansi(&std::fs::read_to_string(&self.log).unwrap_or_default())
    }

    /// The last `n` lines of [`Agent::log`], for a failure message.
    pub fn tail(&self, n: usize) -> String {
        tail(&self.log, n)
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Kills the process (SIGKILL) and reaps it, as a crash would stop it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits up to `timeout` for a log line containing `needle` and returns
    /// it; panics with the log's tail when none comes or the process exits.
    pub fn wait_for_line(&mut self, needle: &str, timeout: std::time::Duration) -> String {
        let until = std::time::Instant::now() + timeout;
        loop {
            if let Some(l) = self.log().lines().find(|l| l.contains(needle)) {
                return l.to_string();
            }
            assert!(
                self.alive() && std::time::Instant::now() < until,
                "no log line with {needle:?}:\n{}",
                self.tail(40)
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
}

/// The last `n` lines of the log file `log`, colour codes removed (empty if
/// it cannot be read): for a failure message.
pub fn tail(log: &Path, n: usize) -> String {
    let text = strip_ansi(&std::fs::read_to_string(log).unwrap_or_default());
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// `s` without ANSI escape sequences (terminal colours).
pub fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
