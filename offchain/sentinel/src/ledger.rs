//! Everything the detectors read, accumulated from events: who funded whom,
//! who traded with whom at what price, who reviewed whom after which
//! delivery, and each meter's readings.

use std::collections::{BTreeMap, BTreeSet};

use crate::event::{Account, Event, Side};

/// A settled trade as the ledger keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeRec {
    /// Settlement's trade id.
    pub id: u64,
    /// Slot start, unix s.
    pub slot: u64,
    /// The offer's owner.
    pub seller: Account,
    /// The bid's owner.
    pub buyer: Account,
    /// Contracted, Wh.
    pub wh: u64,
    /// uaip/kWh.
    pub price: u64,
    /// Delivered, Wh.
    pub delivered_wh: u64,
}

/// A review as the ledger keeps it, with the delivery it reviewed.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewRec {
    /// The reviewed trade.
    pub trade_id: u64,
    /// Who rated.
    pub reviewer: Account,
    /// Who was rated.
    pub reviewed: Account,
    /// 1..=5.
    pub rating: u8,
    /// Delivered / contracted of the trade, when the trade is known and the
    /// reviewed party was its seller (what a buyer's rating should follow).
    pub delivery: Option<f64>,
}

/// A meter's registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeterInfo {
    /// Grid zone.
    pub zone: u32,
    /// Rated PV power, W.
    pub rated_w: u64,
    /// Storage power, W.
    pub storage_w: u64,
}

/// The accumulated market state.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    /// Registered accounts and whether through KYC.
    pub registered: BTreeMap<Account, bool>,
    /// Recipient -> sender -> uaip received (mints and transfers).
    pub funded_by: BTreeMap<Account, BTreeMap<Account, u128>>,
    /// Account -> slots it ordered in.
    pub order_slots: BTreeMap<Account, BTreeSet<u64>>,
    /// Every settled trade, in arrival order.
    pub trades: Vec<TradeRec>,
    /// Trade id -> index in `trades`.
    trade_index: BTreeMap<u64, usize>,
    /// Every review.
    pub reviews: Vec<ReviewRec>,
    /// Meter registrations by owner.
    pub meters: BTreeMap<Account, MeterInfo>,
    /// Owner -> slot -> (exported, imported) Wh.
    pub readings: BTreeMap<Account, BTreeMap<u64, (u64, u64)>>,
    /// Offers and bids per slot (for order-timing features): slot -> (bids, offers).
    pub book: BTreeMap<u64, (u64, u64)>,
}

/// Why an event was not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped(pub String);

impl Ledger {
    /// Takes one event; a malformed or duplicate one is refused with the reason
    /// (the caller logs it and goes on).
    pub fn ingest(&mut self, e: &Event) -> Result<(), Skipped> {
        e.check().map_err(Skipped)?;
        match e {
            Event::Registered { account, kyc } => {
                let k = self.registered.entry(account.clone()).or_insert(false);
                *k |= *kyc;
            }
            Event::Transfer { from, to, amount } => {
                if from == to {
                    return Err(Skipped(format!("transfer from {from} to itself")));
                }
                *self
                    .funded_by
                    .entry(to.clone())
                    .or_default()
                    .entry(from.clone())
                    .or_default() += u128::from(*amount);
            }
            Event::Order {
                account,
                slot,
                side,
                ..
            } => {
                self.order_slots
                    .entry(account.clone())
                    .or_default()
                    .insert(*slot);
                let b = self.book.entry(*slot).or_default();
                match side {
                    Side::Bid => b.0 += 1,
                    Side::Offer => b.1 += 1,
                }
            }
            Event::Trade {
                id,
                slot,
                seller,
                buyer,
                wh,
                price,
                delivered_wh,
            } => {
                if self.trade_index.contains_key(id) {
                    return Err(Skipped(format!("trade {id} seen before")));
                }
                self.trade_index.insert(*id, self.trades.len());
                self.trades.push(TradeRec {
                    id: *id,
                    slot: *slot,
                    seller: seller.clone(),
                    buyer: buyer.clone(),
                    wh: *wh,
                    price: *price,
                    delivered_wh: *delivered_wh,
                });
            }
            Event::Review {
                trade_id,
                reviewer,
                reviewed,
                rating,
            } => {
                let Some(t) = self.trade(*trade_id) else {
                    return Err(Skipped(format!(
                        "review of unknown trade {trade_id} by {reviewer}"
                    )));
                };
                let parties = [&t.seller, &t.buyer];
                if !parties.contains(&reviewer) || !parties.contains(&reviewed) {
                    return Err(Skipped(format!(
                        "review of trade {trade_id} by {reviewer} of {reviewed}: not its parties"
                    )));
                }
                let delivery = (t.seller == *reviewed).then(|| t.delivered_wh as f64 / t.wh as f64);
                self.reviews.push(ReviewRec {
                    trade_id: *trade_id,
                    reviewer: reviewer.clone(),
                    reviewed: reviewed.clone(),
                    rating: *rating,
                    delivery,
                });
            }
            Event::Meter {
                account,
                zone,
                rated_w,
                storage_w,
            } => {
                self.meters.insert(
                    account.clone(),
                    MeterInfo {
                        zone: *zone,
                        rated_w: *rated_w,
                        storage_w: *storage_w,
                    },
                );
            }
            Event::Reading {
                account,
                slot,
                exported_wh,
                imported_wh,
            } => {
                self.readings
                    .entry(account.clone())
                    .or_default()
                    .insert(*slot, (*exported_wh, *imported_wh));
            }
        }
        Ok(())
    }

