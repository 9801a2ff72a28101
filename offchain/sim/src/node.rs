//! [`MarketChain`] on a real node (`--node <rpc>`), through
//! `packages/chain-client`.
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
//!   AIP, and each deposits [`market_deposit`] of it in settlement.
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

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use aip_cli::deploy::{DeployOptions, KycMode, MarketParams, Roles};
use aip_cli::deployment::Deployment;
use aip_cli::market::{DeviceKey, WalletKey};
use aip_types::intent::sign::IntentKey;
use aip_types::intent::{BatchIntent, IntentDomain};
use aip_types::{SlotId, ZoneId, SLOT_SECONDS};
use anyhow::{anyhow, bail, Context, Result};
use chain_client::{testnet, ChainClient, ChainConfig, Coin, Execute};
use cosmwasm_std::to_json_binary;
use serde::de::DeserializeOwned;
use serde_json::json;
use settlement::msg::{
    BalanceResponse, ConfigResponse, ExecuteMsg, HoldingsResponse, QueryMsg, ReceiveMsg,
    SlotStatusResponse, TradesResponse, Zone as SZone,
};

use crate::chain::{
    market_deposit, Audit, Capabilities, Committed, MarketChain, NewOrder, Participant, Reading,
    SettleReport,
};
use crate::market::{Network, Trade};
use crate::protocol;

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

