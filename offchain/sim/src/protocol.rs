//! The simulation's market protocol, written once for every chain: how a
//! household's order becomes the intent it signs, how a slot's batch names
//! each intent once, and how a settled trade maps back to households and
//! money. The chains ([`crate::inprocess`], [`crate::node`]) only move these
//! messages.

use std::collections::BTreeMap;

use aip_types::intent::sign::IntentKey;
use aip_types::intent::{BatchIntent, IntentDomain, OrderIntent, Side as IntentSide};
use aip_types::{MeterId, SlotId};
use anyhow::{anyhow, Result};
use cosmwasm_std::Uint128;
use settlement::msg::{IntentTrade, TradeResponse, TradeStatus};

use crate::chain::{Committed, NewOrder, TradeResult};
use crate::market::{Side, Trade};

/// Whether household `i` signs EIP-712 (as MetaMask does) rather than
/// ADR-036 (as Keplr does): every fourth one, so both kinds run.
pub fn signs_eip712(i: usize) -> bool {
    i % 4 == 3
}

/// The intent of order `o` for `slot` by `owner` on its meter, bound to
/// `domain`, with `nonce` (the local id). It covers the one slot and expires
/// when the slot starts, the last moment a commit may take it. Refused, with
/// the reason, when a gateway would refuse it: outside the order bounds or
/// with an invalid field.
pub fn order_intent(
    domain: &IntentDomain,
    owner: &str,
    nonce: u64,
    slot: SlotId,
    meter: MeterId,
    o: &NewOrder,
) -> std::result::Result<OrderIntent, String> {
    aip_types::check_order(u128::from(o.wh), u128::from(o.price)).map_err(|e| e.to_string())?;
    let intent = OrderIntent {
        chain_id: domain.chain_id.clone(),
        contract: domain.contract.clone(),
        owner: owner.to_string(),
        nonce,
        slot_from: slot.start(),
        slot_until: slot.end(),
        side: match o.side {
            Side::Bid => IntentSide::Buy,
            Side::Offer => IntentSide::Sell,
        },
        meter,
        wh: o.wh,
        limit_price: o.price,
        premium_only: false,
        expires: slot.start(),
    };
    intent.validate().map_err(|e| e.to_string())?;
    Ok(intent)
}

/// Household `i`'s signature over `intent` with its key, in the batch form
/// the matcher commits (see [`signs_eip712`]).
pub fn sign(key: &IntentKey, i: usize, intent: &OrderIntent) -> BatchIntent {
    let signed = if signs_eip712(i) {
        key.sign_eth(intent)
    } else {
        key.sign_cosmos(intent)
    };
    BatchIntent::from_signed(&signed)
}

/// The batch of a slot's commit: each intent the trades name, once, in the
/// order of first use, and the trades by index into it. `held` maps a local
/// id to its intent; a trade naming an unknown id is an error.
pub fn intent_batch(
    held: &BTreeMap<u64, BatchIntent>,
    trades: &[&Trade],
) -> Result<(Vec<BatchIntent>, Vec<IntentTrade>)> {
    let mut at: BTreeMap<u64, u32> = BTreeMap::new();
    let mut intents = Vec::new();
    let mut index = |id: u64| -> Result<u32> {
        if let Some(&i) = at.get(&id) {
            return Ok(i);
        }
        let bi = held.get(&id).ok_or_else(|| {
            anyhow!("trade names intent {id}, which was not signed for this slot")
        })?;
        let i = u32::try_from(intents.len())?;
        intents.push(bi.clone());
        at.insert(id, i);
        Ok(i)
    };
    let mut out = Vec::with_capacity(trades.len());
    for t in trades {
        out.push(IntentTrade {
            bid: index(t.bid)?,
            offer: index(t.offer)?,
            wh: t.wh.into(),
            price: t.price.into(),
        });
    }
    Ok((intents, out))
}

