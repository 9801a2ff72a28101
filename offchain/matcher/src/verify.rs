//! `aip-matcher verify-slot`: anyone re-runs a slot's clearing from the
//! gateway's frozen book and compares it with what the matcher committed.
//!
//! The frozen book (`GET /v1/book/{slot}/frozen` on the gateway) holds every
//! signed intent accepted for the slot. [`verify_slot`]:
//! 1. recomputes the book hash (`sha256` of the 32-byte intent hashes in book
//!    order) and refuses a book that does not match it;
//! 2. verifies every intent's signature and its binding to the chain and
//!    contract, at the freeze time (`aip_types::intent::verify_signed_intent`);
//! 3. turns the intents into an [`OrderBook`] (order id = the intent's `seq`,
//!    zone = the zone of its meter, from a meter → zone map);
//! 4. clears it with [`Method::Auto`] and compares the welfare with the
//!    committed clearing, and checks that every committed trade names a bid
//!    and an offer of the book with their owners and never fills an intent
//!    beyond its Wh.
//!
//! The committed side is what the chain recorded: [`committed_from_chain`]
//! maps the settlement contract's `trades_by_slot` (each trade names its
//! buyer's and seller's intent nonces) onto the frozen book and recomputes
//! their welfare with [`crate::welfare_of`]; `aip-matcher verify-slot
//! --deployment` reads the trades, the meters' zones and the network from the
//! chain ([`crate::online::Agent::verify_slot`]). Without a deployment the
//! committed side is read from a file in `aip-matcher clear`'s output format
//! ([`Clearing`]) and its `welfare` is taken as stated there (the trade
//! checks are independent of it).

use std::collections::{HashMap, HashSet};

use aip_types::intent::{verify_signed_intent, IntentDomain, SignedIntent};
use cosmwasm_std::testing::MockApi;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::intents::{screen, to_order_book, Candidate, ChainView, SkippedIntent};
use crate::{
    clear, welfare_of, Clearing, CorridorFlow, MatcherError, Method, Network, Order, OrderBook,
    Side, Trade,
};
use settlement::msg::TradeResponse;