/// The chain behind `--node`.
pub struct NodeChain {
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
    households: Vec<ChainClient>,
    /// Each household's key for intents (the same key as its account's).
    keys: Vec<IntentKey>,
    addrs: Vec<String>,
    index: BTreeMap<String, usize>,
    people: Vec<Participant>,
    meters: Vec<(u32, DeviceKey)>,
    /// The chain and settlement contract every intent is bound to.
    domain: IntentDomain,
    /// Signed intents waiting for their slot's commit: chain slot -> local
    /// id (the nonce) -> (household, intent).
    held: BTreeMap<u64, BTreeMap<u64, (usize, BatchIntent)>>,
    /// The next local id, which is also the next intent's nonce.
    next_id: u64,
    sellers: BTreeMap<u64, BTreeSet<usize>>,
    max_batch: usize,
    scores: Vec<u16>,
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

impl NodeChain {
    /// Connects, deploys every contract in `<root>/artifacts`.
    pub fn connect(opts: &NodeOptions) -> Result<NodeChain> {
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
        let mut roles = Roles::all(&addr("validator", &prefix)?);
        roles.grid_operator = addr("dso", &prefix)?;
        roles.matcher = addr("matcher", &prefix)?;
        roles.oracle = addr("oracle", &prefix)?;
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
        let dopts = DeployOptions {
            artifacts: arts,
            out: opts.deployment.clone(),
            roles,
            initial_balances: vec![],
            market: MarketParams {
                dispute_window_secs: 0,
                ..MarketParams::default()
            },
            oracle_quorum: 1,
            zk_verifying_key: None,
            kyc: KycMode::AdminMints,
        };
        let rep = rt
            .block_on(aip_cli::deploy::deploy(&admin, &dopts))
            .context("deploy the contracts (aip deploy)")?;
        let d = rep.deployment;
        for c in SIM_CONTRACTS {
            d.address(c)
                .with_context(|| format!("{c} not deployed: run ci/build-wasm.sh"))?;
        }
        let domain = aip_cli::market::intent_domain(&d)?;
        Ok(NodeChain {
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
            households: vec![],
            keys: vec![],
            addrs: vec![],
            index: BTreeMap::new(),
            people: vec![],
            meters: vec![],
            domain,
            held: BTreeMap::new(),
            next_id: 1,
            sellers: BTreeMap::new(),
            max_batch: 500,
            scores: vec![],
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

    fn q<T: DeserializeOwned>(&self, contract: &str, msg: &impl serde::Serialize) -> Result<T> {
        let c = self.c(contract);
        Ok(self.rt.block_on(self.query.query(&c, msg))?)
    }

    fn sq<T: DeserializeOwned>(&self, msg: &QueryMsg) -> Result<T> {
        self.q("settlement", msg)
    }

    fn exec(&self, who: &ChainClient, contract: &str, msg: &impl serde::Serialize) -> Result<()> {
        let c = self.c(contract);
        self.rt
            .block_on(who.execute(&c, msg, &[]))
            .map_err(|e| anyhow!("{}", reason(&e)))?;
        Ok(())
    }

    fn token_balance(&self, who: &str) -> Result<u128> {
        let r: cw20::BalanceResponse =
            self.q("aip-token", &json!({"balance": {"address": who}}))?;
        Ok(r.balance.u128())
    }

    fn ledger(&self, who: &str) -> Result<BalanceResponse> {
        self.sq(&QueryMsg::Balance {
            account: who.to_string(),
        })
    }

    fn chain_time(&self) -> Result<u64> {
        let (_, t) = self.rt.block_on(self.query.latest_block())?;
        Ok(t.max(0) as u64)
    }

    fn slot(&self, s: SlotId) -> Result<SlotId> {
        let shift = self.shift.ok_or_else(|| anyhow!("chain clock not set"))?;
        Ok(SlotId::new(s.0 + shift)?)
    }

    fn refresh_reputation(&mut self) -> Result<()> {
        let r: aip_types::hooks::PriorityScoresResponse = self.q(
            "reputation",
            &reputation::msg::QueryMsg::PriorityScores {
                accounts: self.addrs.clone(),
            },
        )?;
        let by: BTreeMap<&str, u16> = r
            .scores
            .iter()
            .map(|s| (s.account.as_str(), s.score))
            .collect();
        self.scores = self
            .addrs
            .iter()
            .map(|a| by.get(a.as_str()).copied().unwrap_or(0))
            .collect();
        Ok(())
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

impl MarketChain for NodeChain {
    fn label(&self) -> String {
        format!(
            "node {} (chain {}, chain-client), signed intents",
            self.d.rpc_url, self.d.chain_id
        )
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            settlement: true,
            reputation: true,
            meter_oracle: true,
            signed_intents: true,
        }
    }

    fn setup(&mut self, people: &[Participant], net: &Network, funding_uaip: u128) -> Result<()> {
        self.people = people.to_vec();
        let mnemonic = testnet::mnemonic("faucet")?;
        for i in 0..people.len() {
            let WalletKey { signer, intent } = WalletKey::from_mnemonic(
                mnemonic,
                &format!("m/44'/118'/0'/0/{}", 100 + i),
                &self.prefix,
            )?;
            self.addrs.push(signer.address().to_string());
            self.households.push(self.query.with_signer(signer));
            self.keys.push(intent);
        }
        self.index = self
            .addrs
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, a)| (a, i))
            .collect();
        let token = self.c("aip-token");
        let rep = self.c("reputation");
        let mo = self.c("meter-oracle");
        // Gas from the faucet, AIP and reputation tokens from the admin.
        for a in &self.addrs {
            let coin = Coin {
                denom: self.fee_denom.parse().map_err(|e| anyhow!("{e}"))?,
                amount: GAS_FUNDING,
            };
            self.rt
                .block_on(self.faucet.send(a, vec![coin]))
                .map_err(|e| anyhow!("fund {a} with gas: {}", reason(&e)))?;
        }
        let mut calls = Vec::new();
        for a in &self.addrs {
            calls.push(Execute::new(
                &token,
                &json!({"mint": {"recipient": a, "amount": funding_uaip.to_string()}}),
                &[],
            )?);
            calls.push(Execute::new(&rep, &json!({"mint_for": {"owner": a}}), &[])?);
        }
        self.rt
            .block_on(self.admin.execute_multi(calls))
            .map_err(|e| anyhow!("mint AIP and reputation tokens: {}", reason(&e)))?;
        // Each household deposits part of its AIP: its free balance in
        // settlement, from which its intents trade.
        let deposit = market_deposit(funding_uaip);
        if deposit > 0 {
            let settlement = self.c("settlement");
            let send = cw20::Cw20ExecuteMsg::Send {
                contract: settlement,
                amount: deposit.into(),
                msg: to_json_binary(&ReceiveMsg::Deposit {})?,
            };
            for (h, a) in self.households.iter().zip(&self.addrs) {
                self.rt
                    .block_on(h.execute(&token, &send, &[]))
                    .map_err(|e| anyhow!("deposit of {a}: {}", reason(&e)))?;
            }
        }
        // Meters, registered by the DSO with deterministic device keys.
        for (i, a) in self.addrs.clone().iter().enumerate() {
            let mut seed = [0x5a_u8; 32];
            seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
            let key = DeviceKey::from_seed(seed);
            let tx = self
                .rt
                .block_on(self.dso.execute(
                    &mo,
                    &json!({"register_meter": {"owner": a, "node": people[i].node, "pubkey": key.public_key()}}),
                    &[],
                ))
                .map_err(|e| anyhow!("register meter: {}", reason(&e)))?;
            let id: u32 = tx
                .wasm_attribute("meter")
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| anyhow!("register_meter: no meter attribute"))?;
            self.meters.push((id, key));
        }
        self.refresh_reputation()?;
        let cfg: ConfigResponse = self.sq(&QueryMsg::Config {})?;
        self.max_batch = cfg.params.max_batch as usize;
        // Zones, routes and the node -> zone map, one transaction.
        let settlement = self.c("settlement");
        let zones: BTreeSet<ZoneId> = people
            .iter()
            .map(|p| p.zone)
            .chain(net.corridors.iter().flat_map(|c| [c.from, c.to]))
            .collect();
        let mut calls = Vec::new();
        for &z in &zones {
            calls.push(Execute::new(
                &settlement,
                &ExecuteMsg::UpsertZone {
                    zone: SZone {
                        id: z,
                        name: format!("zone {z}"),
                    },
                },
                &[],
            )?);
        }
        let zones: Vec<ZoneId> = zones.into_iter().collect();
        for c in crate::inprocess::routes(&zones, &net.corridors) {
            calls.push(Execute::new(
                &settlement,
                &ExecuteMsg::SetCorridor { corridor: c },
                &[],
            )?);
        }
        for nodes in crate::inprocess::node_zones(people).chunks(500) {
            calls.push(Execute::new(
                &settlement,
                &ExecuteMsg::SetNodeZones {
                    nodes: nodes.to_vec(),
                },
                &[],
            )?);
        }
        self.rt
            .block_on(self.dso.execute_multi(calls))
            .map_err(|e| anyhow!("publish zones and corridors: {}", reason(&e)))?;
        Ok(())
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

    fn place_orders(
        &mut self,
        slot: SlotId,
        orders: &[NewOrder],
    ) -> Result<Vec<std::result::Result<u64, String>>> {
        let slot = self.slot(slot)?;
        let mut out = Vec::with_capacity(orders.len());
        for o in orders {
            let id = self.next_id;
            let meter = self.meters[o.owner].0;
            let owner = &self.addrs[o.owner];
            let intent = match protocol::order_intent(&self.domain, owner, id, slot, meter, o) {
                Ok(i) => i,
                Err(e) => {
                    out.push(Err(e));
                    continue;
                }
            };
            let intent = protocol::sign(&self.keys[o.owner], o.owner, &intent);
            self.next_id += 1;
            self.held
                .entry(slot.0)
                .or_default()
                .insert(id, (o.owner, intent));
            out.push(Ok(id));
        }
        Ok(out)
    }

    fn commit(&mut self, slot: SlotId, trades: &[Trade]) -> Committed {
        let slot = match self.slot(slot) {
            Ok(s) => s,
            Err(e) => {
                return Committed {
                    rejected: Some(e.to_string()),
                    ..Committed::default()
                }
            }
        };
        let held = self.held.remove(&slot.0).unwrap_or_default();
        // Intents of slots already past can never be committed.
        self.held.retain(|&s, _| s > slot.0);
        let batch: BTreeMap<u64, BatchIntent> =
            held.iter().map(|(&id, (_, b))| (id, b.clone())).collect();
        let out = protocol::commit_slot(&batch, trades, self.max_batch, |intents, trades| {
            let msg = ExecuteMsg::CommitIntents {
                slot,
                intents,
                trades,
            };
            self.exec(&self.matcher, "settlement", &msg)
                .map_err(|e| protocol::refusal_from_log(&e.to_string()))
        });
        for &i in &out.taken {
            if let Some(&(seller, _)) = held.get(&trades[i].offer) {
                self.sellers.entry(slot.0).or_default().insert(seller);
            }
        }
        out
    }

    fn sweep(&mut self, _slot: SlotId) -> Result<()> {
        // Signed intents lock nothing before a commit: nothing to refund.
        Ok(())
    }

    fn report(&mut self, slot: SlotId, readings: &[Reading]) -> Result<()> {
        let slot = self.slot(slot)?;
        let mo = self.c("meter-oracle");
        let mut signed = Vec::with_capacity(readings.len());
        for r in readings {
            let (id, key) = &self.meters[r.owner];
            signed.push(key.reading(
                &self.d,
                *id,
                slot.0,
                r.exported_wh.into(),
                r.imported_wh.into(),
            )?);
        }
        let calls = signed
            .chunks(meter_oracle::msg::MAX_BATCH)
            .map(|c| {
                Execute::new(
                    &mo,
                    &json!({"submit_readings": {"slot": slot.0, "readings": c}}),
                    &[],
                )
            })
            .collect::<chain_client::Result<Vec<_>>>()?;
        if !calls.is_empty() {
            self.rt
                .block_on(self.oracle.execute_multi(calls))
                .map_err(|e| anyhow!("submit readings: {}", reason(&e)))?;
        }
        if self.sellers.remove(&slot.0).is_none() {
            return Ok(());
        }
        loop {
            let st: SlotStatusResponse = self.sq(&QueryMsg::SlotStatus { slot })?;
            if st.meters_reported >= st.meters {
                return Ok(());
            }
            self.exec(
                &self.oracle,
                "settlement",
                &ExecuteMsg::FetchDeliveries {
                    slot,
                    limit: Some(self.max_batch as u32),
                },
            )
            .with_context(|| format!("fetch deliveries of slot {slot}"))?;
        }
    }

    fn settle(&mut self, slot: SlotId) -> Result<SettleReport> {
        let slot = self.slot(slot)?;
        let mut rep = SettleReport::default();
        loop {
            let st: SlotStatusResponse = self.sq(&QueryMsg::SlotStatus { slot })?;
            if st.trades == 0 || st.fully_settled {
                break;
            }
            self.exec(
                &self.oracle,
                "settlement",
                &ExecuteMsg::Settle {
                    slot,
                    limit: Some(self.max_batch as u32),
                },
            )
            .with_context(|| format!("settle slot {slot}"))?;
            rep.calls += 1;
        }
        if rep.calls > 0 {
            self.refresh_reputation()?;
        }
        let mut start_after = None;
        loop {
            let page: TradesResponse = self.sq(&QueryMsg::TradesBySlot {
                slot,
                start_after,
                limit: Some(500),
            })?;
            let Some(last) = page.trades.last() else {
                break;
            };
            start_after = Some(last.id);
            let who = |a: &str| -> Result<usize> {
                self.index
                    .get(a)
                    .copied()
                    .ok_or_else(|| anyhow!("trade party {a} is not a household"))
            };
            for t in &page.trades {
                match crate::protocol::trade_result(t, who)? {
                    Some(r) => {
                        rep.settled += 1;
                        rep.trades.push(r);
                    }
                    None => rep.unsettled += 1,
                }
            }
        }
        Ok(rep)
    }

    fn end_of_day(&mut self) -> Result<()> {
        // Payouts went to the free balances the next intents trade from.
        Ok(())
    }

    fn balances(&self) -> Result<Vec<u128>> {
        self.addrs
            .iter()
            .map(|a| {
                let l = self.ledger(a)?;
                Ok(self.token_balance(a)? + l.free.u128() + l.locked.u128())
            })
            .collect()
    }

    fn audit(&self) -> Result<Audit> {
        let participants = self
            .addrs
            .iter()
            .map(|a| self.token_balance(a))
            .sum::<Result<u128>>()?;
        let mut others = BTreeSet::new();
        for n in ["validator", "dso", "matcher", "oracle", "faucet"] {
            others.insert(addr(n, &self.prefix)?);
        }
        let others = others
            .iter()
            .map(|a| self.token_balance(a))
            .sum::<Result<u128>>()?;
        let settlement = self.c("settlement");
        let held = self.token_balance(&settlement)?;
        let h: HoldingsResponse = self.sq(&QueryMsg::Holdings {})?;
        let info: cw20::TokenInfoResponse = self.q("aip-token", &json!({"token_info": {}}))?;
        let mut contracts = BTreeMap::new();
        contracts.insert("settlement".to_string(), held);
        Ok(Audit {
            total_supply: info.total_supply.u128(),
            participants,
            others,
            contracts,
            // Intents lock nothing before a commit: everything settlement
            // holds is in trades, in free balances, or in dispute bonds.
            ledger_matches: h.total.u128() == held && h.trades + h.claimable + h.bonds == h.total,
        })
    }

    fn scores(&self) -> Result<Vec<u16>> {
        Ok(self.scores.clone())
    }
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
    use super::day_shift;

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
