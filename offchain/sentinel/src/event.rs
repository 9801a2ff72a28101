//! What the sentinel reads: market events in one normalised form, whatever
//! their source (the chain's contract events today, the gateway's signed
//! intents later; see [`crate::source`]).

use serde::{Deserialize, Serialize};

/// Account address (bech32 on a chain, a name in tests).
pub type Account = String;

/// Bid or offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// A buy order.
    Bid,
    /// A sell order.
    Offer,
}

/// One market event. Slots are the delivery slot's start, unix seconds;
/// energy in Wh, prices in uaip/kWh, amounts in uaip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Event {
    /// A reputation token was minted: `kyc` when through a KYC proof.
    Registered {
        /// The new participant.
        account: Account,
        /// Minted by the zk-verifier after a membership proof.
        kyc: bool,
    },
    /// AIP moved (a cw20 transfer, send or mint; `from` is the minter for a mint).
    Transfer {
        /// Who paid.
        from: Account,
        /// Who received.
        to: Account,
        /// uaip (u64: serde's tagged enums cannot carry u128; 1.8e13 AIP).
        amount: u64,
    },
    /// An order was placed.
    Order {
        /// The owner.
        account: Account,
        /// Delivery slot start, unix s.
        slot: u64,
        /// Bid or offer.
        side: Side,
        /// Energy, Wh.
        wh: u64,
        /// Limit price, uaip/kWh.
        price: u64,
    },
    /// A trade settled.
    Trade {
        /// Settlement's trade id.
        id: u64,
        /// Delivery slot start, unix s.
        slot: u64,
        /// The offer's owner.
        seller: Account,
        /// The bid's owner.
        buyer: Account,
        /// Contracted energy, Wh.
        wh: u64,
        /// Trade price, uaip/kWh.
        price: u64,
        /// Energy counted as delivered, Wh.
        delivered_wh: u64,
    },
    /// A party of a trade reviewed the other.
    Review {
        /// The reviewed trade.
        trade_id: u64,
        /// Who gave the rating.
        reviewer: Account,
        /// Who received it.
        reviewed: Account,
        /// 1..=5.
        rating: u8,
    },
    /// A meter was registered: its owner, zone and rated PV power (0: no PV),
    /// and the storage power behind it (W), which may export at any hour.
    Meter {
        /// The meter's owner.
        account: Account,
        /// Grid zone.
        zone: u32,
        /// Rated PV power, W.
        rated_w: u64,
        /// Battery power, W.
        storage_w: u64,
    },
    /// A finalized meter reading for one slot.
    Reading {
        /// The meter's owner.
        account: Account,
        /// Slot start, unix s.
        slot: u64,
        /// Energy exported, Wh.
        exported_wh: u64,
        /// Energy imported, Wh.
        imported_wh: u64,
    },
}

impl Event {
    /// Checks what the types cannot: why the event is unusable, if it is.
    pub fn check(&self) -> Result<(), String> {
        let empty = |who: &str, a: &str| {
            if a.trim().is_empty() {
                Err(format!("empty {who} account"))
            } else {
                Ok(())
            }
        };
        match self {
            Event::Registered { account, .. } => empty("registered", account),
            Event::Transfer { from, to, .. } => {
                empty("sender", from)?;
                empty("recipient", to)
            }
            Event::Order { account, wh, .. } => {
                empty("order", account)?;
                if *wh == 0 {
                    return Err("order of 0 Wh".into());
                }
                Ok(())
            }
            Event::Trade {
                id,
                seller,
                buyer,
                wh,
                delivered_wh,
                ..
            } => {
                empty("seller", seller)?;
                empty("buyer", buyer)?;
                if seller == buyer {
                    return Err(format!("trade {id}: seller = buyer"));
                }
                if *wh == 0 {
                    return Err(format!("trade {id}: 0 Wh"));
                }
                if delivered_wh > wh {
                    return Err(format!(
                        "trade {id}: delivered {delivered_wh} Wh > contracted {wh} Wh"
                    ));
                }
                Ok(())
            }
            Event::Review {
                trade_id,
                reviewer,
                reviewed,
                rating,
            } => {
                empty("reviewer", reviewer)?;
                empty("reviewed", reviewed)?;
                if !(1..=5).contains(rating) {
                    return Err(format!(
                        "review of trade {trade_id}: rating {rating} not in 1..=5"
                    ));
                }
                if reviewer == reviewed {
                    return Err(format!("review of trade {trade_id}: self-review"));
                }
                Ok(())
            }
            Event::Meter { account, .. } => empty("meter", account),
            Event::Reading { account, .. } => empty("reading", account),
        }
    }
}

/// An event and where it came from, for the cursor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Located {
    /// Block height.
    pub height: u64,
    /// The event.
    pub event: Event,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_names_what_is_wrong() {
        let t = Event::Trade {
            id: 7,
            slot: 0,
            seller: "a".into(),
            buyer: "a".into(),
            wh: 10,
            price: 1,
            delivered_wh: 0,
        };
        assert_eq!(t.check().unwrap_err(), "trade 7: seller = buyer");
        let t = Event::Trade {
            id: 8,
            slot: 0,
            seller: "a".into(),
            buyer: "b".into(),
            wh: 10,
            price: 1,
            delivered_wh: 11,
        };
        assert_eq!(
            t.check().unwrap_err(),
            "trade 8: delivered 11 Wh > contracted 10 Wh"
        );
        let r = Event::Review {
            trade_id: 3,
            reviewer: "a".into(),
            reviewed: "b".into(),
            rating: 9,
        };
        assert_eq!(
            r.check().unwrap_err(),
            "review of trade 3: rating 9 not in 1..=5"
        );
        let o = Event::Transfer {
            from: " ".into(),
            to: "b".into(),
            amount: 1,
        };
        assert_eq!(o.check().unwrap_err(), "empty sender account");
        assert!(Event::Registered {
            account: "a".into(),
            kyc: true
        }
        .check()
        .is_ok());
    }

    #[test]
    fn events_read_from_json_and_refuse_unknown_fields() {
        let e: Event =
            serde_json::from_str(r#"{"type":"transfer","from":"a","to":"b","amount":5}"#).unwrap();
        assert_eq!(
            e,
            Event::Transfer {
                from: "a".into(),
                to: "b".into(),
                amount: 5
            }
        );
        let bad = serde_json::from_str::<Event>(
            r#"{"type":"transfer","from":"a","to":"b","amount":5,"x":1}"#,
        );
        assert!(bad.unwrap_err().to_string().contains("unknown field `x`"));
    }
}
