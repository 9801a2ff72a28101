//! Storage. Keys are short and never renamed. Per-trade records use one-letter
//! JSON field names: every stored byte costs 30 SDK gas to write.

use aip_types::pages::{put_uvarint, take_uvarint};
use aip_types::store::last_up_to;
use aip_types::{MeterId, NodeId, Price, TradeId, Wh, ZoneId};
use cosmwasm_std::{Addr, Binary, CanonicalAddr, StdError, StdResult, Storage, Uint128};
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
///
/// Stored in binary, 16 to a chunk ([`save_trades`]). The version before
/// stored the same fields as a string (chunks of them joined by `;`, or one
/// JSON string per entry before chunks), in this order, comma-separated:
/// `slot,bid,offer,buyer,seller,meter,wh,net_wh,price,payment,fee,collateral,intents,prev_buyer,prev_seller`
/// (numbers in decimal, the two canonical addresses in standard base64,
/// `intents` as `1` or `0`): about 120 bytes where the JSON object took about
/// 190, at 30 SDK gas per byte written, and read without serde's derived
/// visitor. A string of the previous version (the first 13 fields) reads
/// with both links 0. A record written by an earlier version (a JSON object with
/// one-letter keys: `s`, `b`, `o`, `u`, `v`, `m`, `w`, `n`, `p`, `a`, `f`,
/// `c`, `i`) still reads, so a migrated contract needs no migration step.
#[derive(Clone, Debug, PartialEq)]
pub struct TradeRec {
    /// Delivery slot start, Unix seconds.
    pub slot: u64,
    /// The buy intent's nonce.
    pub bid: u64,
    /// The sell intent's nonce.
    pub offer: u64,
    /// Canonical addresses: shorter than bech32, and the claimable ledger's key.
    pub buyer: CanonicalAddr,
    /// Seller's canonical address.
    pub seller: CanonicalAddr,
    /// Seller's meter.
    pub meter: MeterId,
    /// Energy traded (the seller injects), Wh.
    pub wh: Wh,
    /// Energy the buyer receives after losses.
    pub net_wh: Wh,
    /// Clearing price, uaip/kWh.
    pub price: Price,
    /// Payment held for the seller: payment(net_wh, price).
    pub payment: Uint128,
    /// Congestion fee paid to the treasury at commit, uaip.
    pub fee: Uint128,
    /// Seller collateral held for the trade, uaip.
    pub collateral: Uint128,
    /// Committed from signed intents: the payment and the collateral were
    /// locked in the parties' deposit accounts (`bid` and `offer` then hold
    /// the intents' nonces), and settling unlocks them there.
    pub intents: bool,
    /// The buyer's previous trade (0: none, or one indexed by
    /// [`ACCOUNT_TRADES`] before the lists existed).
    pub prev_buyer: TradeId,
    /// The seller's previous trade (0 likewise).
    pub prev_seller: TradeId,
}

/// Fields of a stored [`TradeRec`] string (13 before the per-account lists).
const TRADE_FIELDS: usize = 15;

impl TradeRec {
    /// The stored string (see the type's doc).
    pub fn to_compact(&self) -> String {
        let b64 = |a: &CanonicalAddr| Binary::from(a.as_slice()).to_base64();
        format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            self.slot,
            self.bid,
            self.offer,
            b64(&self.buyer),
            b64(&self.seller),
            self.meter,
            self.wh,
            self.net_wh,
            self.price,
            self.payment,
            self.fee,
            self.collateral,
            u8::from(self.intents),
            self.prev_buyer,
            self.prev_seller
        )
    }

    /// A record from its stored string; the error names the field.
    pub fn from_compact(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split(',').collect();
        if parts.len() != TRADE_FIELDS && parts.len() != 13 {
            return Err(format!(
                "trade record has {} fields, expected {TRADE_FIELDS} (or 13)",
                parts.len()
            ));
        }
        let bad = |field: &str, v: &str| format!("trade record field {field} is invalid: {v:?}");
        let int = |i: usize, field: &str| -> Result<u64, String> {
            parts[i].parse::<u64>().map_err(|_| bad(field, parts[i]))
        };
        let amount = |i: usize, field: &str| -> Result<Uint128, String> {
            parts[i]
                .parse::<u128>()
                .map(Uint128::new)
                .map_err(|_| bad(field, parts[i]))
        };
        let addr = |i: usize, field: &str| -> Result<CanonicalAddr, String> {
            Binary::from_base64(parts[i])
                .map(CanonicalAddr::from)
                .map_err(|_| bad(field, parts[i]))
        };
        Ok(TradeRec {
            slot: int(0, "slot")?,
            bid: int(1, "bid")?,
            offer: int(2, "offer")?,
            buyer: addr(3, "buyer")?,
            seller: addr(4, "seller")?,
            meter: MeterId::try_from(int(5, "meter")?).map_err(|_| bad("meter", parts[5]))?,
            wh: amount(6, "wh")?,
            net_wh: amount(7, "net_wh")?,
            price: amount(8, "price")?,
            payment: amount(9, "payment")?,
            fee: amount(10, "fee")?,
            collateral: amount(11, "collateral")?,
            intents: match parts[12] {
                "1" => true,
                "0" => false,
                v => return Err(bad("intents", v)),
            },
            prev_buyer: if parts.len() == TRADE_FIELDS {
                int(13, "prev_buyer")?
            } else {
                0
            },
            prev_seller: if parts.len() == TRADE_FIELDS {
                int(14, "prev_seller")?
            } else {
                0
            },
        })
    }
}

impl Serialize for TradeRec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_compact())
    }
}

