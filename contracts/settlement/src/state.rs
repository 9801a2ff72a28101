//! Storage. Keys are short and never renamed. Per-trade records use one-letter
//! JSON field names: every stored byte costs 30 SDK gas to write.

use aip_types::{MeterId, NodeId, Price, TradeId, Wh, ZoneId};
use cosmwasm_std::{Addr, CanonicalAddr, Uint128};
use cw_storage_plus::{Item, Map};
use serde::{Deserialize, Serialize};

use crate::msg::{Corridor, MarketParams};

/// The stored configuration: validated role addresses and the market parameters.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Config {
    /// The AIP CW20, the only token accepted.
    pub token: Addr,
    /// Changes roles and parameters.
    pub admin: Addr,
    /// The grid operator: zones, corridors, node zones, congestion fees.
    pub grid_operator: Addr,
    /// Commits matched slots.
    pub matcher: Addr,
    /// Rules on disputes.
    pub arbiter: Addr,
    /// Receives congestion fees.
    pub treasury: Addr,
    /// Reputation contract: trading terms and outcome records; `None` without one.
    pub reputation: Option<Addr>,
    /// Meter-oracle contract: meter registry and finalized deliveries; `None` without one.
    pub meter_oracle: Option<Addr>,
    /// Market parameters (timing, collateral, penalty, disputes, batch size).
    pub params: MarketParams,
    /// The KYC verifier whose `eligibilities` intents' owners must pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kyc_verifier: Option<Addr>,
}

/// Counters and the holdings ledger, one record so each call writes it once.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct State {
    /// Id the next committed trade gets (from 1).
    pub next_trade: TradeId,
    /// Escrow and collateral of open order remainders: 0 since orders went
    /// (kept so that the holdings of a contract migrated with open orders
    /// still add up).
    #[serde(default)]
    pub orders: Uint128,
    /// Payments and collateral of unsettled trades.
    pub trades: Uint128,
    /// Credited to accounts, not yet withdrawn.
    pub claimable: Uint128,
    /// Bonds of open disputes.
    #[serde(default)]
    pub bonds: Uint128,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A matched trade, written once at commit and never rewritten: whether it is
/// settled follows from the slot's settlement cursor and the dispute records.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct TradeRec {
    /// Delivery slot start, Unix seconds.
    #[serde(rename = "s")]
    pub slot: u64,
    /// The buy intent's nonce.
    #[serde(rename = "b")]
    pub bid: u64,
    /// The sell intent's nonce.
    #[serde(rename = "o")]
    pub offer: u64,
    /// Canonical addresses: shorter than bech32, and the claimable ledger's key.
    #[serde(rename = "u")]
    pub buyer: CanonicalAddr,
    /// Seller's canonical address.
    #[serde(rename = "v")]
    pub seller: CanonicalAddr,
    /// Seller's meter.
    #[serde(rename = "m")]
    pub meter: MeterId,
    /// Energy traded (the seller injects), Wh.
    #[serde(rename = "w")]
    pub wh: Wh,
    /// Energy the buyer receives after losses.
    #[serde(rename = "n")]
    pub net_wh: Wh,
    /// Clearing price, uaip/kWh.
    #[serde(rename = "p")]
    pub price: Price,
    /// Payment held for the seller: payment(net_wh, price).
    #[serde(rename = "a")]
    pub payment: Uint128,
    /// Congestion fee paid to the treasury at commit, uaip (omitted when 0).
    #[serde(rename = "f", default, skip_serializing_if = "Uint128::is_zero")]
    pub fee: Uint128,
    /// Seller collateral held for the trade, uaip.
    #[serde(rename = "c")]
    pub collateral: Uint128,
    /// Committed from signed intents: the payment and the collateral were
    /// locked in the parties' deposit accounts (`bid` and `offer` then hold
    /// the intents' nonces), and settling unlocks them there.
    #[serde(rename = "i", default, skip_serializing_if = "is_false")]
    pub intents: bool,
}

/// Per (slot, seller meter): energy contracted and, once known, exported.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct MeterSlot {
    /// Energy the slot's trades contracted from this meter, Wh.
    #[serde(rename = "c")]
    pub contracted: Wh,
    /// The meter's finalized export in the slot, Wh; `None` until reported.
    #[serde(rename = "e")]
    pub exported: Option<Wh>,
}

/// Per-slot progress: counts, delivery reports, settlement cursor.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct SlotState {
    /// Trades committed in the slot.
    pub trades: u64,
    /// Distinct seller meters with trades in the slot.
    pub meters: u32,
    /// Of those, how many have delivery data.
    pub meters_reported: u32,
    /// When the last seller meter's delivery arrived.
    pub all_reported_at: Option<u64>,
    /// Next trade id `Settle` considers (every lower trade of the slot is done).
    pub cursor: TradeId,
    /// Trades settled by `Settle` (disputed ones excluded).
    pub settled: u64,
    /// Disputes opened in the slot.
    pub disputes: u32,
    /// Id of the last trade in the slot.
    pub last_trade: TradeId,
    /// `FetchDeliveries` resumes after this seller meter (0: from the first),
    /// so meters that never finalize cannot hold back the others.
    #[serde(default)]
    pub fetch_after: MeterId,
    /// The slot was committed from signed intents: it takes no other commit.
    #[serde(default, skip_serializing_if = "is_false")]
    pub committed: bool,
}

