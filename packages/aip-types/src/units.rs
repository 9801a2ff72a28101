//! Energy, prices and the payment rule.
//!
//! Rounding rule (the only one in the system): a payment is rounded **down**,
//! an escrow lock is rounded **up**, and the difference between what was locked
//! and what was paid always goes back to the payer. No amount is ever created
//! or lost by rounding.

use cosmwasm_std::Uint128;

use crate::TypesError;

/// Energy in integer watt-hours.
pub type Wh = Uint128;

/// A price in `uaip` per kWh.
pub type Price = Uint128;

/// Watt-hours per kilowatt-hour: the divisor of the payment rule.
pub const WH_PER_KWH: u128 = 1000;

/// Basis points in one whole (100 %).
pub const BPS_DENOMINATOR: u32 = 10_000;

fn mul(what: &'static str, a: Uint128, b: Uint128) -> Result<Uint128, TypesError> {
    a.checked_mul(b).map_err(|_| TypesError::Overflow {
        what,
        a: a.u128(),
        b: b.u128(),
    })
}

/// What a buyer pays for `wh` at `price` (uaip/kWh): `wh * price / 1000`, rounded down.
pub fn payment(wh: Wh, price: Price) -> Result<Uint128, TypesError> {
    Ok(mul("wh * price", wh, price)? / Uint128::new(WH_PER_KWH))
}

/// What a bid must lock to cover `wh` at up to `max_price`: `wh * max_price / 1000`,
/// rounded **up**, so that any payment at a price `<= max_price` for `<= wh` is covered.
pub fn escrow_for(wh: Wh, max_price: Price) -> Result<Uint128, TypesError> {
    let product = mul("wh * price", wh, max_price)?;
    let k = Uint128::new(WH_PER_KWH);
    let floor = product / k;
    Ok(if (product % k).is_zero() {
        floor
    } else {
        floor + Uint128::one()
    })
}

/// Offer collateral: `wh * price / 1000 * ratio_bps / 10000`, rounded **up**
/// (one division, so nothing is lost to an intermediate rounding). `price` is
/// the collateral price the market applies (see the settlement contract's
/// rules: never below its floor), not necessarily the seller's limit.
pub fn collateral_for(wh: Wh, price: Price, ratio_bps: u32) -> Result<Uint128, TypesError> {
    let overflow = || TypesError::Overflow {
        what: "collateral",
        a: wh.u128(),
        b: price.u128(),
    };
    let num = cosmwasm_std::Uint256::from(wh)
        .checked_mul(cosmwasm_std::Uint256::from(price))
        .and_then(|n| n.checked_mul(cosmwasm_std::Uint256::from(ratio_bps)))
        .map_err(|_| overflow())?;
    let den = cosmwasm_std::Uint256::from(WH_PER_KWH * BPS_DENOMINATOR as u128);
    let ceil = (num + den - cosmwasm_std::Uint256::one()) / den;
    Uint128::try_from(ceil).map_err(|_| overflow())
}

/// The price an offer's collateral is valued at: the seller's `min_price`,
/// but never less than the market's `floor`, so a seller cannot make its
/// collateral (the most it can lose for not delivering) vanish with a tiny
/// limit price.
pub fn collateral_price(min_price: Price, floor: Price) -> Price {
    min_price.max(floor)
}

/// Offer collateral as the settlement contract asks it:
/// `collateral_for(wh, collateral_price(min_price, floor), ratio_bps)`.
pub fn offer_collateral(
    wh: Wh,
    min_price: Price,
    floor: Price,
    ratio_bps: u32,
) -> Result<Uint128, TypesError> {
    collateral_for(wh, collateral_price(min_price, floor), ratio_bps)
}

/// `amount * bps / 10000`, rounded down. Refuses `bps > 10000`.
pub fn apply_bps(amount: Uint128, bps: u32) -> Result<Uint128, TypesError> {
    if bps > BPS_DENOMINATOR {
        return Err(TypesError::BpsOutOfRange { bps });
    }
    Ok(mul("amount * bps", amount, Uint128::from(bps))? / Uint128::from(BPS_DENOMINATOR))
}