/// Reads the string of this version. Records of earlier versions (JSON
/// objects) are read by [`parse_trade`], which looks at the first byte:
/// serde's `deserialize_any`, which could take both, costs about 34 kB of
/// contract code.
struct TradeRecVisitor;

impl serde::de::Visitor<'_> for TradeRecVisitor {
    type Value = TradeRec;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a trade record string")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<TradeRec, E> {
        TradeRec::from_compact(v).map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for TradeRec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(TradeRecVisitor)
    }
}

/// A trade record as earlier versions stored it: a JSON object with
/// one-letter keys. Only read, never written.
#[derive(Deserialize)]
struct LegacyTradeRec {
    s: u64,
    b: u64,
    o: u64,
    u: CanonicalAddr,
    v: CanonicalAddr,
    m: MeterId,
    w: Wh,
    n: Wh,
    p: Price,
    a: Uint128,
    #[serde(default)]
    f: Uint128,
    c: Uint128,
    #[serde(default)]
    i: bool,
}

impl From<LegacyTradeRec> for TradeRec {
    fn from(l: LegacyTradeRec) -> Self {
        TradeRec {
            slot: l.s,
            bid: l.b,
            offer: l.o,
            buyer: l.u,
            seller: l.v,
            meter: l.m,
            wh: l.w,
            net_wh: l.n,
            price: l.p,
            payment: l.a,
            fee: l.f,
            collateral: l.c,
            intents: l.i,
            prev_buyer: 0,
            prev_seller: 0,
        }
    }
}

/// A stored trade record in either format: the JSON string of this version
/// (read by hand: its bytes are digits, commas and base64, never escaped),
/// or the JSON object of earlier ones.
pub fn parse_trade(bytes: &[u8]) -> StdResult<TradeRec> {
    match bytes {
        [b'{', ..] => Ok(cosmwasm_std::from_json::<LegacyTradeRec>(bytes)?.into()),
        [b'"', inner @ .., b'"'] => std::str::from_utf8(inner)
            .map_err(|_| StdError::generic_err("trade record is not UTF-8"))
            .and_then(|s| TradeRec::from_compact(s).map_err(StdError::generic_err)),
        _ => Err(StdError::generic_err(
            "trade record is neither a string nor an object",
        )),
    }
}

/// Trades per chunk of trade records.
pub const TRADE_CHUNK: usize = 16;

/// Raw key prefix of the trade chunks: `tc` ++ the chunk's first trade id
/// (8 bytes BE).
const TRADE_CHUNK_PREFIX: &[u8] = b"tc";

fn trade_chunk_key(first: TradeId) -> Vec<u8> {
    let mut k = Vec::with_capacity(10);
    k.extend_from_slice(TRADE_CHUNK_PREFIX);
    k.extend_from_slice(&first.to_be_bytes());
    k
}

fn chunk_first(key: &[u8]) -> StdResult<TradeId> {
    key.len()
        .checked_sub(8)
        .and_then(|at| <[u8; 8]>::try_from(&key[at..]).ok())
        .map(u64::from_be_bytes)
        .ok_or_else(|| StdError::generic_err("trade chunk key is not a trade id"))
}

/// First byte of a binary trade chunk whose records each carry their slot.
/// A chunk written before binary chunks starts with a digit: the records'
/// strings ([`TradeRec::to_compact`]) joined by `;`.
const BINARY_CHUNK: u8 = 0xb1;
/// First byte of a binary trade chunk of one slot: the slot follows once,
/// then the records without it (five bytes less per record).
const SLOT_CHUNK: u8 = 0xb2;
/// First byte of a binary trade chunk of one slot whose trades all come
/// from intents and pay `payment(net_wh, price)` (a commit's always do):
/// the records leave out the payment and the intents flag, which follow
/// from the rest, and give the energy lost on the way (`wh − net_wh`,
/// usually 0) instead of `net_wh`: about five bytes less per record.
const INTENT_CHUNK: u8 = 0xb3;

impl TradeRec {
    /// Appends the binary record: the fields in declaration order, numbers
    /// as LEB128 varints, each address as its length (one byte) and its
    /// canonical bytes, `intents` as 0 or 1. About 70 bytes where the string
    /// took about 125: a commit writes 30 SDK gas per byte.
    /// In a [`SLOT_CHUNK`] or an [`INTENT_CHUNK`] the slot is left out; in
    /// an [`INTENT_CHUNK`] the payment and `intents` too, and `net_wh` is
    /// given as `wh − net_wh`.
    fn put(&self, out: &mut Vec<u8>, kind: u8) {
        let addr = |out: &mut Vec<u8>, a: &CanonicalAddr| {
            out.push(a.len() as u8);
            out.extend_from_slice(a.as_slice());
        };
        if kind == BINARY_CHUNK {
            put_uvarint(out, self.slot.into());
        }
        for n in [self.bid, self.offer] {
            put_uvarint(out, n.into());
        }
        addr(out, &self.buyer);
        addr(out, &self.seller);
        put_uvarint(out, self.meter.into());
        if kind == INTENT_CHUNK {
            for n in [
                self.wh,
                self.wh - self.net_wh,
                self.price,
                self.fee,
                self.collateral,
            ] {
                put_uvarint(out, n.u128());
            }
        } else {
            for n in [
                self.wh,
                self.net_wh,
                self.price,
                self.payment,
                self.fee,
                self.collateral,
            ] {
                put_uvarint(out, n.u128());
            }
            put_uvarint(out, u64::from(self.intents).into());
        }
        for n in [self.prev_buyer, self.prev_seller] {
            put_uvarint(out, n.into());
        }
    }