/// Why a slot failed verification.
#[derive(Debug, Error)]
pub enum VerifyError {
    /// The book's stated hash is not the hash of its intents.
    #[error("book hash mismatch: stated {stated}, computed {computed}")]
    BookHash {
        /// hash in the file
        stated: String,
        /// hash of the listed intents
        computed: String,
    },
    /// An entry's stated hash is not its intent's hash.
    #[error("entry {index}: stated hash {stated} but the intent hashes to {computed}")]
    EntryHash {
        /// position in the book
        index: usize,
        /// hash in the file
        stated: String,
        /// hash of the intent
        computed: String,
    },
    /// An intent does not verify.
    #[error("entry {index}: {reason}")]
    Intent {
        /// position in the book
        index: usize,
        /// the verifier's message
        reason: String,
    },
    /// An intent's meter is not in the meter → zone map.
    #[error("entry {index}: meter {meter} has no zone")]
    UnknownMeter {
        /// position in the book
        index: usize,
        /// the meter
        meter: u32,
    },
    /// A committed trade names an order that is not in the book, or the wrong side or owner.
    #[error("committed trade {index}: {reason}")]
    Trade {
        /// position in the committed trades
        index: usize,
        /// what is wrong
        reason: String,
    },
    /// The committed trades fill an intent beyond its Wh.
    #[error("intent seq {seq} is filled {filled} Wh, above its {wh} Wh")]
    Overfilled {
        /// the intent
        seq: u64,
        /// Wh committed
        filled: u64,
        /// Wh signed
        wh: u64,
    },
    /// The committed welfare is below the re-run's by more than the tolerance.
    #[error("committed welfare {committed:.3} is below the re-run's {recomputed:.3} (tolerance {tolerance})")]
    WelfareShortfall {
        /// welfare of the committed clearing
        committed: f64,
        /// welfare of the re-run
        recomputed: f64,
        /// allowed relative shortfall
        tolerance: f64,
    },
    /// The screening record is not the record of this book.
    #[error("the screening record is for slot {slot} and book {book_hash}, not this book (slot {book_slot}, {book_book_hash})")]
    ScreeningOfAnotherBook {
        /// slot in the record
        slot: u64,
        /// book hash in the record
        book_hash: String,
        /// slot of the frozen book
        book_slot: u64,
        /// hash of the frozen book
        book_book_hash: String,
    },
    /// The committer screened an intent out for a reason the chain does not confirm.
    #[error("intent {hash} ({owner}, nonce {nonce}) was screened out for \"{reason}\", but at height {height} the rules say: {found}")]
    WronglyScreened {
        /// hex of the intent hash
        hash: String,
        /// the intent's owner
        owner: String,
        /// its nonce
        nonce: u64,
        /// the committer's reason
        reason: String,
        /// the screening height
        height: u64,
        /// what the same rules say on the chain's state ("it passes", or another reason)
        found: String,
    },
    /// An intent the rules refuse that the record neither screened out nor
    /// reports as refused by the contract.
    #[error("intent {hash} ({owner}, nonce {nonce}) fails the screening at height {height} (\"{reason}\") but the record does not list it")]
    NotScreened {
        /// hex of the intent hash
        hash: String,
        /// the intent's owner
        owner: String,
        /// its nonce
        nonce: u64,
        /// why the rules refuse it
        reason: String,
        /// the screening height
        height: u64,
    },
    /// The record names an intent that is not in the frozen book.
    #[error("the screening record names intent {hash} ({owner}, nonce {nonce}), which is not in the frozen book")]
    NotInBook {
        /// hex of the intent hash
        hash: String,
        /// the intent's owner
        owner: String,
        /// its nonce
        nonce: u64,
    },
    /// The record's clock is not the screening block's time plus the expiry margin.
    #[error(
        "the screening record's clock {now} is not block {height}'s time {block_time} + {margin} s"
    )]
    ScreeningClock {
        /// the record's clock, unix seconds
        now: u64,
        /// the screening height
        height: u64,
        /// that block's time, unix seconds
        block_time: u64,
        /// the committer's expiry margin, seconds
        margin: u64,
    },
    /// At the record's height the slot was already committed: the record
    /// cannot be the state the committer screened against.
    #[error("at the screening height {height} slot {slot} already had {trades} trades")]
    ScreenedAfterCommit {
        /// the screening height
        height: u64,
        /// the slot
        slot: u64,
        /// trades the slot had at that height
        trades: u64,
    },
    /// The clearing itself failed.
    #[error(transparent)]
    Matcher(#[from] MatcherError),
}

/// An intent the committer left out of a slot's clearing, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreenedOut {
    /// Hex of the intent hash.
    pub hash: String,
    /// Its owner as signed.
    pub owner: String,
    /// Its nonce.
    pub nonce: u64,
    /// The reason: the contract's refusal message.
    pub reason: String,
}

impl From<&SkippedIntent> for ScreenedOut {
    fn from(s: &SkippedIntent) -> Self {
        ScreenedOut {
            hash: s.hash.clone(),
            owner: s.owner.clone(),
            nonce: s.nonce,
            reason: s.reason.clone(),
        }
    }
}

/// What the committer publishes with a slot's commit so anyone can re-run
/// its clearing exactly: the chain state it screened against (`height`, the
/// state after that block, and `now`, the clock of the expiry check: that
/// block's time plus [`crate::online::EXPIRY_MARGIN_SECS`]), the intents the
/// screening left out ([`crate::intents::screen`]) and those the contract
/// refused when the batch was committed (dropped and retried).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Screening {
    /// Slot start, unix seconds.
    pub slot: u64,
    /// The frozen book's hash (hex), binding the record to one book.
    pub book_hash: String,
    /// Height whose state the committer read (registry, zones, fills,
    /// balances, trading terms, network, fees).
    pub height: u64,
    /// Clock of the expiry check, unix seconds.
    pub now: u64,
    /// Intents the screening left out, with the contract's reason.
    pub screened: Vec<ScreenedOut>,
    /// Intents the contract refused in a commit attempt (the refusal is in a
    /// failed transaction's log, not in the chain's state).
    pub refused: Vec<ScreenedOut>,
}