/// Why the chain refused a `CommitIntents` batch: the contract's error, and
/// the intent or trade (index into the batch sent) it names, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// An intent was refused (signature, eligibility, meter...).
    Intent { index: usize, reason: String },
    /// A trade broke a rule (limits, corridor, free balance...).
    Trade { index: usize, reason: String },
    /// The batch as a whole (or a transport failure).
    Batch(String),
}

/// The refusal a chain's error text names: the first `intent N rejected:`
/// or `trade N rejected:` in it (the contract's `IntentRejected` and
/// `TradeRejected` as a node's log carries them), else the batch as a whole.
/// The reason is the whole text.
pub fn refusal_from_log(log: &str) -> Refusal {
    const MARK: &str = " rejected:";
    let mut from = 0;
    while let Some(at) = log[from..].find(MARK).map(|k| from + k) {
        let before = &log[..at];
        let digits = before.len() - before.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        let head = &before[..before.len() - digits];
        if let (true, Ok(index)) = (digits > 0, before[head.len()..].parse::<usize>()) {
            let reason = log.to_string();
            if head.ends_with("intent ") {
                return Refusal::Intent { index, reason };
            }
            if head.ends_with("trade ") {
                return Refusal::Trade { index, reason };
            }
        }
        from = at + MARK.len();
    }
    Refusal::Batch(log.to_string())
}

/// A slot's commit, the same on every chain: the first `max_batch` trades
/// (the rest skipped), each intent they name once; `send` carries one
/// `CommitIntents` batch to the chain. When the chain refuses an intent or a
/// trade, the trades it names are dropped (skipped, with the reason) and the
/// batch goes again, so the slot still commits once; a refusal naming neither
/// rejects what is left.
pub fn commit_slot(
    held: &BTreeMap<u64, BatchIntent>,
    trades: &[Trade],
    max_batch: usize,
    mut send: impl FnMut(Vec<BatchIntent>, Vec<IntentTrade>) -> std::result::Result<(), Refusal>,
) -> Committed {
    let mut out = Committed::default();
    let cap = max_batch.max(1);
    let mut live: Vec<usize> = (0..trades.len()).collect();
    if live.len() > cap {
        for i in live.split_off(cap) {
            out.skipped
                .push((i, format!("beyond the batch maximum of {cap} trades")));
        }
    }
    while !live.is_empty() {
        let picked: Vec<&Trade> = live.iter().map(|&i| &trades[i]).collect();
        let (intents, itrades) = match intent_batch(held, &picked) {
            Ok(b) => b,
            Err(e) => {
                out.rejected = Some(e.to_string());
                break;
            }
        };
        let named = |i: usize| -> Vec<usize> {
            let i = i as u32;
            itrades
                .iter()
                .enumerate()
                .filter(|(_, t)| t.bid == i || t.offer == i)
                .map(|(k, _)| k)
                .collect()
        };
        let (drop, why) = match send(intents, itrades.clone()) {
            Ok(()) => {
                out.taken = live;
                break;
            }
            Err(Refusal::Intent { index, reason }) => (named(index), reason),
            Err(Refusal::Trade { index, reason }) if index < live.len() => (vec![index], reason),
            Err(Refusal::Trade { reason, .. }) | Err(Refusal::Batch(reason)) => (vec![], reason),
        };
        if drop.is_empty() {
            out.rejected = Some(why);
            break;
        }
        for &k in drop.iter().rev() {
            out.skipped.push((live.remove(k), why.clone()));
        }
    }
    out.skipped.sort();
    out
}