    /// Whether the record can go into an [`INTENT_CHUNK`]: its payment and
    /// intents flag follow from its other fields.
    fn derivable(&self) -> bool {
        self.intents
            && self.net_wh <= self.wh
            && aip_types::payment(self.net_wh, self.price).ok() == Some(self.payment)
    }

    /// Takes one binary record of a chunk of `kind` from the front of `b`:
    /// its slot is `slot`, or read first when `None`.
    fn take(b: &mut &[u8], slot: Option<u64>, kind: u8) -> StdResult<Self> {
        let bad = || StdError::generic_err("trade chunk is corrupt");
        let num = |b: &mut &[u8]| -> StdResult<u128> {
            let (n, used) = take_uvarint(b).ok_or_else(bad)?;
            *b = &b[used..];
            Ok(n)
        };
        let int = |n: u128| u64::try_from(n).map_err(|_| bad());
        let addr = |b: &mut &[u8]| -> StdResult<CanonicalAddr> {
            let (&len, rest) = b.split_first().ok_or_else(bad)?;
            let (a, rest) = rest.split_at_checked(len.into()).ok_or_else(bad)?;
            *b = rest;
            Ok(CanonicalAddr::from(a))
        };
        let slot = match slot {
            Some(s) => s,
            None => int(num(b)?)?,
        };
        let (bid, offer) = (int(num(b)?)?, int(num(b)?)?);
        let (buyer, seller) = (addr(b)?, addr(b)?);
        let meter = MeterId::try_from(num(b)?).map_err(|_| bad())?;
        let mut amount = || num(b).map(Uint128::new);
        let (wh, net_wh, price, payment, fee, collateral, intents);
        if kind == INTENT_CHUNK {
            wh = amount()?;
            net_wh = wh.checked_sub(amount()?).map_err(|_| bad())?;
            price = amount()?;
            (fee, collateral) = (amount()?, amount()?);
            payment = aip_types::payment(net_wh, price).map_err(|_| bad())?;
            intents = true;
        } else {
            (wh, net_wh, price) = (amount()?, amount()?, amount()?);
            (payment, fee, collateral) = (amount()?, amount()?, amount()?);
            intents = match num(b)? {
                0 => false,
                1 => true,
                _ => return Err(bad()),
            };
        }
        Ok(TradeRec {
            slot,
            bid,
            offer,
            buyer,
            seller,
            meter,
            wh,
            net_wh,
            price,
            payment,
            fee,
            collateral,
            intents,
            prev_buyer: int(num(b)?)?,
            prev_seller: int(num(b)?)?,
        })
    }
}

/// The records of a stored chunk, binary or (written before) text.
fn chunk_records(v: &[u8]) -> StdResult<Vec<TradeRec>> {
    match v.split_first() {
        Some((&kind @ (BINARY_CHUNK | SLOT_CHUNK | INTENT_CHUNK), mut rest)) => {
            let slot = if kind != BINARY_CHUNK {
                let (n, used) = take_uvarint(rest)
                    .ok_or_else(|| StdError::generic_err("trade chunk is corrupt"))?;
                rest = &rest[used..];
                Some(
                    u64::try_from(n)
                        .map_err(|_| StdError::generic_err("trade chunk is corrupt"))?,
                )
            } else {
                None
            };
            let mut out = Vec::with_capacity(TRADE_CHUNK);
            while !rest.is_empty() {
                out.push(TradeRec::take(&mut rest, slot, kind)?);
            }
            Ok(out)
        }
        _ => std::str::from_utf8(v)
            .map_err(|_| StdError::generic_err("trade chunk is not UTF-8"))?
            .split(';')
            .map(|t| TradeRec::from_compact(t).map_err(StdError::generic_err))
            .collect(),
    }
}

/// Writes a commit's trade records, ids `first..`, [`TRADE_CHUNK`] to a
/// storage entry: [`INTENT_CHUNK`] and the slot when the records share one
/// and their payments follow from the rest (a commit's always do), else
/// [`SLOT_CHUNK`] and the slot when they share one, else [`BINARY_CHUNK`],
/// then each record's bytes (`TradeRec::put`). One entry per 16 trades instead of one per trade.
pub fn save_trades(storage: &mut dyn Storage, first: TradeId, recs: &[TradeRec]) {
    for (c, chunk) in recs.chunks(TRADE_CHUNK).enumerate() {
        let one_slot = chunk.iter().all(|r| r.slot == chunk[0].slot);
        let kind = if !one_slot {
            BINARY_CHUNK
        } else if chunk.iter().all(TradeRec::derivable) {
            INTENT_CHUNK
        } else {
            SLOT_CHUNK
        };
        let mut bytes = vec![kind];
        if kind != BINARY_CHUNK {
            put_uvarint(&mut bytes, chunk[0].slot.into());
        }
        for r in chunk {
            r.put(&mut bytes, kind);
        }
        let at = first + (c * TRADE_CHUNK) as u64;
        storage.set(&trade_chunk_key(at), &bytes);
    }
}

/// The trade `id`, if it exists: from its chunk (one descending iterator
/// step finds it), or from its entry of its own for a trade committed
/// before chunks.
pub fn may_load_trade(storage: &dyn Storage, id: TradeId) -> StdResult<Option<TradeRec>> {
    if let Some((k, v)) = last_up_to(storage, TRADE_CHUNK_PREFIX, &trade_chunk_key(id)) {
        let at = (id - chunk_first(&k)?) as usize;
        if let Some(rec) = chunk_records(&v)?.into_iter().nth(at) {
            return Ok(Some(rec));
        }
    }
    aip_types::store::read(storage, &TRADES.key(id))
        .map(|b| parse_trade(&b))
        .transpose()
}

