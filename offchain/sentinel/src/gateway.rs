//! The gateway's signed intents as orders. Once orders are intents posted to
//! `offchain/gateway` instead of transactions, the chain no longer shows who
//! ordered in which slot; the gateway's frozen book of each slot does
//! (`GET /v1/book/{slot}/frozen`, fixed at the slot's gate closure). Every
//! intent of a book becomes an [`Event::Order`] of its proven owner in that
//! slot: the order timing the Sybil detector compares.
//!
//! A book is checked before use with the matcher's verifier
//! (`aip_matcher::verify::book_from_frozen`): the book hash, and each
//! intent's signature and binding to this chain and settlement contract at
//! the freeze time. A book that fails is skipped whole, with the reason.
//! [`crate::source::ChainSource`] reads the book of every slot that started
//! in a block (a slot's book is frozen `gate_closure` seconds before that).

use std::collections::HashMap;

use aip_matcher::verify::{book_from_frozen, fetch, FrozenBook};
use aip_matcher::Side as MatcherSide;
use aip_types::intent::IntentDomain;

use crate::event::{Event, Side};
use crate::{Error, Result};

/// Slot length, seconds.
const SLOT: u64 = 900;

/// Most slots read for one block (a day); older ones are skipped with a reason.
pub const MAX_SLOTS_PER_BLOCK: usize = 96;

/// The gateway's frozen books.
#[derive(Debug, Clone)]
pub struct GatewayBooks {
    url: String,
    domain: IntentDomain,
}

/// What reading one slot's book gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Book {
    /// The book's orders.
    Orders(Vec<Event>),
    /// The book could not be used (not frozen, refused): why.
    Skipped(String),
}

impl GatewayBooks {
    /// The gateway at `url` (`http://host:port`), its intents bound to `domain`.
    pub fn new(raw: &str, domain: IntentDomain) -> Result<GatewayBooks> {
        let url = raw.trim_end_matches('/');
        if !url.starts_with("http://") || url.len() <= "http://".len() {
            return Err(Error::Config(format!(
                "gateway.url {raw:?}: expected http://host:port"
            )));
        }
        Ok(GatewayBooks {
            url: url.to_string(),
            domain,
        })
    }

    /// The book of `slot`. A gateway that answers with an error (the slot
    /// was never frozen, an unknown route) gives [`Book::Skipped`]; one that
    /// cannot be reached gives [`Error::Gateway`] (the block is read again).
    pub async fn book(&self, slot: u64) -> Result<Book> {
        let url = format!("{}/v1/book/{slot}/frozen", self.url);
        let asked = url.clone();
        let got = tokio::task::spawn_blocking(move || fetch(&asked))
            .await
            .map_err(|e| Error::Gateway {
                url: url.clone(),
                reason: e.to_string(),
            })?;
        let text = match got {
            Ok(t) => t,
            // The gateway answered, but not with a book.
            Err(e) if e.kind() == std::io::ErrorKind::Other => {
                return Ok(Book::Skipped(format!("book of slot {slot}: {e}")))
            }
            Err(e) => {
                return Err(Error::Gateway {
                    url,
                    reason: e.to_string(),
                })
            }
        };
        let frozen: FrozenBook = match serde_json::from_str(&text) {
            Ok(f) => f,
            Err(e) => {
                return Ok(Book::Skipped(format!(
                    "book of slot {slot}: not a frozen book: {e}"
                )))
            }
        };
        Ok(orders(&frozen, slot, &self.domain))
    }
}

/// The orders of a frozen book, after checking it; skipped whole, with the
/// reason, when the book is not `slot`'s or fails a check.
pub fn orders(frozen: &FrozenBook, slot: u64, domain: &IntentDomain) -> Book {
    if frozen.slot != slot {
        return Book::Skipped(format!(
            "book of slot {slot}: the gateway sent slot {}",
            frozen.slot
        ));
    }
    // Zones do not matter here: every meter in zone 0.
    let zones: HashMap<u32, u32> = frozen
        .intents
        .iter()
        .map(|e| (e.signed.intent.meter, 0))
        .collect();
    match book_from_frozen(frozen, domain, &zones) {
        Ok(book) => Book::Orders(
            book.orders
                .into_iter()
                .map(|o| Event::Order {
                    account: o.owner,
                    slot,
                    side: match o.side {
                        MatcherSide::Bid => Side::Bid,
                        MatcherSide::Offer => Side::Offer,
                    },
                    wh: o.wh,
                    price: o.limit_price,
                })
                .collect(),
        ),
        Err(e) => Book::Skipped(format!("book of slot {slot} refused: {e}")),
    }
}

/// Starts of the slots that began in `(after, until]`, oldest first, and how
/// many older ones were left out (at most [`MAX_SLOTS_PER_BLOCK`] are kept).
pub fn slots_started(after: u64, until: u64) -> (Vec<u64>, u64) {
    if until <= after {
        return (vec![], 0);
    }
    let first = after / SLOT * SLOT + SLOT;
    let last = until / SLOT * SLOT;
    if last < first {
        return (vec![], 0);
    }
    let n = (last - first) / SLOT + 1;
    let keep = n.min(MAX_SLOTS_PER_BLOCK as u64);
    let from = last - (keep - 1) * SLOT;
    ((0..keep).map(|i| from + i * SLOT).collect(), n - keep)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_that_started_in_a_block_are_listed_once() {
        // A block 10 s after another, across the start of slot 1800.
        assert_eq!(slots_started(1_795, 1_805), (vec![1_800], 0));
        // Exactly at a start: it belongs to the block whose time reaches it.
        assert_eq!(slots_started(1_790, 1_800), (vec![1_800], 0));
        assert_eq!(slots_started(1_800, 1_810), (vec![], 0));
        // Inside one slot: nothing started.
        assert_eq!(slots_started(1_801, 2_699), (vec![], 0));
        // A jump of an hour: four slots.
        assert_eq!(
            slots_started(1_000, 4_600),
            (vec![1_800, 2_700, 3_600, 4_500], 0)
        );
        // Time going backwards or standing still: nothing.
        assert_eq!(slots_started(4_600, 1_000), (vec![], 0));
    }

    #[test]
    fn a_long_gap_keeps_the_latest_day_and_counts_the_rest() {
        let (slots, left_out) = slots_started(0, 3 * 86_400);
        assert_eq!(slots.len(), MAX_SLOTS_PER_BLOCK);
        assert_eq!(*slots.last().unwrap(), 3 * 86_400);
        assert_eq!(slots[0], 2 * 86_400 + 900);
        assert_eq!(left_out, 3 * 96 - 96);
    }

    #[test]
    fn a_gateway_url_must_be_plain_http() {
        let d = IntentDomain {
            chain_id: "c".into(),
            contract: "s".into(),
        };
        for bad in ["https://gw.example", "gw:8787", "http://"] {
            let e = GatewayBooks::new(bad, d.clone()).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("config: gateway.url {bad:?}: expected http://host:port")
            );
        }
        assert!(GatewayBooks::new("http://127.0.0.1:8787/", d).is_ok());
    }
}