/// Writes `screening` to `dir/screening-<slot>.json` (creating `dir`) and
/// returns the file's path: what `aip-matcher run --publish-dir` publishes.
pub fn write_screening(
    dir: &std::path::Path,
    screening: &Screening,
) -> Result<std::path::PathBuf, MatcherError> {
    let path = dir.join(format!("screening-{}.json", screening.slot));
    let failed = |reason: String| MatcherError::Publish {
        path: path.display().to_string(),
        reason,
    };
    let text = serde_json::to_string_pretty(screening).map_err(|e| failed(e.to_string()))?;
    std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&path, text))
        .map_err(|e| failed(e.to_string()))?;
    Ok(path)
}

/// Re-checks a published [`Screening`] of `frozen`: runs the committer's own
/// screening ([`crate::intents::screen`]) on `view`, the chain's state at the
/// record's height, with the record's clock, and compares intent by intent.
/// An intent screened out for a reason the rules do not give on that state is
/// [`VerifyError::WronglyScreened`]; an intent the rules refuse that the
/// record does not list is [`VerifyError::NotScreened`]. Intents the contract
/// refused at commit cannot be re-checked against state: they are left out
/// and returned as the second value. Returns the intents of the re-run.
pub fn check_screening(
    frozen: &FrozenBook,
    domain: &IntentDomain,
    published: &Screening,
    view: &ChainView,
) -> Result<(Vec<Candidate>, Vec<ScreenedOut>), VerifyError> {
    if published.slot != frozen.slot || !published.book_hash.eq_ignore_ascii_case(&frozen.book_hash)
    {
        return Err(VerifyError::ScreeningOfAnotherBook {
            slot: published.slot,
            book_hash: published.book_hash.clone(),
            book_slot: frozen.slot,
            book_book_hash: frozen.book_hash.clone(),
        });
    }
    let in_book: HashSet<String> = frozen
        .intents
        .iter()
        .map(|e| e.hash.to_ascii_lowercase())
        .collect();
    for s in published.screened.iter().chain(&published.refused) {
        if !in_book.contains(&s.hash.to_ascii_lowercase()) {
            return Err(VerifyError::NotInBook {
                hash: s.hash.clone(),
                owner: s.owner.clone(),
                nonce: s.nonce,
            });
        }
    }
    let (kept, skipped) = screen(frozen, domain, frozen.slot, published.now, view);
    let found: HashMap<String, &SkippedIntent> = skipped
        .iter()
        .map(|s| (s.hash.to_ascii_lowercase(), s))
        .collect();
    let listed: HashSet<String> = published
        .screened
        .iter()
        .chain(&published.refused)
        .map(|s| s.hash.to_ascii_lowercase())
        .collect();
    for s in &published.screened {
        let wrong = |found: String| VerifyError::WronglyScreened {
            hash: s.hash.clone(),
            owner: s.owner.clone(),
            nonce: s.nonce,
            reason: s.reason.clone(),
            height: published.height,
            found,
        };
        match found.get(&s.hash.to_ascii_lowercase()) {
            None => return Err(wrong("the intent passes".to_string())),
            Some(f) if f.reason != s.reason => return Err(wrong(f.reason.clone())),
            Some(_) => {}
        }
    }
    if let Some(s) = skipped
        .iter()
        .find(|s| !listed.contains(&s.hash.to_ascii_lowercase()))
    {
        return Err(VerifyError::NotScreened {
            hash: s.hash.clone(),
            owner: s.owner.clone(),
            nonce: s.nonce,
            reason: s.reason.clone(),
            height: published.height,
        });
    }
    let refused: HashSet<String> = published
        .refused
        .iter()
        .map(|s| s.hash.to_ascii_lowercase())
        .collect();
    let kept = kept
        .into_iter()
        .filter(|c| !refused.contains(&c.hash.to_ascii_lowercase()))
        .collect();
    Ok((kept, published.refused.clone()))
}

