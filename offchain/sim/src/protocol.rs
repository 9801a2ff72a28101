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

use crate::chain::{NewOrder, TradeResult};
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

    #[test]
    fn a_batch_names_each_intent_once_in_order_of_first_use() {
        let d = domain();
        let slot = SlotId(1_473_066_000);
        let held: BTreeMap<u64, BatchIntent> = (1..=4)
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
            .collect();
        let t = |bid, offer| Trade {
            bid,
            offer,
            wh: 100,
            price: 150_000,
        };
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
