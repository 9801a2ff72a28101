//! The chain the market runs on, behind a trait: the in-process chain
//! (cw-multi-test with every deployed contract, [`crate::inprocess::InProcessChain`]) by
//! default; a real node through `packages/chain-client` with `--node`.
//!
//! Each step reports whether the contract behind it is deployed. A step whose
//! contract is missing is skipped (never imitated) and the summary says so.

use std::collections::BTreeMap;

use aip_matcher::Method;
use aip_types::intent::BatchIntent;
use aip_types::{NodeId, SlotId, ZoneId};
use anyhow::Result;
use settlement::msg::IntentTrade;

use crate::market::{Network, Order, Side, Trade};

/// Which contracts the chain has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// Orders, escrow, matching commit, settlement.
    pub settlement: bool,
    /// Soulbound reputation token and scores.
    pub reputation: bool,
    /// Signed meter readings with a quorum (else settlement's oracle-role report).
    pub meter_oracle: bool,
    /// Orders are intents the households sign off chain, committed once per
    /// slot from their deposits (else each order is a transaction locking escrow).
    pub signed_intents: bool,
}

/// A household as the chain sees it.
#[derive(Debug, Clone)]
pub struct Participant {
    /// The household's name: the label its account key is derived from.
    pub name: String,
    /// The grid zone it sits in.
    pub zone: ZoneId,
    /// Its grid node (bus) inside the zone.
    pub node: NodeId,
}

/// An order to place.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOrder {
    /// Household index.
    pub owner: usize,
    /// Buy (bid) or sell (offer).
    pub side: Side,
    /// Energy, Wh.
    pub wh: u64,
    /// Limit price, uaip/kWh: the most a bid pays, the least an offer takes.
    pub price: u64,
}

/// One meter's delivery for a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    /// Household index.
    pub owner: usize,
    /// Net energy the meter sent to the grid in the slot, Wh.
    pub exported_wh: u64,
    /// Net energy the meter drew from the grid in the slot, Wh.
    pub imported_wh: u64,
}

/// How one trade settled: energy and money, per party.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeResult {
    /// The bid's id (the local id [`MarketChain::place_orders`] returned).
    pub bid: u64,
    /// The offer's id (likewise).
    pub offer: u64,
    /// The buyer's household index.
    pub buyer: usize,
    /// The seller's household index.
    pub seller: usize,
    /// Contracted energy, Wh.
    pub wh: u64,
    /// Trade price, uaip/kWh.
    pub price: u64,
    /// The seller's energy counted as delivered for the trade, Wh.
    pub delivered_wh: u64,
    /// What reached the buyer after corridor losses, Wh.
    pub received_wh: u64,
    /// The buyer's net cash from the trade, uaip (negative: paid).
    pub buyer_cash: i128,
    /// The seller's net cash from the trade, uaip (negative: lost collateral).
    pub seller_cash: i128,
    /// Congestion fee to the treasury, uaip.
    pub fee: u128,
    /// Penalty the seller paid the buyer for a shortfall, uaip.
    pub penalty: u128,
}

/// What settling a slot did on chain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettleReport {
    /// Trades the contract settled.
    pub settled: u64,
    /// Trades it still holds unsettled after the slot's settlement calls.
    pub unsettled: u64,
    /// Contract calls made (settlement is paginated).
    pub calls: u64,
    /// Every settled trade.
    pub trades: Vec<TradeResult>,
}

/// Token bookkeeping at one instant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Audit {
    /// cw20 total supply, uaip.
    pub total_supply: u128,
    /// Balances of the participants, uaip.
    pub participants: u128,
    /// Balances of the other known accounts (admin, treasury), uaip.
    pub others: u128,
    /// Balances held by each contract, uaip.
    pub contracts: BTreeMap<String, u128>,
    /// The contracts' own books agree with their token balances (settlement:
    /// holdings by purpose add up to what it holds).
    pub ledger_matches: bool,
}

impl Audit {
    /// Everything accounted for.
    pub fn held(&self) -> u128 {
        self.participants + self.others + self.contracts.values().sum::<u128>()
    }

    /// True when supply equals what every known account and contract holds,
    /// and the contracts' books match their balances.
    pub fn conserved(&self) -> bool {
        self.held() == self.total_supply && self.ledger_matches
    }
}