/// Energy that arrives of `wh` sent over a route losing `loss_bps`:
/// `wh - apply_bps(wh, loss_bps)`, so the loss is rounded down and the
/// receiver keeps the rounding. Refuses `loss_bps > 10000`.
pub fn net_of_loss(wh: Wh, loss_bps: u32) -> Result<Wh, TypesError> {
    Ok(wh - apply_bps(wh, loss_bps)?)
}

/// Energy a trade of `wh` delivered when its seller's meter exported
/// `exported` Wh in the slot against `contracted` Wh sold by all the meter's
/// trades: all of it when the export covers them, else the trade's pro rata
/// share, `floor(wh * exported / contracted)` (the buyer bears the rounding).
/// Refuses a product beyond `Uint128`.
pub fn delivered_pro_rata(wh: Wh, exported: Wh, contracted: Wh) -> Result<Wh, TypesError> {
    if exported >= contracted {
        return Ok(wh);
    }
    // contracted > exported >= 0, so the division is by a positive number.
    Ok(mul("wh * exported", wh, exported)? / contracted)
}

/// How a locked amount splits after paying for delivered energy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentSplit {
    /// Paid to the seller.
    pub paid: Uint128,
    /// Returned to the payer (unused escrow plus the rounding remainder).
    pub refund: Uint128,
}