/// The trade `id`.
pub fn load_trade(storage: &dyn Storage, id: TradeId) -> StdResult<TradeRec> {
    may_load_trade(storage, id)?.ok_or_else(|| StdError::not_found("trade"))
}

/// The trades with ids from `first` to `last` (both included), ascending:
/// from their chunks, or from their entries of their own for a batch
/// committed before chunks (a batch is one or the other).
pub fn trades_between(
    storage: &dyn Storage,
    first: TradeId,
    last: TradeId,
) -> StdResult<Vec<(TradeId, TradeRec)>> {
    let mut out = Vec::new();
    // The chunk holding `first` starts at or before it.
    let start = last_up_to(storage, TRADE_CHUNK_PREFIX, &trade_chunk_key(first)).map(|(k, _)| k);
    if let Some(start) = start {
        let mut stop = trade_chunk_key(last);
        stop.push(0);
        for (k, v) in storage.range(Some(&start), Some(&stop), cosmwasm_std::Order::Ascending) {
            let at = chunk_first(&k)?;
            for (i, rec) in chunk_records(&v)?.into_iter().enumerate() {
                let id = at + i as u64;
                if (first..=last).contains(&id) {
                    out.push((id, rec));
                }
            }
        }
        if out.first().is_some_and(|(id, _)| *id == first) {
            return Ok(out);
        }
        out.clear();
    }
    let start = TRADES.key(first).to_vec();
    // Just past `last`'s key: every id is 8 bytes, so nothing lies between.
    let mut end = TRADES.key(last).to_vec();
    end.push(0);
    for (k, v) in storage.range(Some(&start), Some(&end), cosmwasm_std::Order::Ascending) {
        out.push((chunk_first(&k)?, parse_trade(&v)?));
    }
    Ok(out)
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
/// Trades by party: (canonical account, trade id) -> (). Written for trades
/// committed before the per-account lists ([`Account::last`],
/// [`TradeRec::prev_buyer`]); only read since.
pub const ACCOUNT_TRADES: Map<(&[u8], TradeId), ()> = Map::new("at");
/// Per (slot, seller meter): contracted and exported energy.
pub const METERS: Map<(u64, MeterId), MeterSlot> = Map::new("ms");
/// The record of `meter` in `slot`: from its chunk, or from its entry of
/// its own for a slot committed before chunks.
pub fn load_meter(storage: &dyn Storage, slot: u64, meter: MeterId) -> StdResult<MeterSlot> {
    let missing = meter_missing;
    // The last chunk whose first meter is not above `meter`: one iterator step.
    match last_up_to(storage, &chunk_key(slot, 0), &chunk_key(slot, meter)) {
        Some((_, v)) => decode_chunk(&v)?
            .into_iter()
            .find(|(m, _)| *m == meter)
            .map(|(_, ms)| ms)
            .ok_or_else(missing),
        None => {
            aip_types::store::may_load(storage, &METERS.key((slot, meter)))?.ok_or_else(missing)
        }
    }
}

/// The error for a seller meter without a record in its slot.
fn meter_missing() -> StdError {
    StdError::not_found("settlement::state::MeterSlot")
}

/// Seller meters per chunk of a slot's meter records.
pub const METER_CHUNK: usize = 32;

/// Raw key prefix of the meter chunks: `mc` ++ slot (8 bytes BE) ++ the
/// chunk's first meter (4 bytes BE).
const CHUNK_PREFIX: &[u8] = b"mc";

fn chunk_key(slot: u64, first: MeterId) -> Vec<u8> {
    let mut k = Vec::with_capacity(14);
    k.extend_from_slice(CHUNK_PREFIX);
    k.extend_from_slice(&slot.to_be_bytes());
    k.extend_from_slice(&first.to_be_bytes());
    k
}

/// A chunk: per meter, ascending, LEB128 varints of the meter id, the
/// contracted Wh and the exported Wh plus one (0: not reported yet).
fn encode_chunk(entries: &[(MeterId, MeterSlot)]) -> Vec<u8> {
    use aip_types::pages::put_uvarint;
    let mut out = Vec::with_capacity(entries.len() * 8);
    for (m, ms) in entries {
        put_uvarint(&mut out, u128::from(*m));
        put_uvarint(&mut out, ms.contracted.u128());
        put_uvarint(&mut out, ms.exported.map_or(0, |e| e.u128() + 1));
    }
    out
}

fn decode_chunk(b: &[u8]) -> StdResult<Vec<(MeterId, MeterSlot)>> {
    let corrupt = || StdError::generic_err("settlement: a meter chunk is corrupt");
    let mut nums = Vec::with_capacity(b.len() / 2);
    let mut at = 0;
    while at < b.len() {
        let (n, used) = aip_types::pages::take_uvarint(&b[at..]).ok_or_else(corrupt)?;
        nums.push(n);
        at += used;
    }
    if nums.len() % 3 != 0 {
        return Err(corrupt());
    }
    nums.chunks(3)
        .map(|c| {
            Ok((
                MeterId::try_from(c[0]).map_err(|_| corrupt())?,
                MeterSlot {
                    contracted: Uint128::new(c[1]),
                    exported: c[2].checked_sub(1).map(Uint128::new),
                },
            ))
        })
        .collect()
}

/// A slot's seller-meter records, all of them, read with one iterator over
/// the slot's chunks (written by the commit, [`METER_CHUNK`] meters each):
/// a batch of 500 seller meters writes 16 entries instead of 500, and
/// `fetch_deliveries` rewrites only the chunks it changed. A slot committed
/// before chunks keeps its entries of its own ([`METERS`]), read and
/// written the same way.
pub struct SlotMeters {
    slot: u64,
    meters: Vec<(MeterId, MeterSlot)>,
    chunked: bool,
    changed: Vec<bool>,
}

impl SlotMeters {
    /// The meters a commit contracted, ascending (not stored yet).
    pub fn new(slot: u64, contracted: impl IntoIterator<Item = (MeterId, Wh)>) -> Self {
        let meters: Vec<(MeterId, MeterSlot)> = contracted
            .into_iter()
            .map(|(m, wh)| {
                (
                    m,
                    MeterSlot {
                        contracted: wh,
                        exported: None,
                    },
                )
            })
            .collect();
        let changed = vec![true; meters.len()];
        SlotMeters {
            slot,
            meters,
            chunked: true,
            changed,
        }
    }

    /// Every meter record of `slot`.
    pub fn load(storage: &dyn Storage, slot: u64) -> StdResult<Self> {
        let start = chunk_key(slot, 0);
        let end = chunk_key(slot.saturating_add(1), 0);
        let mut meters = Vec::new();
        for (_, v) in storage.range(Some(&start), Some(&end), cosmwasm_std::Order::Ascending) {
            meters.extend(decode_chunk(&v)?);
        }
        let chunked = !meters.is_empty();
        if !chunked {
            meters = METERS
                .prefix(slot)
                .range(storage, None, None, cosmwasm_std::Order::Ascending)
                .collect::<StdResult<_>>()?;
        }
        let changed = vec![false; meters.len()];
        Ok(SlotMeters {
            slot,
            meters,
            chunked,
            changed,
        })
    }

    /// The slot's meters and their records, ascending.
    pub fn all(&self) -> &[(MeterId, MeterSlot)] {
        &self.meters
    }

    /// The record of `meter`.
    pub fn get(&self, meter: MeterId) -> StdResult<&MeterSlot> {
        self.meters
            .binary_search_by_key(&meter, |(m, _)| *m)
            .map(|i| &self.meters[i].1)
            .map_err(|_| meter_missing())
    }

    /// Records `meter`'s finalized export; `false` if it is not a seller
    /// meter of the slot or already has one.
    pub fn report(&mut self, meter: MeterId, exported: Wh) -> bool {
        match self.meters.binary_search_by_key(&meter, |(m, _)| *m) {
            Ok(i) if self.meters[i].1.exported.is_none() => {
                self.meters[i].1.exported = Some(exported);
                self.changed[i] = true;
                true
            }
            _ => false,
        }
    }

    /// Writes what changed: each changed chunk once (or each changed entry
    /// of its own, for a slot from before chunks).
    pub fn save(&self, storage: &mut dyn Storage) -> StdResult<()> {
        if !self.chunked {
            for (i, (m, ms)) in self.meters.iter().enumerate() {
                if self.changed[i] {
                    METERS.save(storage, (self.slot, *m), ms)?;
                }
            }
            return Ok(());
        }
        for (c, chunk) in self.meters.chunks(METER_CHUNK).enumerate() {
            let at = c * METER_CHUNK;
            if self.changed[at..at + chunk.len()].iter().any(|x| *x) {
                storage.set(&chunk_key(self.slot, chunk[0].0), &encode_chunk(chunk));
            }
        }
        Ok(())
    }
}

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
/// counterparty. `last` is the id of the account's latest trade, the head
/// of the list its trades form (each trade record names the previous trade
/// of its buyer and of its seller): `TradesByAccount` walks it, so no index
/// entry is written per trade. An account is kept while it has funds or a
/// trade. In a page ([`crate::ledger`]) it is three LEB128 varints; in an
/// entry of its own one string, `"<free>"`, `"<free>/<locked>"` or
/// `"<free>/<locked>/<last>"`: a claimable balance written by an earlier
/// version (a bare amount string) reads as an account with nothing locked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Account {
    /// Usable for new trades and withdrawable, uaip.
    pub free: Uint128,
    /// Held by committed, unsettled intent trades, uaip.
    pub locked: Uint128,
    /// The account's latest trade (0: none, or only trades committed before
    /// the list existed, which [`ACCOUNT_TRADES`] still indexes).
    pub last: TradeId,
}

