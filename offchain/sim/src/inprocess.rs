//! The in-process chain: `aip_testing::Deployment`, the real contract code on
//! cw-multi-test, as a [`Transport`] of the market protocol
//! ([`crate::protocol::Market`]).
//!
//! Every household has its own secp256k1 key (`IntentKey::from_label` of its
//! name); its account is the key's address under the chain's prefix. At
//! enrollment it is funded, KYC-registered (its reputation token), given a
//! meter with an ed25519 device key, and deposits its share of the funding
//! in settlement. The roles are `aip-testing`'s accounts; the three
//! meter-oracle operators each submit every reading; each message is its own
//! execution (cw-multi-test has no multi-message transaction to batch in).

use std::collections::BTreeSet;

use aip_testing::deployment::roles;
use aip_testing::{Deployment, DeploymentConfig};
use aip_types::intent::sign::IntentKey;
use aip_types::intent::IntentDomain;
use aip_types::SlotId;
use anyhow::{anyhow, Context, Result};
use cosmwasm_std::{to_json_binary, Addr, Timestamp};
use cw_multi_test::{AppResponse, Executor};
use serde::de::DeserializeOwned;
use serde::Serialize;
use settlement::msg::ReceiveMsg;

use crate::chain::{Participant, Reading};
use crate::protocol::{Account, Contract, Market, Role, Transport};

/// The market protocol on the in-process chain.
pub type InProcessChain = Market<InProcess>;

/// The in-process chain as the protocol's transport.
pub struct InProcess {
    /// Every contract, deployed on cw-multi-test.
    pub d: Deployment,
    clock_set: bool,
    /// Meter id (meter-oracle) and device key of each household.
    meters: Vec<(meter_oracle::msg::MeterId, ed25519_dalek::SigningKey)>,
    /// Meter-oracle operators that submit each slot's readings.
    pub operators: usize,
}

pub use crate::protocol::sim_settlement_params;

impl Market<InProcess> {
    /// Deploys every contract `aip-testing` knows.
    pub fn new() -> Result<InProcessChain> {
        let cfg = DeploymentConfig {
            settlement_params: sim_settlement_params(),
            ..DeploymentConfig::default()
        };
        let d = Deployment::new(&cfg).context("deploy contracts")?;
        Ok(Market::over(InProcess {
            d,
            clock_set: false,
            meters: vec![],
            operators: roles::METER_ORACLES.len(),
        }))
    }
}

impl InProcess {
    fn role(&self, role: Role) -> Addr {
        self.d.addr(match role {
            Role::Dso => roles::GRID_OPERATOR,
            Role::Matcher => roles::MATCHER,
            Role::Oracle => roles::ORACLE,
        })
    }

    fn contract(&self, c: Contract) -> &Addr {
        match c {
            Contract::Token => &self.d.token,
            Contract::Settlement => &self.d.settlement,
            Contract::Reputation => &self.d.reputation,
            Contract::MeterOracle => &self.d.meter_oracle,
        }
    }

    /// Deposits `amount` of `who`'s AIP in settlement (an AIP `Send` with
    /// `Deposit {}`): its free balance, from which its intents trade.
    pub fn deposit(&mut self, who: &Addr, amount: u128) -> Result<AppResponse> {
        let send = cw20::Cw20ExecuteMsg::Send {
            contract: self.d.settlement.to_string(),
            amount: amount.into(),
            msg: to_json_binary(&ReceiveMsg::Deposit {})?,
        };
        let token = self.d.token.clone();
        self.d
            .app
            .execute_contract(who.clone(), token, &send, &[])
            .context("deposit")
    }
}

impl Transport for InProcess {
    fn label(&self) -> String {
        "in-process chain (cw-multi-test, aip_testing::Deployment)".into()
    }

    fn domain(&self) -> Result<IntentDomain> {
        Ok(IntentDomain {
            chain_id: self.d.app.block_info().chain_id,
            contract: self.d.settlement.to_string(),
        })
    }