impl PaymentSplit {
    /// Pays `payment(wh, price)` out of `locked`; the rest is the payer's refund.
    /// `paid + refund == locked` always holds.
    pub fn settle(locked: Uint128, wh: Wh, price: Price) -> Result<Self, TypesError> {
        let paid = payment(wh, price)?;
        let refund = locked
            .checked_sub(paid)
            .map_err(|_| TypesError::Insufficient {
                paid: paid.u128(),
                available: locked.u128(),
            })?;
        Ok(PaymentSplit { paid, refund })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn u(v: u128) -> Uint128 {
        Uint128::new(v)
    }

    #[test]
    fn payment_rounds_down() {
        // 1 Wh at 1_500 uaip/kWh = 1.5 uaip -> 1
        assert_eq!(payment(u(1), u(1_500)).unwrap(), u(1));
        // 2.5 kWh at 0.25 AIP/kWh = 625_000 uaip exactly
        assert_eq!(payment(u(2_500), u(250_000)).unwrap(), u(625_000));
        assert_eq!(payment(u(0), u(250_000)).unwrap(), u(0));
        assert_eq!(payment(u(999), u(1)).unwrap(), u(0));
    }

    #[test]
    fn escrow_rounds_up() {
        assert_eq!(escrow_for(u(1), u(1_500)).unwrap(), u(2));
        assert_eq!(escrow_for(u(2_500), u(250_000)).unwrap(), u(625_000));
        assert_eq!(escrow_for(u(999), u(1)).unwrap(), u(1));
        assert_eq!(escrow_for(u(0), u(7)).unwrap(), u(0));
    }

    #[test]
    fn overflow_is_an_error_not_a_panic() {
        let err = payment(Uint128::MAX, u(2)).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "arithmetic overflow: wh * price ({} and 2)",
                Uint128::MAX.u128()
            )
        );
        assert!(escrow_for(u(2), Uint128::MAX).is_err());
        assert!(apply_bps(Uint128::MAX, 2).is_err());
    }

    #[test]
    fn bps_above_one_whole_is_refused() {
        assert_eq!(apply_bps(u(1_000), 250).unwrap(), u(25));
        assert_eq!(apply_bps(u(1_000), 10_000).unwrap(), u(1_000));
        assert_eq!(
            apply_bps(u(1_000), 10_001).unwrap_err().to_string(),
            "basis points 10001 exceed 10000"
        );
    }

    #[test]
    fn net_of_loss_rounds_the_loss_down() {
        assert_eq!(net_of_loss(u(1_000), 250).unwrap(), u(975));
        // 999 Wh at 2.5 %: a loss of 24.975 Wh counts as 24.
        assert_eq!(net_of_loss(u(999), 250).unwrap(), u(975));
        assert_eq!(net_of_loss(u(1_000), 0).unwrap(), u(1_000));
        assert_eq!(net_of_loss(u(1_000), 10_000).unwrap(), u(0));
        assert_eq!(
            net_of_loss(u(1_000), 10_001).unwrap_err().to_string(),
            "basis points 10001 exceed 10000"
        );
    }

    #[test]
    fn delivery_is_pro_rata_and_rounded_down_when_the_export_falls_short() {
        // The export covers every trade of the meter: each delivers in full.
        assert_eq!(
            delivered_pro_rata(u(700), u(2_000), u(2_000)).unwrap(),
            u(700)
        );
        assert_eq!(
            delivered_pro_rata(u(700), u(2_500), u(2_000)).unwrap(),
            u(700)
        );
        // 1,500 of 2,000 contracted Wh exported: 700 * 3/4 = 525.
        assert_eq!(
            delivered_pro_rata(u(700), u(1_500), u(2_000)).unwrap(),
            u(525)
        );
        // 1,000 of 3,000: a third of 1,000 Wh is 333.3, rounded down.
        assert_eq!(
            delivered_pro_rata(u(1_000), u(1_000), u(3_000)).unwrap(),
            u(333)
        );
        assert_eq!(delivered_pro_rata(u(1_000), u(0), u(3_000)).unwrap(), u(0));
        // Nothing contracted (and nothing to deliver): no division by zero.
        assert_eq!(delivered_pro_rata(u(0), u(0), u(0)).unwrap(), u(0));
        assert_eq!(
            delivered_pro_rata(Uint128::MAX, u(2), u(3))
                .unwrap_err()
                .to_string(),
            format!("arithmetic overflow: wh * exported ({} and 2)", u128::MAX)
        );
    }

    #[test]
    fn collateral_rounds_up_once() {
        // 1 kWh at 200_000 uaip/kWh, 20 %: 40_000 exactly.
        assert_eq!(
            collateral_for(u(1_000), u(200_000), 2_000).unwrap(),
            u(40_000)
        );
        // 1 Wh at 1 uaip/kWh, 1 bps: 1e-7 uaip -> 1.
        assert_eq!(collateral_for(u(1), u(1), 1).unwrap(), u(1));
        assert_eq!(collateral_for(u(1_000), u(200_000), 0).unwrap(), u(0));
        assert_eq!(
            collateral_for(Uint128::MAX, Uint128::MAX, 10_000)
                .unwrap_err()
                .to_string(),
            format!(
                "arithmetic overflow: collateral ({} and {})",
                u128::MAX,
                u128::MAX
            )
        );
    }

    #[test]
    fn settle_refuses_to_pay_more_than_locked() {
        let err = PaymentSplit::settle(u(10), u(1_000), u(11)).unwrap_err();
        assert_eq!(err.to_string(), "cannot pay 11 out of 10");
    }

    proptest! {
        /// The escrow locked for (wh, max_price) always covers the payment for any
        /// smaller quantity at any lower price, and the split never loses a token.
        #[test]
        fn escrow_covers_every_payment_and_split_conserves(
            wh in 0u64..=u64::MAX,
            max_price in 0u64..=10_000_000_000u64,
            frac_wh in 0u64..=1000,
            frac_price in 0u64..=1000,
        ) {
            let wh_u = u(wh as u128);
            let max_u = u(max_price as u128);
            let locked = escrow_for(wh_u, max_u).unwrap();
            let used_wh = u(wh as u128 * frac_wh as u128 / 1000);
            let price = u(max_price as u128 * frac_price as u128 / 1000);
            let split = PaymentSplit::settle(locked, used_wh, price).unwrap();
            prop_assert_eq!(split.paid + split.refund, locked);
            prop_assert!(split.paid <= locked);
            // payment is floor, escrow is ceil: they differ by less than one uaip
            let exact = wh as u128 * max_price as u128;
            prop_assert!(locked.u128() * 1000 >= exact);
            prop_assert!(locked.u128() * 1000 < exact + 1000);
        }

        #[test]
        fn apply_bps_never_exceeds_the_amount(amount in 0u128..=u64::MAX as u128, bps in 0u32..=10_000) {
            let part = apply_bps(u(amount), bps).unwrap();
            prop_assert!(part.u128() <= amount);
        }
    }
}
