//! [`MarketChain`] on the in-process chain: `aip_testing::Deployment`, the
//! real contract code on cw-multi-test.

use std::collections::BTreeMap;

use aip_testing::{Deployment, DeploymentConfig};
use aip_types::SlotId;
use anyhow::{Context, Result};
use cosmwasm_std::{Addr, Timestamp};

use crate::chain::{
    Audit, Capabilities, MarketChain, NewOrder, Participant, Reading, SettleReport,
};
use crate::market::{Network, Trade};

/// The in-process chain.
pub struct InProcessChain {
    pub d: Deployment,
    people: Vec<Participant>,
    addrs: Vec<Addr>,
    /// Local order ids when the settlement contract is absent.
    next_local_id: u64,
}

impl InProcessChain {
    /// Deploys every contract `aip-testing` knows.
    pub fn new() -> Result<InProcessChain> {
        let d = Deployment::new(&DeploymentConfig::default()).context("deploy contracts")?;
        Ok(InProcessChain {
            d,
            people: vec![],
            addrs: vec![],
            next_local_id: 1,
        })
    }

    /// The address of participant `i`.
    pub fn addr(&self, i: usize) -> &Addr {
        &self.addrs[i]
    }
}

impl MarketChain for InProcessChain {
    fn label(&self) -> String {
        "in-process chain (cw-multi-test, aip_testing::Deployment)".into()
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
    }

    fn setup(&mut self, people: &[Participant], _net: &Network, funding_uaip: u128) -> Result<()> {
        self.people = people.to_vec();
        self.addrs = people.iter().map(|p| self.d.addr(&p.name)).collect();
        for a in self.addrs.clone() {
            self.d.mint(&a, funding_uaip)?;
        }
        Ok(())
    }

    fn set_time(&mut self, unix: u64) -> Result<()> {
        self.d.app.update_block(|b| {
            let t = Timestamp::from_seconds(unix);
            if t > b.time {
                // one block per time step, ~5 s blocks
                b.height += (t.seconds() - b.time.seconds()).div_ceil(5).max(1);
                b.time = t;
            }
        });
        Ok(())
    }

    fn place_orders(
        &mut self,
        _slot: SlotId,
        orders: &[NewOrder],
    ) -> Result<Vec<std::result::Result<u64, String>>> {
        let ids = (0..orders.len() as u64)
            .map(|k| Ok(self.next_local_id + k))
            .collect();
        self.next_local_id += orders.len() as u64;
        Ok(ids)
    }

    fn commit(&mut self, _slot: SlotId, _trades: &[Trade]) -> Result<()> {
        Ok(())
    }

    fn sweep(&mut self, _slot: SlotId) -> Result<()> {
        Ok(())
    }

    fn report(&mut self, _slot: SlotId, _readings: &[Reading]) -> Result<()> {
        Ok(())
    }

    fn settle(&mut self, _slot: SlotId) -> Result<SettleReport> {
        Ok(SettleReport::default())
    }

    fn end_of_day(&mut self) -> Result<()> {
        Ok(())
    }

    fn balances(&self) -> Result<Vec<u128>> {
        self.addrs.iter().map(|a| self.d.balance(a)).collect()
    }

    fn audit(&self) -> Result<Audit> {
        let participants = self.balances()?.iter().sum();
        let others = self.d.balance(&self.d.admin)?;
        let contracts = BTreeMap::new();
        Ok(Audit {
            total_supply: self.d.total_supply()?,
            participants,
            others,
            contracts,
        })
    }

    fn scores(&self) -> Result<Vec<u16>> {
        Ok(vec![0; self.addrs.len()])
    }
}