    /// A settled trade by id.
    pub fn trade(&self, id: u64) -> Option<&TradeRec> {
        self.trade_index.get(&id).map(|&i| &self.trades[i])
    }

    /// Every account the ledger has seen in any role.
    pub fn accounts(&self) -> BTreeSet<&Account> {
        let mut s: BTreeSet<&Account> = self.registered.keys().collect();
        s.extend(self.order_slots.keys());
        s.extend(self.meters.keys());
        for t in &self.trades {
            s.insert(&t.seller);
            s.insert(&t.buyer);
        }
        s
    }

    /// The slot's clearing price: the volume-weighted median trade price
    /// (None without trades). Robust to a few trades at odd prices.
    pub fn clearing_price(&self, slot: u64) -> Option<u64> {
        let mut v: Vec<(u64, u64)> = self
            .trades
            .iter()
            .filter(|t| t.slot == slot)
            .map(|t| (t.price, t.wh))
            .collect();
        weighted_median(&mut v)
    }

    /// Clearing prices of every slot with trades.
    pub fn clearing_prices(&self) -> BTreeMap<u64, u64> {
        let mut by: BTreeMap<u64, Vec<(u64, u64)>> = BTreeMap::new();
        for t in &self.trades {
            by.entry(t.slot).or_default().push((t.price, t.wh));
        }
        by.into_iter()
            .filter_map(|(s, mut v)| weighted_median(&mut v).map(|p| (s, p)))
            .collect()
    }

    /// The funders of `account` that are not infrastructure (the minter,
    /// treasury, contracts), largest first.
    pub fn private_funders<'a>(
        &'a self,
        account: &str,
        infrastructure: &'a BTreeSet<Account>,
    ) -> Vec<(&'a Account, u128)> {
        let mut v: Vec<(&Account, u128)> = self
            .funded_by
            .get(account)
            .into_iter()
            .flat_map(|m| m.iter())
            .filter(|(f, _)| !infrastructure.contains(*f))
            .map(|(f, &a)| (f, a))
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        v
    }

    /// True when one funded the other or both were funded by the same
    /// non-infrastructure account.
    pub fn funding_linked(&self, a: &str, b: &str, infra: &BTreeSet<Account>) -> bool {
        let fa: BTreeSet<&Account> = self
            .private_funders(a, infra)
            .into_iter()
            .map(|x| x.0)
            .collect();
        let fb: BTreeSet<&Account> = self
            .private_funders(b, infra)
            .into_iter()
            .map(|x| x.0)
            .collect();
        fa.iter().any(|f| f.as_str() == b)
            || fb.iter().any(|f| f.as_str() == a)
            || !fa.is_disjoint(&fb)
    }
}

/// Median of `(value, weight)` by weight; None when empty or weightless.
pub fn weighted_median(v: &mut [(u64, u64)]) -> Option<u64> {
    let total: u128 = v.iter().map(|x| u128::from(x.1)).sum();
    if total == 0 {
        return None;
    }
    v.sort_unstable();
    let mut acc = 0u128;
    for &(p, w) in v.iter() {
        acc += u128::from(w);
        if 2 * acc >= total {
            return Some(p);
        }
    }
    v.last().map(|x| x.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trade(id: u64, s: &str, b: &str, price: u64, wh: u64) -> Event {
        Event::Trade {
            id,
            slot: 900,
            seller: s.into(),
            buyer: b.into(),
            wh,
            price,
            delivered_wh: wh,
        }
    }

    #[test]
    fn clearing_price_is_the_volume_weighted_median() {
        let mut l = Ledger::default();
        l.ingest(&trade(1, "a", "b", 100, 900)).unwrap();
        l.ingest(&trade(2, "c", "d", 400, 100)).unwrap();
        l.ingest(&trade(3, "e", "f", 120, 200)).unwrap();
        assert_eq!(l.clearing_price(900), Some(100));
        assert_eq!(l.clearing_price(0), None);
    }

    #[test]
    fn duplicate_trades_and_reviews_of_strangers_are_skipped_with_a_reason() {
        let mut l = Ledger::default();
        l.ingest(&trade(1, "a", "b", 100, 900)).unwrap();
        assert_eq!(
            l.ingest(&trade(1, "a", "b", 100, 900)).unwrap_err(),
            Skipped("trade 1 seen before".into())
        );
        let r = Event::Review {
            trade_id: 1,
            reviewer: "c".into(),
            reviewed: "a".into(),
            rating: 5,
        };
        assert_eq!(
            l.ingest(&r).unwrap_err(),
            Skipped("review of trade 1 by c of a: not its parties".into())
        );
        let r = Event::Review {
            trade_id: 2,
            reviewer: "b".into(),
            reviewed: "a".into(),
            rating: 5,
        };
        assert_eq!(
            l.ingest(&r).unwrap_err(),
            Skipped("review of unknown trade 2 by b".into())
        );
        assert_eq!(l.trades.len(), 1);
        assert!(l.reviews.is_empty());
    }

    #[test]
    fn funding_links_ignore_infrastructure() {
        let mut l = Ledger::default();
        let infra: BTreeSet<Account> = ["minter".to_string()].into();
        for (f, t) in [
            ("minter", "a"),
            ("minter", "b"),
            ("boss", "c"),
            ("boss", "d"),
            ("c", "e"),
        ] {
            l.ingest(&Event::Transfer {
                from: f.into(),
                to: t.into(),
                amount: 10,
            })
            .unwrap();
        }
        assert!(!l.funding_linked("a", "b", &infra));
        assert!(l.funding_linked("c", "d", &infra));
        assert!(l.funding_linked("c", "e", &infra));
        assert!(!l.funding_linked("a", "e", &infra));
    }
}