/// The re-run's order book: the checked intents of `frozen` (integrity and
/// signatures as [`book_from_frozen_with`] checks them) as the committer
/// clears them ([`crate::intents::to_order_book`]: quantity = the unfilled
/// remainder, premium eligibility, trust), but with order id = the intent's
/// `seq`, as [`committed_from_chain`] names them.
pub fn book_from_candidates(
    frozen: &FrozenBook,
    domain: &IntentDomain,
    candidates: &[Candidate],
) -> Result<OrderBook, VerifyError> {
    book_from_frozen_with(frozen, domain, |_, _, _| Ok(None))?;
    let seq: HashMap<String, u64> = frozen
        .intents
        .iter()
        .map(|e| (e.hash.to_ascii_lowercase(), e.seq))
        .collect();
    let mut book = to_order_book(frozen.slot, candidates);
    for (o, c) in book.orders.iter_mut().zip(candidates) {
        o.id = seq
            .get(&c.hash.to_ascii_lowercase())
            .copied()
            .ok_or_else(|| VerifyError::NotInBook {
                hash: c.hash.clone(),
                owner: c.owner.clone(),
                nonce: c.batch.nonce,
            })?;
    }
    Ok(book)
}

/// One entry of a frozen book (the gateway's JSON).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FrozenEntry {
    /// hex of the intent hash
    pub hash: String,
    /// acceptance order: the order id in the re-run
    pub seq: u64,
    /// the signed intent
    pub signed: SignedIntent,
}

/// A frozen book (the gateway's JSON).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FrozenBook {
    /// slot start
    pub slot: u64,
    /// freeze time, unix seconds
    pub frozen_at: u64,
    /// `sha256` of the 32-byte intent hashes in book order, hex
    pub book_hash: String,
    /// the intents
    pub intents: Vec<FrozenEntry>,
}

/// The outcome of a verified slot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// the slot
    pub slot: u64,
    /// intents in the book
    pub intents: usize,
    /// welfare of the re-run, uaip
    pub recomputed_welfare: f64,
    /// welfare of the committed clearing, uaip
    pub committed_welfare: f64,
    /// committed trades
    pub committed_trades: usize,
    /// committed / recomputed (1.0 when both are zero)
    pub ratio: f64,
    /// The committer's screening record was checked against the chain at
    /// this height, and its screened-out intents left out of the re-run
    /// (`None`: no record; the re-run then has every intent whose meter is an
    /// active meter of its owner, and may exceed the commit).
    #[serde(default)]
    pub screening_height: Option<u64>,
    /// Intents the record screened out, each reason confirmed on the chain's state.
    #[serde(default)]
    pub screened_out: usize,
    /// Intents left out that verify-slot cannot re-check: the contract
    /// refused them in a failed commit attempt (the refusal is in that
    /// transaction's log, not in the chain's state).
    #[serde(default)]
    pub unchecked: Vec<ScreenedOut>,
}

/// Checks the book's integrity and signatures and builds the order book
/// (zones from a meter → zone map; a meter without a zone is an error).
pub fn book_from_frozen(
    frozen: &FrozenBook,
    domain: &IntentDomain,
    zones: &HashMap<u32, u32>,
) -> Result<OrderBook, VerifyError> {
    book_from_frozen_with(frozen, domain, |index, e, _| {
        let meter = e.signed.intent.meter;
        zones
            .get(&meter)
            .copied()
            .map(Some)
            .ok_or(VerifyError::UnknownMeter { index, meter })
    })
}

