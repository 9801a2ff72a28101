//! Order bounds: the one set of limits the settlement contract enforces when
//! an order is placed and the matcher applies when it reads the book.
//!
//! Because both sides call [`check_order`], every order the contract accepts
//! is one the matcher can clear; an order outside the bounds (only possible
//! if a contract was deployed with other bounds) is skipped by the matcher
//! and reported, never a reason to skip a slot.
//!
//! | bound | value | why |
//! | --- | --- | --- |
//! | quantity | 1 ..= [`MAX_ORDER_WH`] Wh (1 GWh) | a whole feeder's energy in 15 min is far below; keeps `wh * price` far from overflow |
//! | price | [`MIN_ORDER_PRICE`] ..= [`MAX_ORDER_PRICE`] uaip/kWh (1 uaip to 10,000 AIP per kWh) | a zero price makes a free bid (zero escrow) or a free offer: book spam at no cost |
//!
//! With these bounds `escrow_for(wh, price)` is at least 1 uaip, and at most
//! 10^16 uaip, so it never overflows.

use thiserror::Error;

/// Largest order quantity, Wh (1 GWh per 15-minute slot).
pub const MAX_ORDER_WH: u128 = 1_000_000_000;
/// Smallest order price, uaip/kWh: zero is refused on both sides.
pub const MIN_ORDER_PRICE: u128 = 1;
/// Largest order price, uaip/kWh (10,000 AIP per kWh).
pub const MAX_ORDER_PRICE: u128 = 10_000_000_000;

/// Why an order is outside the bounds.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum BoundsError {
    /// 0 Wh.
    #[error("order quantity must be positive")]
    ZeroQuantity,
    /// More than the largest order quantity.
    #[error("order quantity {wh} Wh is above the maximum {max} Wh")]
    QuantityAboveMax {
        /// The quantity, Wh.
        wh: u128,
        /// The largest order quantity, Wh.
        max: u128,
    },
    /// Below the smallest order price.
    #[error("order price {price} uaip/kWh is below the minimum {min}")]
    PriceBelowMin {
        /// The price, uaip/kWh.
        price: u128,
        /// The smallest order price, uaip/kWh.
        min: u128,
    },
    /// Above the largest order price.
    #[error("order price {price} uaip/kWh is above the maximum {max}")]
    PriceAboveMax {
        /// The price, uaip/kWh.
        price: u128,
        /// The largest order price, uaip/kWh.
        max: u128,
    },
}

/// Checks an order's quantity (Wh) and limit price (uaip/kWh, the max price of
/// a bid or the min price of an offer) against the shared bounds.
pub fn check_order(wh: u128, price: u128) -> Result<(), BoundsError> {
    if wh == 0 {
        return Err(BoundsError::ZeroQuantity);
    }
    if wh > MAX_ORDER_WH {
        return Err(BoundsError::QuantityAboveMax {
            wh,
            max: MAX_ORDER_WH,
        });
    }
    if price < MIN_ORDER_PRICE {
        return Err(BoundsError::PriceBelowMin {
            price,
            min: MIN_ORDER_PRICE,
        });
    }
    if price > MAX_ORDER_PRICE {
        return Err(BoundsError::PriceAboveMax {
            price,
            max: MAX_ORDER_PRICE,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::escrow_for;
    use cosmwasm_std::Uint128;
    use proptest::prelude::*;

    #[test]
    fn bounds_are_inclusive_and_each_violation_has_its_message() {
        assert_eq!(check_order(1, MIN_ORDER_PRICE), Ok(()));
        assert_eq!(check_order(MAX_ORDER_WH, MAX_ORDER_PRICE), Ok(()));
        assert_eq!(
            check_order(0, 5).unwrap_err().to_string(),
            "order quantity must be positive"
        );
        assert_eq!(
            check_order(MAX_ORDER_WH + 1, 5).unwrap_err().to_string(),
            "order quantity 1000000001 Wh is above the maximum 1000000000 Wh"
        );
        assert_eq!(
            check_order(5, 0).unwrap_err().to_string(),
            "order price 0 uaip/kWh is below the minimum 1"
        );
        assert_eq!(
            check_order(5, MAX_ORDER_PRICE + 1).unwrap_err().to_string(),
            "order price 10000000001 uaip/kWh is above the maximum 10000000000"
        );
        // Above 2^64 on either side.
        let big = u64::MAX as u128 + 1;
        assert!(matches!(
            check_order(big, 5),
            Err(BoundsError::QuantityAboveMax { .. })
        ));
        assert!(matches!(
            check_order(5, big),
            Err(BoundsError::PriceAboveMax { .. })
        ));
    }

    #[test]
    fn the_bounds_fit_the_matchers_u64_arithmetic() {
        // The matcher works in u64 and multiplies quantities by prices.
        assert!(MAX_ORDER_WH.checked_mul(MAX_ORDER_PRICE).unwrap() <= u64::MAX as u128);
    }

    proptest! {
        /// Every accepted order locks a positive escrow that does not overflow.
        #[test]
        fn accepted_orders_lock_a_positive_escrow(wh in 0u128..=2 * MAX_ORDER_WH, price in 0u128..=2 * MAX_ORDER_PRICE) {
            match check_order(wh, price) {
                Ok(()) => {
                    let e = escrow_for(Uint128::new(wh), Uint128::new(price)).unwrap();
                    prop_assert!(!e.is_zero());
                }
                Err(_) => prop_assert!(wh == 0 || wh > MAX_ORDER_WH || price == 0 || price > MAX_ORDER_PRICE),
            }
        }
    }
}