/// What a slot's commit did: the matcher's trades the chain took, and what
/// was left out on the way (the online agent's path, [`crate::protocol`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Committed {
    /// The trades the chain took (bid and offer: the intents' local ids; the
    /// energy and price committed).
    pub trades: Vec<Trade>,
    /// Intents of the book the matcher left out before clearing, because the
    /// contract would refuse them (`aip_matcher::intents::screen`), with why:
    /// (local id, reason).
    pub screened_out: Vec<(u64, String)>,
    /// Trades planned but not committed, with why: not allowed by the
    /// contract's route (direction, capacity left, fee), beyond the
    /// contract's batch maximum, or refused by the contract (the batch is
    /// then sent again without it).
    pub skipped: Vec<(Trade, String)>,
    /// Why the chain refused the slot's commit as a whole, if it did.
    pub rejected: Option<String>,
    /// The `CommitIntents` batch the chain took, as sent.
    pub batch: Option<(Vec<BatchIntent>, Vec<IntentTrade>)>,
}

/// The part of a household's funding it deposits in settlement at setup:
/// half. Its intents trade from that deposit (its free balance, its money
/// inside the market); the other half stays in its wallet, money it has not
/// committed to the market. A week's trading moves a few AIP per household
/// against the 500 AIP deposited, so no household runs short.
pub fn market_deposit(funding_uaip: u128) -> u128 {
    funding_uaip / 2
}

/// A market chain.
pub trait MarketChain {
    /// Label for the summary, e.g. `in-process (cw-multi-test)`.
    fn label(&self) -> String;

    /// Which contracts are deployed.
    fn capabilities(&self) -> Capabilities;

    /// Creates and funds accounts, registers meters and reputation tokens,
    /// publishes the network model.
    fn setup(&mut self, people: &[Participant], net: &Network, funding_uaip: u128) -> Result<()>;

    /// Moves chain time to `unix` seconds (no-op on a real node).
    fn set_time(&mut self, unix: u64) -> Result<()>;

    /// Takes each household's order for `slot`; returns each one's id, or why
    /// it was refused. The owner signs it as an intent, kept off chain under
    /// a local id (its nonce) until [`MarketChain::commit`]: no transaction.
    fn place_orders(
        &mut self,
        slot: SlotId,
        orders: &[NewOrder],
    ) -> Result<Vec<std::result::Result<u64, String>>>;

    /// Gate closure of `slot`: the DSO publishes the slot's congestion fees
    /// from its forecast zone flows, then the matcher runs the online
    /// agent's path on the book of `bids` and `offers` (ids: the local ids)
    /// with `method` and commits the slot once. Says what the chain took and
    /// what was left out, and why.
    fn commit(
        &mut self,
        slot: SlotId,
        bids: &[Order],
        offers: &[Order],
        method: Method,
    ) -> Result<Committed>;

    /// Refunds what unmatched orders of `slot` locked. On signed intents
    /// nothing is locked before a commit, so there is nothing to refund and
    /// this does nothing; a chain with on-chain orders sweeps them.
    fn sweep(&mut self, slot: SlotId) -> Result<()>;

    /// Reports metered delivery for `slot` (oracles): every meter's reading;
    /// the chain takes what it needs.
    fn report(&mut self, slot: SlotId, readings: &[Reading]) -> Result<()>;

    /// Settles `slot` and returns how each trade settled.
    fn settle(&mut self, slot: SlotId) -> Result<SettleReport>;

    /// End of a day: on-chain orders credit payouts to a claimable balance,
    /// which participants withdraw; on signed intents payouts go to the free
    /// balance the next intents trade from, and nothing is withdrawn.
    fn end_of_day(&mut self) -> Result<()>;

    /// AIP of each participant, uaip, in setup order: its wallet plus what
    /// settlement holds for it (free deposit, locked in trades or orders).
    fn balances(&self) -> Result<Vec<u128>>;

    /// Token bookkeeping.
    fn audit(&self) -> Result<Audit>;

    /// Reputation score (0..=1000) of each participant, in setup order.
    fn scores(&self) -> Result<Vec<u16>>;
}