/// A dispute on a trade (key: trade id).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Dispute {
    /// The buyer or seller who opened it.
    pub opened_by: Addr,
    /// When it was opened, Unix seconds.
    pub opened_at: u64,
    /// The opener's reason, at most 280 characters.
    pub reason: String,
    /// The ruling, once the arbiter (or the default) ruled.
    pub ruling: Option<aip_types::hooks::Ruling>,
    /// Bond locked by the opener (0 on disputes opened before bonds existed).
    #[serde(default)]
    pub bond: Uint128,
    /// The ruling was applied by default after the deadline.
    #[serde(default)]
    pub defaulted: bool,
}

/// The configuration.
pub const CONFIG: Item<Config> = Item::new("cfg");
/// Trade counter and holdings ledger.
pub const STATE: Item<State> = Item::new("st");
/// Committed trades by id.
pub const TRADES: Map<TradeId, TradeRec> = Map::new("t");
/// The trades of a slot, one entry per commit batch: (slot, first id) -> last id.
pub const SLOT_BATCHES: Map<(u64, TradeId), TradeId> = Map::new("sb");
/// Trades by party: (canonical account, trade id) -> ().
pub const ACCOUNT_TRADES: Map<(&[u8], TradeId), ()> = Map::new("at");
/// Per (slot, seller meter): contracted and exported energy.
pub const METERS: Map<(u64, MeterId), MeterSlot> = Map::new("ms");
/// Per-slot progress.
pub const SLOTS: Map<u64, SlotState> = Map::new("s");
/// Zone names by id.
pub const ZONES: Map<ZoneId, String> = Map::new("z");
/// The grid operator's node -> zone map.
pub const NODE_ZONES: Map<NodeId, ZoneId> = Map::new("nz");
/// Corridors by (from zone, to zone).
pub const CORRIDORS: Map<(ZoneId, ZoneId), Corridor> = Map::new("c");
/// Per-slot congestion fees: (slot, from, to) -> uaip/kWh.
pub const FEES: Map<(u64, ZoneId, ZoneId), Price> = Map::new("f");
/// Corridor capacity used: (slot, from, to) -> Wh.
pub const USAGE: Map<(u64, ZoneId, ZoneId), Wh> = Map::new("u");
/// Deposit accounts by canonical address (the key of the former claimable
/// ledger, whose entries read as accounts with nothing locked).
pub const CLAIMABLE: Map<&[u8], Account> = Map::new("cl");

/// An account's entry in the deposit ledger.
///
/// `free` is what the account can commit to new trades and withdraw: its
/// deposits and every settlement payout. `locked` is the part of its deposits
/// held by its committed, unsettled intent trades (a buyer's payment, a
/// seller's collateral); settling moves it back to `free` or to the
/// counterparty. Stored as one string, `"<free>"` or `"<free>/<locked>"`:
/// short, and a claimable balance written by an earlier version (a bare
/// amount string) reads as an account with nothing locked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Account {
    /// Usable for new trades and withdrawable, uaip.
    pub free: Uint128,
    /// Held by committed, unsettled intent trades, uaip.
    pub locked: Uint128,
}

impl Account {
    /// Neither free nor locked funds: the entry can be removed.
    pub fn is_empty(&self) -> bool {
        self.free.is_zero() && self.locked.is_zero()
    }
}

impl Serialize for Account {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.locked.is_zero() {
            s.serialize_str(&self.free.to_string())
        } else {
            s.serialize_str(&format!("{}/{}", self.free, self.locked))
        }
    }
}

impl<'de> Deserialize<'de> for Account {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let s = String::deserialize(d)?;
        let num = |x: &str| {
            x.parse::<u128>()
                .map(Uint128::new)
                .map_err(D::Error::custom)
        };
        match s.split_once('/') {
            None => Ok(Account {
                free: num(&s)?,
                locked: Uint128::zero(),
            }),
            Some((f, l)) => Ok(Account {
                free: num(f)?,
                locked: num(l)?,
            }),
        }
    }
}

/// How much of a signed intent is filled: (canonical owner, nonce) -> fill.
pub const FILLS: Map<(&[u8], u64), Fill> = Map::new("if");

/// The fill record of an (owner, nonce) pair, which names one intent.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Fill {
    /// Wh filled so far.
    #[serde(rename = "f")]
    pub filled: u64,
    /// The first 8 bytes of the intent's hash: another intent under the same
    /// nonce is refused. All zero for a nonce cancelled before any fill.
    #[serde(rename = "h")]
    pub hash: [u8; 8],
    /// The owner withdrew the intent: nothing more of it fills.
    #[serde(rename = "c", default, skip_serializing_if = "is_false")]
    pub cancelled: bool,
}

/// Intents placed on chain by their owners (contract accounts cannot sign):
/// intent hash -> ().
pub const PLACED: Map<&[u8], ()> = Map::new("pi");
/// Disputes: (slot, trade id) -> dispute.
pub const DISPUTES: Map<(u64, TradeId), Dispute> = Map::new("d");
