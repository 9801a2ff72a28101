//! A real node (`--node <rpc>`) as a [`Transport`] of the market protocol
//! ([`crate::protocol::Market`]), through `packages/chain-client`.
//!
//! * Contracts: a fresh `aip deploy` (library `aip_cli::deploy`) of the
//!   token, reputation, meter-oracle and settlement (copied from `artifacts/`
//!   next to the deployment file) with the simulation's settlement parameters (dispute window 0), recorded in
//!   `<out>/deployment.json`; the reputation admin mints (no KYC proofs).
//! * Accounts: the localnet's public test keys hold the roles (validator:
//!   admin/minter/treasury, dso, matcher, oracle). Each household gets its own
//!   key, derived from the `faucet` test mnemonic at `m/44'/118'/0'/0/{100+i}`
//!   (distinct addresses: settlement refuses self-trades and the books are
//!   per account); the faucet funds them with gas, the minter mints their
//!   AIP, and each deposits its share of it in settlement.
//! * Orders: the same protocol as in process ([`crate::protocol`]). Each
//!   order is an intent its household signs with its account key (ADR-036;
//!   every fourth household EIP-712), held off chain under a local id (its
//!   nonce) until gate closure; the matcher role then commits the slot's
//!   trades in one `commit_intents`, and settlement locks payments and
//!   collateral from the parties' free balances. No transaction per order.
//! * Time: the data is from 2016, the chain lives now. The adapter shifts
//!   every slot by a whole number of days (time of day kept) to lie ahead of
//!   the chain, and moves chain time with the localnet's test clock hook
//!   (`ci/localnet.sh advance`, a wasmd built by `ci/install-wasmd.sh`). A
//!   node without the hook cannot run the simulation (the clock would not
//!   move) and the adapter says so.

use std::path::{Path, PathBuf};
use std::process::Command;

use aip_cli::deploy::{DeployOptions, Roles};
use aip_cli::deployment::Deployment;
use aip_cli::market::{DeviceKey, WalletKey};
use aip_types::intent::IntentDomain;
use aip_types::{SlotId, SLOT_SECONDS};
use anyhow::{anyhow, bail, Context, Result};
use chain_client::{testnet, ChainClient, ChainConfig, Coin, Execute};
use cosmwasm_std::to_json_binary;
use serde::de::DeserializeOwned;
use serde::Serialize;
use settlement::msg::ReceiveMsg;

use crate::chain::{Participant, Reading};
use crate::protocol::{sim_settlement_params, Account, Contract, Market, Role, Transport};

/// The contracts the simulation deploys.
const SIM_CONTRACTS: [&str; 4] = ["aip-token", "reputation", "meter-oracle", "settlement"];

/// Gas each household receives from the faucet, in the fee denom.
const GAS_FUNDING: u128 = 50_000_000;

/// How to reach the node and where things are.
#[derive(Debug, Clone)]
pub struct NodeOptions {
    /// CometBFT RPC URL.
    pub rpc: String,
    /// Repository root (artifacts/, ci/localnet.sh).
    pub root: PathBuf,
    /// Where the deployment file goes.
    pub deployment: PathBuf,
}

/// The market protocol on a node.
pub type NodeChain = Market<Node>;

/// A node (`--node`) as the protocol's transport.
pub struct Node {
    rt: tokio::runtime::Runtime,
    d: Deployment,
    root: PathBuf,
    prefix: String,
    fee_denom: String,
    query: ChainClient,
    admin: ChainClient,
    dso: ChainClient,
    matcher: ChainClient,
    oracle: ChainClient,
    faucet: ChainClient,
    /// Meter id and device key of each household.
    meters: Vec<(u32, DeviceKey)>,
    domain: IntentDomain,
    /// Seconds added to simulation time to get chain time (whole days).
    shift: Option<u64>,
}

fn addr(name: &str, prefix: &str) -> Result<String> {
    Ok(testnet::signer(name, prefix)?.address().to_string())
}

/// The first error line of a failed call: the chain's log when there is one.
fn reason(e: &chain_client::Error) -> String {
    e.raw_log().map_or_else(|| e.to_string(), str::to_string)
}

/// The whole-day shift that puts simulation time `sim` at or after
/// `chain_now + margin`.
pub fn day_shift(sim: u64, chain_now: u64, margin: u64) -> u64 {
    let need = (chain_now + margin).saturating_sub(sim);
    need.div_ceil(86_400) * 86_400
}