impl Serialize for Account {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.last != 0 {
            s.serialize_str(&format!("{}/{}/{}", self.free, self.locked, self.last))
        } else if self.locked.is_zero() {
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
        let parts: Vec<&str> = s.split('/').collect();
        let (free, locked, last) = match parts[..] {
            [f] => (num(f)?, Uint128::zero(), 0),
            [f, l] => (num(f)?, num(l)?, 0),
            [f, l, t] => (num(f)?, num(l)?, t.parse().map_err(D::Error::custom)?),
            _ => return Err(D::Error::custom("an account has at most three parts")),
        };
        Ok(Account { free, locked, last })
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

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::MockStorage;
    use cosmwasm_std::{from_json, to_json_vec};

    #[test]
    fn a_slots_meters_are_written_in_chunks_and_read_back() {
        let mut st = MockStorage::new();
        let slot = 1_764_057_600;
        // 70 meters (ids 5, 10, ..., 350): chunks of 32, 32 and 6.
        let contracted: Vec<(MeterId, Wh)> = (1..=70u32)
            .map(|i| (i * 5, Uint128::new(u128::from(i) * 100)))
            .collect();
        SlotMeters::new(slot, contracted.clone())
            .save(&mut st)
            .unwrap();
        let chunks: Vec<_> = st
            .range(
                Some(&chunk_key(slot, 0)),
                Some(&chunk_key(slot + 1, 0)),
                cosmwasm_std::Order::Ascending,
            )
            .collect();
        assert_eq!(chunks.len(), 3);
        assert_eq!(
            chunks[1].0,
            chunk_key(slot, 33 * 5),
            "keyed by the chunk's first meter"
        );
        let mut m = SlotMeters::load(&st, slot).unwrap();
        assert_eq!(m.all().len(), 70);
        assert_eq!(m.get(175).unwrap().contracted, Uint128::new(3500));
        assert!(m.get(176).is_err());
        // A report changes its meter once; saving rewrites only that chunk.
        assert!(m.report(175, Uint128::new(3000)));
        assert!(!m.report(175, Uint128::new(1)), "already reported");
        assert!(
            !m.report(176, Uint128::new(1)),
            "not a seller meter of the slot"
        );
        let before: Vec<_> = chunks.iter().map(|(_, v)| v.clone()).collect();
        m.save(&mut st).unwrap();
        let after: Vec<Vec<u8>> = (0..3)
            .map(|c| st.get(&chunk_key(slot, (c * 32 + 1) * 5)).unwrap())
            .collect();
        assert_eq!(after[0], before[0]);
        assert_ne!(after[1], before[1]);
        assert_eq!(after[2], before[2]);
        // One meter at a time: its chunk by one iterator step.
        for (id, wh) in &contracted {
            let ms = load_meter(&st, slot, *id).unwrap();
            assert_eq!(ms.contracted, *wh);
            assert_eq!(ms.exported, (*id == 175).then(|| Uint128::new(3000)));
        }
        assert!(load_meter(&st, slot, 3).is_err());
        assert!(load_meter(&st, slot, 351).is_err());
        assert!(load_meter(&st, slot + 900, 5).is_err());
    }

    #[test]
    fn a_slot_from_before_chunks_keeps_its_meter_entries() {
        let mut st = MockStorage::new();
        let ms = MeterSlot {
            contracted: Uint128::new(700),
            exported: None,
        };
        METERS.save(&mut st, (900, 4), &ms).unwrap();
        assert_eq!(load_meter(&st, 900, 4).unwrap(), ms);
        let mut m = SlotMeters::load(&st, 900).unwrap();
        assert!(m.report(4, Uint128::new(650)));
        m.save(&mut st).unwrap();
        assert_eq!(
            METERS.load(&st, (900, 4)).unwrap().exported,
            Some(Uint128::new(650))
        );
        assert!(st.get(&chunk_key(900, 4)).is_none());
    }

    #[test]
    fn a_corrupt_meter_chunk_is_an_error() {
        let mut st = MockStorage::new();
        st.set(&chunk_key(900, 1), &[1, 2]);
        let err = SlotMeters::load(&st, 900).err().unwrap();
        assert!(
            err.to_string()
                .contains("settlement: a meter chunk is corrupt"),
            "{err}"
        );
        st.set(&chunk_key(900, 1), &[1, 2, 0x80]);
        assert!(load_meter(&st, 900, 1).is_err());
    }

    fn rec(fee: u128, intents: bool) -> TradeRec {
        TradeRec {
            slot: 1_764_057_600,
            bid: 3,
            offer: 4,
            buyer: CanonicalAddr::from(vec![1u8; 20]),
            seller: CanonicalAddr::from(vec![2u8; 20]),
            meter: 7,
            wh: Uint128::new(2_000),
            net_wh: Uint128::new(1_960),
            price: Uint128::new(210_000),
            payment: Uint128::new(411_600),
            fee: Uint128::new(fee),
            collateral: Uint128::new(100_000),
            intents,
            prev_buyer: 0,
            prev_seller: 0,
        }
    }

    #[test]
    fn trade_record_is_one_string_and_reads_back() -> StdResultOk {
        let r = rec(19_600, true);
        let json = to_json_vec(&r)?;
        assert_eq!(
            String::from_utf8(json.clone())?,
            "\"1764057600,3,4,AQEBAQEBAQEBAQEBAQEBAQEBAQE=,AgICAgICAgICAgICAgICAgICAgI=,7,2000,1960,210000,411600,19600,100000,1,0,0\""
        );
        assert_eq!(from_json::<TradeRec>(&json)?, r);
        assert_eq!(parse_trade(&json)?, r);
        // The links to the parties' previous trades.
        let linked = TradeRec {
            prev_buyer: 12,
            prev_seller: 3,
            ..rec(1, true)
        };
        assert_eq!(parse_trade(&to_json_vec(&linked)?)?, linked);
        // A string of the version before the links: 13 fields, no links.
        let short = b"\"1764057600,3,4,AQEBAQEBAQEBAQEBAQEBAQEBAQE=,AgICAgICAgICAgICAgICAgICAgI=,7,2000,1960,210000,411600,19600,100000,1\"";
        assert_eq!(parse_trade(short)?, r);
        let r = rec(0, false);
        assert_eq!(from_json::<TradeRec>(to_json_vec(&r)?)?, r);
        Ok(())
    }

    /// Records written by the previous version (the derived JSON object,
    /// `fee` and `intents` left out when zero and false) read unchanged.
    #[test]
    fn a_trade_record_of_the_previous_version_still_reads() -> StdResultOk {
        let old = r#"{"s":1764057600,"b":3,"o":4,"u":"AQEBAQEBAQEBAQEBAQEBAQEBAQE=","v":"AgICAgICAgICAgICAgICAgICAgI=","m":7,"w":"2000","n":"1960","p":"210000","a":"411600","f":"19600","c":"100000","i":true}"#;
        assert_eq!(parse_trade(old.as_bytes())?, rec(19_600, true));
        let old = r#"{"s":1764057600,"b":3,"o":4,"u":"AQEBAQEBAQEBAQEBAQEBAQEBAQE=","v":"AgICAgICAgICAgICAgICAgICAgI=","m":7,"w":"2000","n":"1960","p":"210000","a":"411600","c":"100000"}"#;
        assert_eq!(parse_trade(old.as_bytes())?, rec(0, false));
        // Through the map, as a migrated contract reads it.
        let mut storage = MockStorage::new();
        TRADES.save(&mut storage, 9, &rec(1, true))?;
        let key = TRADES.key(10);
        cosmwasm_std::Storage::set(&mut storage, &key, old.as_bytes());
        assert_eq!(load_trade(&storage, 10)?, rec(0, false));
        assert_eq!(load_trade(&storage, 9)?, rec(1, true));
        let all = trades_between(&storage, 9, 10)?;
        assert_eq!(all, vec![(9, rec(1, true)), (10, rec(0, false))]);
        let one = trades_between(&storage, 10, 10)?;
        assert_eq!(one, vec![(10, rec(0, false))]);
        assert_eq!(may_load_trade(&storage, 11)?, None);
        // Later batches in chunks: the older entries still read beside them.
        let later: Vec<TradeRec> = (0..20u128).map(|f| rec(f, true)).collect();
        save_trades(&mut storage, 11, &later);
        assert_eq!(load_trade(&storage, 10)?, rec(0, false));
        assert_eq!(load_trade(&storage, 11)?, rec(0, true));
        assert_eq!(load_trade(&storage, 30)?, rec(19, true));
        assert_eq!(may_load_trade(&storage, 31)?, None);
        assert_eq!(trades_between(&storage, 9, 10)?.len(), 2);
        Ok(())
    }

    #[test]
    fn trades_are_written_sixteen_to_a_chunk() -> StdResultOk {
        let mut storage = MockStorage::new();
        // Two commits: ids 1..=20 (chunks at 1 and 17) and 21..=23 (chunk at 21).
        let a: Vec<TradeRec> = (0..20u128).map(|f| rec(f, true)).collect();
        let b: Vec<TradeRec> = (100..103u128).map(|f| rec(f, false)).collect();
        save_trades(&mut storage, 1, &a);
        save_trades(&mut storage, 21, &b);
        let keys: Vec<Vec<u8>> = storage
            .range(Some(b"tc"), Some(b"td"), cosmwasm_std::Order::Ascending)
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            keys,
            vec![trade_chunk_key(1), trade_chunk_key(17), trade_chunk_key(21)]
        );
        for (i, r) in a.iter().enumerate() {
            assert_eq!(&load_trade(&storage, i as u64 + 1)?, r);
        }
        assert_eq!(load_trade(&storage, 23)?, rec(102, false));
        assert_eq!(may_load_trade(&storage, 24)?, None);
        assert_eq!(may_load_trade(&storage, 0)?, None);
        // Ranges across chunk borders, and inside one.
        let ids = |v: Vec<(TradeId, TradeRec)>| v.into_iter().map(|(id, _)| id).collect::<Vec<_>>();
        assert_eq!(ids(trades_between(&storage, 15, 18)?), vec![15, 16, 17, 18]);
        assert_eq!(ids(trades_between(&storage, 3, 4)?), vec![3, 4]);
        assert_eq!(ids(trades_between(&storage, 20, 20)?), vec![20]);
        assert_eq!(ids(trades_between(&storage, 21, 23)?), vec![21, 22, 23]);
        // Binary, one slot: a format byte and the slot, then about 65 bytes
        // a record here.
        let chunk = storage.get(&trade_chunk_key(21)).unwrap();
        assert_eq!(chunk[0], SLOT_CHUNK);
        // Trades from intents whose payments follow from the rest: without
        // the payment and the flag, the loss instead of the net energy.
        let intent_chunk = storage.get(&trade_chunk_key(17)).unwrap();
        assert_eq!(intent_chunk[0], INTENT_CHUNK);
        assert!(
            intent_chunk.len() < 1 + 10 + 4 * 60,
            "{} bytes",
            intent_chunk.len()
        );
        // One record whose payment does not follow keeps its chunk a slot chunk.
        let odd = [
            rec(1, true),
            TradeRec {
                payment: Uint128::new(1),
                ..rec(2, true)
            },
        ];
        save_trades(&mut storage, 40, &odd);
        assert_eq!(storage.get(&trade_chunk_key(40)).unwrap()[0], SLOT_CHUNK);
        assert_eq!(load_trade(&storage, 41)?, odd[1]);
        // A loss above the energy is a damaged intent chunk.
        let mut bad = vec![INTENT_CHUNK];
        put_uvarint(&mut bad, 5);
        TradeRec {
            net_wh: Uint128::zero(),
            ..rec(0, true)
        }
        .put(&mut bad, INTENT_CHUNK);
        // wh 2,000 then a loss of 2,000 (net 0): rewrite the loss as 2,001.
        let at = bad
            .windows(4)
            .position(|w| w == [0xd0, 0x0f, 0xd0, 0x0f])
            .expect("wh and loss");
        bad[at + 2..at + 4].copy_from_slice(&[0xd1, 0x0f]);
        storage.set(&trade_chunk_key(50), &bad);
        let e = load_trade(&storage, 50).unwrap_err();
        assert!(e.to_string().contains("trade chunk is corrupt"), "{e}");
        assert!(chunk.len() < 1 + 10 + 3 * 75, "{} bytes", chunk.len());
        // Records of several slots carry theirs (and a chunk of the format
        // before slot chunks reads the same).
        let mixed = [
            rec(5, true),
            TradeRec {
                slot: 7,
                ..rec(6, true)
            },
        ];
        save_trades(&mut storage, 24, &mixed);
        assert_eq!(storage.get(&trade_chunk_key(24)).unwrap()[0], BINARY_CHUNK);
        assert_eq!(load_trade(&storage, 25)?, mixed[1]);
        let mut one = vec![BINARY_CHUNK];
        rec(8, true).put(&mut one, BINARY_CHUNK);
        storage.set(&trade_chunk_key(26), &one);
        assert_eq!(load_trade(&storage, 26)?, rec(8, true));
        // A damaged chunk names the problem, whichever its format.
        let mut cut = chunk.clone();
        cut.truncate(chunk.len() - 1);
        storage.set(&trade_chunk_key(21), &cut);
        let e = load_trade(&storage, 21).unwrap_err();
        assert!(e.to_string().contains("trade chunk is corrupt"), "{e}");
        storage.set(&trade_chunk_key(21), b"1,2,3");
        let e = load_trade(&storage, 21).unwrap_err();
        assert!(e.to_string().contains("trade record has 3 fields"), "{e}");
        Ok(())
    }