/// Checks the book's integrity and signatures and builds the order book;
/// `zone_of(index, entry, proven owner)` gives an intent's zone, or `None`
/// to leave it out of the re-run (an intent the contract refuses, e.g. a
/// meter that is not its owner's).
pub fn book_from_frozen_with(
    frozen: &FrozenBook,
    domain: &IntentDomain,
    zone_of: impl Fn(usize, &FrozenEntry, &str) -> Result<Option<u32>, VerifyError>,
) -> Result<OrderBook, VerifyError> {
    let api = MockApi::default();
    let mut all = Sha256::new();
    let mut orders = Vec::with_capacity(frozen.intents.len());
    for (index, e) in frozen.intents.iter().enumerate() {
        let v = verify_signed_intent(&api, domain, &e.signed, frozen.frozen_at).map_err(|err| {
            VerifyError::Intent {
                index,
                reason: err.to_string(),
            }
        })?;
        let computed = hex::encode(v.hash);
        if computed != e.hash.to_ascii_lowercase() {
            return Err(VerifyError::EntryHash {
                index,
                stated: e.hash.clone(),
                computed,
            });
        }
        all.update(v.hash);
        let i = &e.signed.intent;
        let Some(zone) = zone_of(index, e, &v.owner)? else {
            continue;
        };
        orders.push(Order {
            id: e.seq,
            owner: v.owner,
            side: i.side.into(),
            zone,
            node: 0,
            wh: i.wh,
            limit_price: i.limit_price,
            premium_only: i.premium_only,
            premium: false,
            trust: 0,
            window: Some([i.slot_from, i.slot_until]),
        });
    }
    let computed = hex::encode(all.finalize());
    if computed != frozen.book_hash.to_ascii_lowercase() {
        return Err(VerifyError::BookHash {
            stated: frozen.book_hash.clone(),
            computed,
        });
    }
    Ok(OrderBook {
        slot: frozen.slot,
        orders,
    })
}

/// Re-runs the clearing of `frozen` on `network` and checks `committed`
/// against it (see the module doc). `tolerance` is the allowed relative
/// welfare shortfall (e.g. 0.005).
pub fn verify_slot(
    frozen: &FrozenBook,
    domain: &IntentDomain,
    zones: &HashMap<u32, u32>,
    network: &Network,
    committed: &Clearing,
    tolerance: f64,
) -> Result<Report, VerifyError> {
    let book = book_from_frozen(frozen, domain, zones)?;
    verify_book(&book, frozen.intents.len(), network, committed, tolerance)
}

/// Checks `committed` against `book` (every trade names a bid and an offer
/// of the book with their owners, no order filled beyond its Wh) and its
/// welfare against a re-run of the clearing on `network`.
pub fn verify_book(
    book: &OrderBook,
    intents: usize,
    network: &Network,
    committed: &Clearing,
    tolerance: f64,
) -> Result<Report, VerifyError> {
    let by_id: HashMap<u64, &Order> = book.orders.iter().map(|o| (o.id, o)).collect();
    let mut filled: HashMap<u64, u64> = HashMap::new();
    for (index, t) in committed.trades.iter().enumerate() {
        for (id, side, owner) in [
            (t.bid, Side::Bid, &t.buyer),
            (t.offer, Side::Offer, &t.seller),
        ] {
            let o = by_id.get(&id).ok_or_else(|| VerifyError::Trade {
                index,
                reason: format!("order {id} is not in the frozen book"),
            })?;
            if o.side != side || &o.owner != owner {
                return Err(VerifyError::Trade {
                    index,
                    reason: format!(
                        "order {id} is a {:?} of {}, not a {side:?} of {owner}",
                        o.side, o.owner
                    ),
                });
            }
            let f = filled.entry(id).or_default();
            *f = f.saturating_add(t.wh);
            if *f > o.wh {
                return Err(VerifyError::Overfilled {
                    seq: id,
                    filled: *f,
                    wh: o.wh,
                });
            }
        }
    }
    let rerun = clear(book, network, Method::Auto)?;
    let shortfall_ok = committed.welfare >= rerun.welfare * (1.0 - tolerance) - 1e-6;
    if !shortfall_ok {
        return Err(VerifyError::WelfareShortfall {
            committed: committed.welfare,
            recomputed: rerun.welfare,
            tolerance,
        });
    }
    Ok(Report {
        slot: book.slot,
        intents,
        recomputed_welfare: rerun.welfare,
        committed_welfare: committed.welfare,
        committed_trades: committed.trades.len(),
        ratio: if rerun.welfare.abs() < 1e-9 {
            1.0
        } else {
            committed.welfare / rerun.welfare
        },
        screening_height: None,
        screened_out: 0,
        unchecked: Vec::new(),
    })
}