/// How a trade settled, per household (`who` maps an account to its
/// household); `None` while it is not settled. Its `bid` and `offer` are the
/// contract's: order ids, or for a trade between intents the intents' nonces.
pub fn trade_result(
    t: &TradeResponse,
    who: impl Fn(&str) -> Result<usize>,
) -> Result<Option<TradeResult>> {
    let Some(s) = t
        .settlement
        .as_ref()
        .filter(|_| matches!(t.status, TradeStatus::Settled | TradeStatus::Ruled))
    else {
        return Ok(None);
    };
    let (wh, net, delivered) = (t.wh.u128(), t.net_wh.u128(), s.delivered_wh.u128());
    let received = (delivered * net).checked_div(wh).unwrap_or(0);
    let i = |v: Uint128| v.u128() as i128;
    Ok(Some(TradeResult {
        bid: t.bid,
        offer: t.offer,
        buyer: who(&t.buyer)?,
        seller: who(&t.seller)?,
        wh: wh as u64,
        price: t.price.u128() as u64,
        delivered_wh: delivered as u64,
        received_wh: received as u64,
        buyer_cash: -i(t.payment) - i(t.fee) + i(s.buyer_refund) + i(s.penalty),
        seller_cash: i(s.seller_paid) + i(s.collateral_returned) - i(t.collateral),
        fee: t.fee.u128(),
        penalty: s.penalty.u128(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aip_types::intent::verify_signed_intent;
    use aip_types::intent::SignedIntent;
    use cosmwasm_std::testing::MockApi;

    fn domain() -> IntentDomain {
        IntentDomain {
            chain_id: "sim-1".into(),
            contract: IntentKey::from_label("settlement").address("wasm"),
        }
    }

    fn order(side: Side, wh: u64, price: u64) -> NewOrder {
        NewOrder {
            owner: 0,
            side,
            wh,
            price,
        }
    }

    #[test]
    fn an_order_becomes_a_one_slot_intent_that_verifies_for_its_owner_with_either_kind() {
        let slot = SlotId(1_473_066_000);
        let d = domain();
        for i in [0usize, 3] {
            let key = IntentKey::from_label(&format!("h{i}"));
            let owner = key.address("wasm");
            let intent =
                order_intent(&d, &owner, 7, slot, 12, &order(Side::Offer, 800, 120_000)).unwrap();
            assert_eq!(intent.side, IntentSide::Sell);
            assert_eq!(
                (intent.slot_from, intent.slot_until),
                (slot.start(), slot.end())
            );
            assert_eq!(intent.expires, slot.start());
            let bi = sign(&key, i, &intent);
            let sig = bi.signature.clone().unwrap();
            assert_eq!(sig.kind == aip_types::intent::KIND_ETH_EIP712, i == 3);
            let signed = SignedIntent {
                intent: bi.intent(&d),
                signature: sig,
            };
            let v =
                verify_signed_intent(&MockApi::default(), &d, &signed, slot.start() - 1).unwrap();
            assert_eq!(v.owner, owner);
        }
    }

    #[test]
    fn orders_outside_the_bounds_are_refused_before_signing() {
        let d = domain();
        let slot = SlotId(1_473_066_000);
        assert!(order_intent(&d, "x", 1, slot, 1, &order(Side::Bid, 0, 100_000)).is_err());
        assert!(order_intent(&d, "x", 1, slot, 1, &order(Side::Bid, 10, 0)).is_err());
    }

    /// Four intents: bids 1 and 2, offers 3 and 4.
    fn held() -> BTreeMap<u64, BatchIntent> {
        let d = domain();
        let slot = SlotId(1_473_066_000);
        (1..=4)
            .map(|id| {
                let key = IntentKey::from_label(&format!("h{id}"));
                let side = if id <= 2 { Side::Bid } else { Side::Offer };
                let i = order_intent(
                    &d,
                    &key.address("wasm"),
                    id,
                    slot,
                    id as u32,
                    &order(side, 500, 150_000),
                )
                .unwrap();
                (id, sign(&key, id as usize, &i))
            })
            .collect()
    }

    fn trade(bid: u64, offer: u64) -> Trade {
        Trade {
            bid,
            offer,
            wh: 100,
            price: 150_000,
        }
    }

    #[test]
    fn a_commit_drops_what_the_chain_refuses_and_sends_the_rest_once_more() {
        let held = held();
        let trades = [trade(1, 3), trade(2, 3), trade(1, 4), trade(2, 4)];
        let mut sent: Vec<Vec<u64>> = Vec::new();
        // The chain refuses intent 2 (by nonce), then the trade 1 -> 4.
        let c = commit_slot(&held, &trades, 10, |intents, itrades| {
            let nonces: Vec<u64> = intents.iter().map(|b| b.nonce).collect();
            sent.push(nonces.clone());
            if let Some(index) = nonces.iter().position(|&n| n == 2) {
                return Err(Refusal::Intent {
                    index,
                    reason: "flagged".into(),
                });
            }
            let pair = |t: &IntentTrade| (nonces[t.bid as usize], nonces[t.offer as usize]);
            if let Some(index) = itrades.iter().position(|t| pair(t) == (1, 4)) {
                return Err(Refusal::Trade {
                    index,
                    reason: "short".into(),
                });
            }
            Ok(())
        });
        assert_eq!(c.taken, vec![0]);
        assert_eq!(
            c.skipped,
            vec![
                (1, "flagged".to_string()),
                (2, "short".to_string()),
                (3, "flagged".to_string())
            ]
        );
        assert_eq!(c.rejected, None);
        assert_eq!(sent, vec![vec![1, 3, 2, 4], vec![1, 3, 4], vec![1, 3]]);
    }

    #[test]
    fn a_commit_skips_beyond_the_maximum_and_a_batch_refusal_rejects_the_rest() {
        let held = held();
        let trades = [trade(1, 3), trade(2, 4), trade(1, 4)];
        let mut calls = 0;
        let c = commit_slot(&held, &trades, 2, |_, t| {
            calls += 1;
            assert_eq!(t.len(), 2);
            Err(Refusal::Batch("slot already committed".into()))
        });
        assert_eq!(calls, 1);
        assert!(c.taken.is_empty());
        assert_eq!(
            c.skipped,
            vec![(2, "beyond the batch maximum of 2 trades".to_string())]
        );
        assert_eq!(c.rejected.as_deref(), Some("slot already committed"));
    }

    #[test]
    fn a_nodes_log_names_the_refused_intent_or_trade() {
        let log = "failed to execute message; message index: 0: intent 3 rejected: \
                   the trade 1 rejected: nothing: execute wasm contract failed";
        assert_eq!(
            refusal_from_log(log),
            Refusal::Intent {
                index: 3,
                reason: log.into()
            }
        );
        let log = "message index: 0: trade 12 rejected: price above the bid's limit";
        assert_eq!(
            refusal_from_log(log),
            Refusal::Trade {
                index: 12,
                reason: log.into()
            }
        );
        for log in [
            "slot 1 already committed",
            "order rejected: x",
            "intent x rejected: y",
        ] {
            assert_eq!(refusal_from_log(log), Refusal::Batch(log.into()));
        }
    }

    #[test]
    fn a_batch_names_each_intent_once_in_order_of_first_use() {
        let held = held();
        let t = trade;
        let trades = [t(2, 4), t(1, 4), t(2, 3)];
        let refs: Vec<&Trade> = trades.iter().collect();
        let (intents, itrades) = intent_batch(&held, &refs).unwrap();
        let nonces: Vec<u64> = intents.iter().map(|b| b.nonce).collect();
        assert_eq!(nonces, vec![2, 4, 1, 3]);
        let pairs: Vec<(u32, u32)> = itrades.iter().map(|t| (t.bid, t.offer)).collect();
        assert_eq!(pairs, vec![(0, 1), (2, 1), (0, 3)]);
        let missing = [t(9, 4)];
        let refs: Vec<&Trade> = missing.iter().collect();
        assert!(intent_batch(&held, &refs).is_err());
    }
}