    fn enroll(
        &mut self,
        people: &[Participant],
        funding_uaip: u128,
        deposit_uaip: u128,
    ) -> Result<Vec<Account>> {
        let prefix = self.domain()?.prefix()?;
        // Wire settlement to reputation (collateral, eligibility, outcomes)
        // and to the meter-oracle (meter ownership, finalized deliveries).
        let (rep, mo) = (self.d.reputation.clone(), self.d.meter_oracle.clone());
        self.d.wire_settlement(Some(&rep), Some(&mo))?;
        self.meters = Vec::with_capacity(people.len());
        let mut out = Vec::with_capacity(people.len());
        for (i, p) in people.iter().enumerate() {
            let key = IntentKey::from_label(&p.name);
            let a = Addr::unchecked(key.address(&prefix));
            self.d.mint(&a, funding_uaip)?;
            // KYC done: the soulbound reputation token.
            self.d.register(&a)?;
            // A meter with a device key (deterministic per participant).
            let mut secret = [0x5a_u8; 32];
            secret[..8].copy_from_slice(&(i as u64).to_le_bytes());
            let device = ed25519_dalek::SigningKey::from_bytes(&secret);
            let meter = self.d.register_meter(&a, p.node, &device)?;
            self.meters.push((meter, device));
            if deposit_uaip > 0 {
                self.deposit(&a, deposit_uaip)?;
            }
            out.push(Account {
                addr: a.to_string(),
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
        let (sender, to) = (self.role(role), self.contract(contract).clone());
        for m in msgs {
            self.d
                .app
                .execute_contract(sender.clone(), to.clone(), m, &[])
                // The contract's own message (cw-multi-test wraps it).
                .map_err(|e| e.root_cause().to_string())?;
        }
        Ok(())
    }

    fn query<T: DeserializeOwned>(&self, contract: Contract, msg: &impl Serialize) -> Result<T> {
        Ok(self
            .d
            .app
            .wrap()
            .query_wasm_smart(self.contract(contract).clone(), msg)?)
    }

    fn address(&self, contract: Contract) -> String {
        self.contract(contract).to_string()
    }

    fn chain_slot(&self, slot: SlotId) -> Result<SlotId> {
        Ok(slot)
    }

    fn set_time(&mut self, unix: u64) -> Result<()> {
        // The simulation's clock is the data's (2016): the first call sets
        // the chain's clock back to it, later calls only move it forward.
        let first = !self.clock_set;
        self.clock_set = true;
        self.d.app.update_block(|b| {
            let t = Timestamp::from_seconds(unix);
            if first || t > b.time {
                // ~5 s blocks
                b.height += (t.seconds().saturating_sub(b.time.seconds()))
                    .div_ceil(5)
                    .max(1);
                b.time = t;
            }
        });
        Ok(())
    }

    fn chain_time(&self) -> Result<u64> {
        Ok(self.d.app.block_info().time.seconds())
    }

    fn submit_readings(&mut self, slot: SlotId, readings: &[Reading]) -> Result<()> {
        let signed: Vec<meter_oracle::msg::SignedReading> = readings
            .iter()
            .map(|r| {
                let (id, key) = self
                    .meters
                    .get(r.owner)
                    .ok_or_else(|| anyhow!("reading of household {} without a meter", r.owner))?;
                Ok(self
                    .d
                    .sign_reading(key, *id, slot, r.exported_wh.into(), r.imported_wh.into()))
            })
            .collect::<Result<_>>()?;
        // Every operator submits every meter's device-signed reading.
        for op in 0..self.operators {
            for chunk in signed.chunks(meter_oracle::msg::MAX_BATCH) {
                self.d
                    .submit_readings(op, slot, chunk.to_vec())
                    .context("submit readings")?;
            }
        }
        Ok(())
    }

    fn others(&self) -> Result<Vec<String>> {
        let named: BTreeSet<String> = [
            roles::GRID_OPERATOR,
            roles::MATCHER,
            roles::ORACLE,
            roles::ARBITER,
            roles::TREASURY,
        ]
        .iter()
        .map(|n| self.d.addr(n).to_string())
        .chain([self.d.admin.to_string()])
        .collect();
        Ok(named.into_iter().collect())
    }
}