/// The trades the chain recorded for a slot (`trades_by_slot`) as a
/// [`Clearing`] on `book` (built from `frozen`: order id = the intent's
/// `seq`): each trade's buyer and bid nonce, seller and offer nonce name an
/// intent of the frozen book; corridor flows from the orders' zones; welfare
/// recomputed by [`welfare_of`] on `network`.
pub fn committed_from_chain(
    frozen: &FrozenBook,
    book: &OrderBook,
    network: &Network,
    trades: &[TradeResponse],
) -> Result<Clearing, VerifyError> {
    let seq: HashMap<(&str, u64), u64> = frozen
        .intents
        .iter()
        .map(|e| {
            (
                (e.signed.intent.owner.as_str(), e.signed.intent.nonce),
                e.seq,
            )
        })
        .collect();
    let zone: HashMap<u64, u32> = book.orders.iter().map(|o| (o.id, o.zone)).collect();
    let mut flows: std::collections::BTreeMap<u32, CorridorFlow> = Default::default();
    let mut out = Vec::with_capacity(trades.len());
    for (index, t) in trades.iter().enumerate() {
        if !t.intents {
            return Err(VerifyError::Trade {
                index,
                reason: format!("trade {} was not committed from intents", t.id),
            });
        }
        let find = |owner: &str, nonce: u64, what: &str| {
            seq.get(&(owner, nonce)).copied().ok_or(VerifyError::Trade {
                index,
                reason: format!(
                    "the {what}'s intent (nonce {nonce} of {owner}) is not in the frozen book"
                ),
            })
        };
        let (bid, offer) = (
            find(&t.buyer, t.bid, "buyer")?,
            find(&t.seller, t.offer, "seller")?,
        );
        let wh = u64::try_from(t.wh.u128()).unwrap_or(u64::MAX);
        let (from_zone, to_zone) = (
            zone.get(&offer).copied().unwrap_or_default(),
            zone.get(&bid).copied().unwrap_or_default(),
        );
        if from_zone != to_zone {
            let c = network
                .corridors
                .iter()
                .find(|c| {
                    (c.from, c.to) == (from_zone, to_zone) || (c.to, c.from) == (from_zone, to_zone)
                })
                .ok_or(VerifyError::Trade {
                    index,
                    reason: format!("no corridor joins zones {from_zone} and {to_zone}"),
                })?;
            let f = flows.entry(c.id).or_insert(CorridorFlow {
                corridor: c.id,
                forward_wh: 0,
                backward_wh: 0,
            });
            if c.from == from_zone {
                f.forward_wh += wh;
            } else {
                f.backward_wh += wh;
            }
        }
        out.push(Trade {
            bid,
            offer,
            buyer: t.buyer.clone(),
            seller: t.seller.clone(),
            wh,
            price: u64::try_from(t.price.u128()).unwrap_or(u64::MAX),
            fee: 0,
            from_zone,
            to_zone,
            loss_bps: 0,
        });
    }
    let mut c = Clearing {
        slot: book.slot,
        method: Method::Auto,
        traded_wh: out.iter().map(|t| t.wh).sum(),
        trades: out,
        welfare: 0.0,
        gross_surplus: 0.0,
        loss_cost: 0.0,
        congestion_fees: 0.0,
        losses_wh: 0.0,
        local_wh: 0,
        demand_wh: 0,
        supply_wh: 0,
        corridor_flows: flows.into_values().collect(),
        capacity_excess_wh: 0,
        lp_optimum: None,
    };
    c.welfare = welfare_of(book, network, &c)?;
    Ok(c)
}

/// Reads a frozen book from a file, or from an `http://` URL (plain HTTP/1.1 GET).
pub fn fetch(source: &str) -> Result<String, std::io::Error> {
    let Some(rest) = source.strip_prefix("http://") else {
        return std::fs::read_to_string(source);
    };
    use std::io::{Read, Write};
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut s = std::net::TcpStream::connect(host)?;
    write!(
        s,
        "GET /{path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n"
    )?;
    let mut text = String::new();
    s.read_to_string(&mut text)?;
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no HTTP header end"))?;
    let status = head.split_whitespace().nth(1).unwrap_or("");
    if status != "200" {
        return Err(std::io::Error::other(format!(
            "GET {source}: HTTP {status}: {body}"
        )));
    }
    Ok(body.to_string())
}

#[cfg(test)]
mod tests;