    #[test]
    fn a_binary_record_round_trips_at_the_limits() -> StdResultOk {
        let big = TradeRec {
            slot: u64::MAX,
            bid: u64::MAX,
            // A contract's canonical address is 32 bytes.
            seller: CanonicalAddr::from(vec![9u8; 32]),
            meter: MeterId::MAX,
            wh: Uint128::MAX,
            payment: Uint128::MAX,
            prev_buyer: u64::MAX,
            ..rec(u128::MAX, true)
        };
        for r in [big, rec(0, false)] {
            let mut b = Vec::new();
            r.put(&mut b, BINARY_CHUNK);
            let mut rest = b.as_slice();
            assert_eq!(TradeRec::take(&mut rest, None, BINARY_CHUNK)?, r);
            assert!(rest.is_empty());
            // In a slot chunk, without its slot.
            let mut b = Vec::new();
            r.put(&mut b, SLOT_CHUNK);
            let mut rest = b.as_slice();
            assert_eq!(TradeRec::take(&mut rest, Some(r.slot), SLOT_CHUNK)?, r);
            assert!(rest.is_empty());
        }
        // In an intent chunk: the payment follows from the net energy and
        // the price (here at the largest amounts that do not overflow).
        let top = TradeRec {
            wh: Uint128::new(u128::MAX / 1_000_000),
            net_wh: Uint128::new(u128::MAX / 1_000_000),
            price: Uint128::new(1_000_000),
            payment: Uint128::new(u128::MAX / 1_000_000 * 1_000),
            prev_seller: u64::MAX,
            ..rec(u128::MAX, true)
        };
        for r in [top, rec(0, true)] {
            assert!(r.derivable());
            let mut b = Vec::new();
            r.put(&mut b, INTENT_CHUNK);
            let mut rest = b.as_slice();
            assert_eq!(TradeRec::take(&mut rest, Some(r.slot), INTENT_CHUNK)?, r);
            assert!(rest.is_empty());
        }
        Ok(())
    }

