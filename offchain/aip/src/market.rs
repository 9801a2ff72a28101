//! Market operations on a deployment, as contract calls for
//! [`chain_client::ChainClient::execute_multi`]: orders (a CW20 `Send` to
//! settlement), match commits, device-signed meter readings, settlement.
//! Used by the e2e tests and the localnet benchmark; the agents may use it too.

use aip_types::{escrow_for, SlotId};
use chain_client::Execute;
use cosmwasm_std::{to_json_binary, Binary, Uint128};
use ed25519_dalek::{Signer as _, SigningKey};
use serde_json::{json, Value};

use crate::deployment::Deployment;
use crate::error::{Error, Result};

/// Escrow a bid locks: `ceil(wh × max_price / 1000)` uaip.
pub fn bid_escrow(wh: u128, max_price: u128) -> Result<u128> {
    escrow_for(Uint128::new(wh), Uint128::new(max_price))
        .map(|u| u.u128())
        .map_err(|e| Error::Usage(e.to_string()))
}

/// Collateral an offer locks: `ceil(wh × max(min_price, floor) × ratio_bps / 10⁷)`
/// uaip, `floor` being the market's `collateral_floor_price` (the settlement
/// contract's rule, `aip_types::offer_collateral`).
pub fn offer_collateral(wh: u128, min_price: u128, floor: u128, ratio_bps: u32) -> Result<u128> {
    aip_types::offer_collateral(
        Uint128::new(wh),
        Uint128::new(min_price),
        Uint128::new(floor),
        ratio_bps,
    )
    .map(|u| u.u128())
    .map_err(|e| Error::Usage(e.to_string()))
}

/// Payment for `wh` at `price`: `floor(wh × price / 1000)` uaip.
pub fn payment(wh: u128, price: u128) -> Result<u128> {
    aip_types::payment(Uint128::new(wh), Uint128::new(price))
        .map(|u| u.u128())
        .map_err(|e| Error::Usage(e.to_string()))
}

/// The first slot whose gate (`gate_closure_secs` before its start) is at
/// least `margin_secs` after `now`.
pub fn next_open_slot(now: u64, gate_closure_secs: u64, margin_secs: u64) -> u64 {
    let mut slot = SlotId::containing(now);
    while slot.start() < now + gate_closure_secs + margin_secs {
        slot = match slot.next() {
            Some(s) => s,
            None => break,
        };
    }
    slot.start()
}

fn cw20_send(d: &Deployment, amount: u128, hook: &Value) -> Result<Execute> {
    let msg = json!({"send": {
        "contract": d.address("settlement")?,
        "amount": amount.to_string(),
        "msg": to_json_binary(hook).map_err(|e| Error::Usage(e.to_string()))?,
    }});
    Ok(Execute::new(d.address("aip-token")?, &msg, &[])?)
}

/// A bid: `wh` in `slot` at up to `max_price`, escrow sent with it.
pub fn place_bid(
    d: &Deployment,
    slot: u64,
    zone: u32,
    meter: aip_types::MeterId,
    wh: u128,
    max_price: u128,
) -> Result<Execute> {
    let hook = json!({"place_bid": {
        "slot": slot, "zone": zone, "meter": meter,
        "wh": wh.to_string(), "max_price": max_price.to_string(),
    }});
    cw20_send(d, bid_escrow(wh, max_price)?, &hook)
}

/// An offer: `wh` in `slot` at no less than `min_price`, with `collateral`.
pub fn place_offer(
    d: &Deployment,
    slot: u64,
    zone: u32,
    meter: aip_types::MeterId,
    wh: u128,
    min_price: u128,
    collateral: u128,
) -> Result<Execute> {
    let hook = json!({"place_offer": {
        "slot": slot, "zone": zone, "meter": meter,
        "wh": wh.to_string(), "min_price": min_price.to_string(), "premium_only": false,
    }});
    cw20_send(d, collateral, &hook)
}

/// One matched trade: (bid id, offer id, wh, price).
pub type Trade = (u64, u64, u128, u128);

/// The matcher's commit of `trades` for `slot`.
pub fn commit_matches(d: &Deployment, slot: u64, trades: &[Trade]) -> Result<Execute> {
    let trades: Vec<Value> = trades
        .iter()
        .map(|(b, o, wh, p)| json!({"bid": b, "offer": o, "wh": wh.to_string(), "price": p.to_string()}))
        .collect();
    Ok(Execute::new(
        d.address("settlement")?,
        &json!({"commit_matches": {"slot": slot, "trades": trades}}),
        &[],
    )?)
}

/// A meter device's ed25519 key.
pub struct DeviceKey(SigningKey);

impl DeviceKey {
    /// The key with this 32-byte seed (tests derive seeds from names).
    pub fn from_seed(seed: [u8; 32]) -> Self {
        DeviceKey(SigningKey::from_bytes(&seed))
    }

    /// The public key, as the meter-oracle expects it (base64 in JSON).
    pub fn public_key(&self) -> Binary {
        Binary::from(self.0.verifying_key().to_bytes().to_vec())
    }

    /// A signed reading of `meter` for `slot` bound to the deployment's
    /// chain id and meter-oracle address.
    pub fn reading(
        &self,
        d: &Deployment,
        meter: u32,
        slot: u64,
        exported_wh: u128,
        imported_wh: u128,
    ) -> Result<Value> {
        let payload = meter_oracle::reading_payload(
            &d.chain_id,
            d.address("meter-oracle")?,
            meter,
            slot,
            exported_wh,
            imported_wh,
        );
        let sig = self.0.sign(&payload).to_bytes().to_vec();
        Ok(json!({
            "meter": meter,
            "exported_wh": exported_wh.to_string(),
            "imported_wh": imported_wh.to_string(),
            "signature": Binary::from(sig),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escrow_and_collateral_round_up_payment_rounds_down() {
        assert_eq!(bid_escrow(1_001, 1_000).unwrap(), 1_001);
        assert_eq!(bid_escrow(1, 1).unwrap(), 1);
        assert_eq!(payment(1, 999).unwrap(), 0);
        assert_eq!(
            offer_collateral(2_000, 200_000, 100_000, 2_000).unwrap(),
            80_000
        );
        assert_eq!(offer_collateral(1, 1, 0, 1).unwrap(), 1);
        // Below the floor the collateral is valued at the floor.
        assert_eq!(offer_collateral(2_000, 1, 100_000, 2_000).unwrap(), 40_000);
    }

    #[test]
    fn the_next_open_slot_is_past_the_gate() {
        // now = 1000 s into a slot; gate 300 s; margin 30 s.
        let now = 900 * 1000 + 100;
        assert_eq!(next_open_slot(now, 300, 30), 900 * 1001);
        // Too close to the next slot's gate: the one after.
        let now = 900 * 1001 - 320;
        assert_eq!(next_open_slot(now, 300, 30), 900 * 1002);
    }
}