impl Market<Node> {
    /// Connects, deploys every contract in `<root>/artifacts`.
    pub fn connect(opts: &NodeOptions) -> Result<NodeChain> {
        Ok(Market::over(Node::connect(opts)?))
    }
}

impl Node {
    /// Connects, deploys every contract in `<root>/artifacts`.
    pub fn connect(opts: &NodeOptions) -> Result<Node> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let cfg = ChainConfig {
            rpc_url: opts.rpc.clone(),
            ..ChainConfig::from_env()
        };
        let prefix = cfg.prefix.clone();
        let fee_denom = cfg.fee_denom.clone();
        // A bank send creating a new account uses more gas than it simulates
        // with: the faucet pads its estimate more.
        let faucet_cfg = ChainConfig {
            gas_adjustment: 2.0,
            ..cfg.clone()
        };
        let query = rt
            .block_on(ChainClient::connect(cfg))
            .with_context(|| format!("connect to {}", opts.rpc))?;
        let faucet = rt
            .block_on(ChainClient::connect(faucet_cfg))?
            .with_signer(testnet::signer("faucet", &prefix)?);
        let signer = |n: &str| -> Result<ChainClient> {
            Ok(query.with_signer(testnet::signer(n, &prefix)?))
        };
        let (admin, dso, matcher, oracle) = (
            signer("validator")?,
            signer("dso")?,
            signer("matcher")?,
            signer("oracle")?,
        );
        // A fresh deployment: the audit counts every token of it.
        if opts.deployment.exists() {
            std::fs::remove_file(&opts.deployment)
                .with_context(|| format!("remove {}", opts.deployment.display()))?;
        }
        if let Some(dir) = opts.deployment.parent() {
            std::fs::create_dir_all(dir)?;
        }
        // Only the market's contracts (KYC proofs are not simulated: the
        // reputation admin mints), copied so a rebuild of another artifact
        // mid-run changes nothing.
        let arts = opts.deployment.with_extension("artifacts");
        std::fs::create_dir_all(&arts)?;
        for c in SIM_CONTRACTS {
            let from = opts.root.join("artifacts").join(format!("{c}.wasm"));
            std::fs::copy(&from, arts.join(format!("{c}.wasm")))
                .with_context(|| format!("{} missing: run ci/build-wasm.sh", from.display()))?;
        }
        let dopts = deploy_options(arts, opts.deployment.clone(), &prefix)?;
        let rep = rt
            .block_on(aip_cli::deploy::deploy(&admin, &dopts))
            .context("deploy the contracts (aip deploy)")?;
        let d = rep.deployment;
        for c in SIM_CONTRACTS {
            d.address(c)
                .with_context(|| format!("{c} not deployed: run ci/build-wasm.sh"))?;
        }
        let domain = aip_cli::market::intent_domain(&d)?;
        Ok(Node {
            rt,
            d,
            root: opts.root.clone(),
            prefix,
            fee_denom,
            query,
            admin,
            dso,
            matcher,
            oracle,
            faucet,
            meters: vec![],
            domain,
            shift: None,
        })
    }

    /// The deployment the simulation runs on.
    pub fn deployment(&self) -> &Deployment {
        &self.d
    }

    fn c(&self, name: &str) -> String {
        self.d
            .address(name)
            .expect("checked at connect")
            .to_string()
    }

    fn signer(&self, role: Role) -> &ChainClient {
        match role {
            Role::Dso => &self.dso,
            Role::Matcher => &self.matcher,
            Role::Oracle => &self.oracle,
        }
    }

    /// Moves chain time forward by `secs` with the localnet's clock hook
    /// (`ci/localnet.sh advance`, or the script named by `AIP_LOCALNET_SCRIPT`
    /// relative to the repository, e.g. `ci/localnet-multi.sh` for the
    /// several-validator network).
    fn advance(&self, secs: u64) -> Result<()> {
        let script =
            std::env::var("AIP_LOCALNET_SCRIPT").unwrap_or_else(|_| "ci/localnet.sh".into());
        let out = Command::new(self.root.join(&script))
            .args(["advance", &secs.to_string()])
            .output()
            .with_context(|| format!("run {script} advance (set AIP_ROOT to the repository)"))?;
        if !out.status.success() {
            bail!(
                "{script} advance {secs} failed: --node needs the localnet's test clock hook (a wasmd built by ci/install-wasmd.sh): {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(())
    }
}

impl Transport for Node {
    fn label(&self) -> String {
        format!(
            "node {} (chain {}, chain-client)",
            self.d.rpc_url, self.d.chain_id
        )
    }

    fn domain(&self) -> Result<IntentDomain> {
        Ok(self.domain.clone())
    }

    fn enroll(
        &mut self,
        people: &[Participant],
        funding_uaip: u128,
        deposit_uaip: u128,
    ) -> Result<Vec<Account>> {
        let mnemonic = testnet::mnemonic("faucet")?;
        let mut accounts = Vec::with_capacity(people.len());
        let mut households = Vec::with_capacity(people.len());
        for i in 0..people.len() {
            let WalletKey { signer, intent } = WalletKey::from_mnemonic(
                mnemonic,
                &format!("m/44'/118'/0'/0/{}", 100 + i),
                &self.prefix,
            )?;
            accounts.push((signer.address().to_string(), intent));
            households.push(self.query.with_signer(signer));
        }
        let token = self.c("aip-token");
        let rep = self.c("reputation");
        let mo = self.c("meter-oracle");
        // Gas from the faucet, AIP and reputation tokens from the admin.
        for (a, _) in &accounts {
            let coin = Coin {
                denom: self.fee_denom.parse().map_err(|e| anyhow!("{e}"))?,
                amount: GAS_FUNDING,
            };
            self.rt
                .block_on(self.faucet.send(a, vec![coin]))
                .map_err(|e| anyhow!("fund {a} with gas: {}", reason(&e)))?;
        }
        let mut calls = Vec::new();
        for (a, _) in &accounts {
            calls.push(Execute::new(
                &token,
                &cw20::Cw20ExecuteMsg::Mint {
                    recipient: a.clone(),
                    amount: funding_uaip.into(),
                },
                &[],
            )?);
            calls.push(Execute::new(
                &rep,
                &reputation::msg::ExecuteMsg::MintFor { owner: a.clone() },
                &[],
            )?);
        }
        self.rt
            .block_on(self.admin.execute_multi(calls))
            .map_err(|e| anyhow!("mint AIP and reputation tokens: {}", reason(&e)))?;
        // Each household deposits part of its AIP with its own key: its free
        // balance in settlement, from which its intents trade.
        if deposit_uaip > 0 {
            let send = cw20::Cw20ExecuteMsg::Send {
                contract: self.c("settlement"),
                amount: deposit_uaip.into(),
                msg: to_json_binary(&ReceiveMsg::Deposit {})?,
            };
            for (h, (a, _)) in households.iter().zip(&accounts) {
                self.rt
                    .block_on(h.execute(&token, &send, &[]))
                    .map_err(|e| anyhow!("deposit of {a}: {}", reason(&e)))?;
            }
        }
        // Meters, registered by the DSO with deterministic device keys.
        self.meters = Vec::with_capacity(people.len());
        let mut out = Vec::with_capacity(people.len());
        for (i, (a, key)) in accounts.into_iter().enumerate() {
            let mut seed = [0x5a_u8; 32];
            seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
            let device = DeviceKey::from_seed(seed);
            let tx = self
                .rt
                .block_on(self.dso.execute(
                    &mo,
                    &meter_oracle::msg::ExecuteMsg::RegisterMeter {
                        owner: a.clone(),
                        node: people[i].node,
                        pubkey: device.public_key(),
                    },
                    &[],
                ))
                .map_err(|e| anyhow!("register meter: {}", reason(&e)))?;
            let meter: u32 = tx
                .wasm_attribute("meter")
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| anyhow!("register_meter: no meter attribute"))?;
            self.meters.push((meter, device));
            out.push(Account {
                addr: a,
                key,
                meter,
            });
        }
        Ok(out)
    }

    fn execute<M: Serialize + std::fmt::Debug>(
        &mut self,
        role: Role,
        contract: Contract,
        msgs: &[M],
    ) -> std::result::Result<(), String> {
        let to = self.address(contract);
        let calls = msgs
            .iter()
            .map(|m| Execute::new(&to, m, &[]))
            .collect::<chain_client::Result<Vec<_>>>()
            .map_err(|e| e.to_string())?;
        if calls.is_empty() {
            return Ok(());
        }
        self.rt
            .block_on(self.signer(role).execute_multi(calls))
            .map(|_| ())
            .map_err(|e| reason(&e))
    }

    fn query<T: DeserializeOwned>(&self, contract: Contract, msg: &impl Serialize) -> Result<T> {
        let c = self.address(contract);
        Ok(self.rt.block_on(self.query.query(&c, msg))?)
    }

    fn address(&self, contract: Contract) -> String {
        self.c(match contract {
            Contract::Token => "aip-token",
            Contract::Settlement => "settlement",
            Contract::Reputation => "reputation",
            Contract::MeterOracle => "meter-oracle",
        })
    }

    fn chain_slot(&self, slot: SlotId) -> Result<SlotId> {
        let shift = self.shift.ok_or_else(|| anyhow!("chain clock not set"))?;
        Ok(SlotId::new(slot.0 + shift)?)
    }

    fn set_time(&mut self, unix: u64) -> Result<()> {
        let now = self.chain_time()?;
        let shift = match self.shift {
            Some(s) => s,
            None => {
                // Room for the first orders: a slot and a half ahead.
                let s = day_shift(unix, now, SLOT_SECONDS + SLOT_SECONDS / 2);
                self.shift = Some(s);
                s
            }
        };
        let target = unix + shift;
        if target > now {
            self.advance(target - now)?;
        }
        Ok(())
    }

    fn chain_time(&self) -> Result<u64> {
        let (_, t) = self.rt.block_on(self.query.latest_block())?;
        Ok(t.max(0) as u64)
    }

    fn submit_readings(&mut self, slot: SlotId, readings: &[Reading]) -> Result<()> {
        let mut signed = Vec::with_capacity(readings.len());
        for r in readings {
            let (id, key) = self
                .meters
                .get(r.owner)
                .ok_or_else(|| anyhow!("reading of household {} without a meter", r.owner))?;
            let v = key.reading(
                &self.d,
                *id,
                slot.0,
                r.exported_wh.into(),
                r.imported_wh.into(),
            )?;
            signed.push(serde_json::from_value::<meter_oracle::msg::SignedReading>(
                v,
            )?);
        }
        let msgs: Vec<meter_oracle::msg::ExecuteMsg> = signed
            .chunks(meter_oracle::msg::MAX_BATCH)
            .map(|c| meter_oracle::msg::ExecuteMsg::SubmitReadings {
                slot,
                readings: c.to_vec(),
            })
            .collect();
        self.execute(Role::Oracle, Contract::MeterOracle, &msgs)
            .map_err(|e| anyhow!("submit readings: {e}"))
    }

    fn others(&self) -> Result<Vec<String>> {
        ["validator", "dso", "matcher", "oracle", "faucet"]
            .iter()
            .map(|n| addr(n, &self.prefix))
            .collect()
    }
}