    #[test]
    fn a_text_chunk_written_before_still_reads() -> StdResultOk {
        let mut storage = MockStorage::new();
        // Ids 1..=3 as the version before wrote them: strings joined by `;`.
        let old: Vec<TradeRec> = (0..3u128).map(|f| rec(f, true)).collect();
        let text: Vec<String> = old.iter().map(TradeRec::to_compact).collect();
        storage.set(&trade_chunk_key(1), text.join(";").as_bytes());
        save_trades(&mut storage, 4, &[rec(7, false)]);
        assert_eq!(load_trade(&storage, 2)?, old[1]);
        let all = trades_between(&storage, 1, 4)?;
        assert_eq!(all.len(), 4);
        assert_eq!(all[3], (4, rec(7, false)));
        Ok(())
    }

    #[test]
    fn a_damaged_trade_record_names_its_field() {
        let cases = [
            (
                "\"1,2,3\"",
                "trade record has 3 fields, expected 15 (or 13)",
            ),
            (
                "\"x,3,4,AQ==,Ag==,7,2000,1960,210000,411600,0,100000,1\"",
                "trade record field slot is invalid: \"x\"",
            ),
            (
                "\"1,3,4,AQ==,!,7,2000,1960,210000,411600,0,100000,1\"",
                "trade record field seller is invalid: \"!\"",
            ),
            (
                "\"1,3,4,AQ==,Ag==,4294967296,2000,1960,210000,411600,0,100000,1\"",
                "trade record field meter is invalid",
            ),
            (
                "\"1,3,4,AQ==,Ag==,7,2000,1960,210000,411600,0,100000,yes\"",
                "trade record field intents is invalid",
            ),
            (r#"{"s":1}"#, "missing field `b`"),
            ("7", "trade record is neither a string nor an object"),
        ];
        for (json, msg) in cases {
            let e = parse_trade(json.as_bytes()).expect_err(json).to_string();
            assert!(e.contains(msg), "{json}: {e}");
        }
    }

    type StdResultOk = Result<(), Box<dyn std::error::Error>>;
}