/// What the simulation deploys on a node: the artifacts in `arts`, recorded
/// in `deployment`, the localnet's roles under `prefix`, and the same
/// settlement parameters as the in-process chain
/// ([`crate::protocol::sim_settlement_params`]).
pub fn deploy_options(arts: PathBuf, deployment: PathBuf, prefix: &str) -> Result<DeployOptions> {
    Ok(DeployOptions {
        roles: Roles::localnet(prefix)?,
        ..DeployOptions::localnet(arts, deployment, vec![], sim_settlement_params())?
    })
}

/// The repository root (for artifacts/ and ci/localnet.sh): `AIP_ROOT`, else
/// the current directory.
pub fn repo_root() -> PathBuf {
    std::env::var_os("AIP_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(".").to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::{day_shift, deploy_options};
    use crate::inprocess::InProcessChain;

    #[test]
    fn the_node_deploys_the_market_the_in_process_chain_runs() {
        let node = deploy_options("arts".into(), "d.json".into(), "wasm").unwrap();
        let chain = InProcessChain::new().unwrap();
        let cfg: settlement::msg::ConfigResponse = chain
            .d
            .app
            .wrap()
            .query_wasm_smart(&chain.d.settlement, &settlement::msg::QueryMsg::Config {})
            .unwrap();
        assert_eq!(node.market, cfg.params);
        // Both start from the market's defaults, not a test fixture's.
        assert_eq!(
            cfg.params.penalty_price,
            settlement::msg::MarketParams::default().penalty_price
        );
        assert_eq!(cfg.params.dispute_window_secs, 0);
    }

    #[test]
    fn the_day_shift_keeps_the_time_of_day_and_lands_ahead_of_the_chain() {
        let sim = 1_473_033_600 + 3_600; // 2016-09-05 01:00 UTC
        let now = 1_795_000_000;
        let s = day_shift(sim, now, 1_350);
        assert_eq!(s % 86_400, 0);
        assert!(sim + s >= now + 1_350);
        assert!(sim + s < now + 1_350 + 86_400);
        assert_eq!(day_shift(now + 5_000, now, 1_350), 0);
    }
}
