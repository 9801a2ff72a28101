//! The wire form of `CommitIntents`' trades: one base64 string for the whole
//! list, decoded by hand.
//!
//! Why: a trade as a JSON object (`{"bid":12,"offer":345,"wh":"2000",
//! "price":"150000"}`) took about 50 message bytes, 500 SDK gas at 10 per
//! byte, and serde's derived visitor for it was contract code of its own.
//! Four varints take about 10 bytes, 14 in base64.
//!
//! # Layout (version 1)
//!
//! ```text
//! version   1 byte, = 1
//! then per trade, in order:
//!   bid     varint (≤ u32::MAX): index of the buy intent in `intents`
//!   offer   varint (≤ u32::MAX): index of the sell intent
//!   wh      varint (≤ u128::MAX): energy injected, Wh
//!   price   varint (≤ u128::MAX): clearing price, uaip/kWh
//! ```
//!
//! A varint is unsigned LEB128 in its shortest form (7 bits per byte, lowest
//! first, the high bit set on every byte but the last, no final zero byte),
//! as in the compact intent. The JSON value is the standard base64 (with
//! padding) of the bytes. A list with no trade is the version byte alone (the
//! contract then refuses the empty batch). Bad base64, no version byte,
//! another version, a trade cut short, an overlong or oversized number: each
//! is refused with its own message naming the trade's index.

use aip_types::pages::{put_uvarint, take_uvarint_strict, VarintError};
use aip_types::Wh;
use cosmwasm_std::{Binary, Uint128};
use serde::{Deserializer, Serializer};

use crate::msg::IntentTrade;

/// The version byte of the layout above.
pub const VERSION: u8 = 1;

/// The bytes of `trades` (before base64).
pub fn encode(trades: &[IntentTrade]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + 12 * trades.len());
    out.push(VERSION);
    for t in trades {
        put_uvarint(&mut out, u128::from(t.bid));
        put_uvarint(&mut out, u128::from(t.offer));
        put_uvarint(&mut out, t.wh.u128());
        put_uvarint(&mut out, t.price.u128());
    }
    out
}

/// Reads one varint of at most `bits` bits for `field` of trade `index`.
fn take(b: &[u8], at: &mut usize, index: usize, field: &str, bits: u32) -> Result<u128, String> {
    match take_uvarint_strict(&b[*at..], bits) {
        Ok((n, used)) => {
            *at += used;
            Ok(n)
        }
        Err(VarintError::Short) => Err(format!(
            "trades encoding: trade {index} is cut short in {field}"
        )),
        Err(VarintError::Overlong) => Err(format!(
            "trades encoding: trade {index}: {field} is not in its shortest form"
        )),
        Err(VarintError::Overflow) => Err(format!(
            "trades encoding: trade {index}: {field} does not fit in {bits} bits"
        )),
    }
}

/// The trades of `bytes`.
pub fn decode(bytes: &[u8]) -> Result<Vec<IntentTrade>, String> {
    let (&version, rest) = bytes
        .split_first()
        .ok_or_else(|| "trades encoding is empty".to_string())?;
    if version != VERSION {
        return Err(format!(
            "trades encoding version {version} is not supported (expected {VERSION})"
        ));
    }
    let mut out = Vec::new();
    let mut at = 0usize;
    while at < rest.len() {
        let index = out.len();
        let bid = take(rest, &mut at, index, "bid", 32)? as u32;
        let offer = take(rest, &mut at, index, "offer", 32)? as u32;
        let wh: Wh = Uint128::new(take(rest, &mut at, index, "wh", 128)?);
        let price = Uint128::new(take(rest, &mut at, index, "price", 128)?);
        out.push(IntentTrade {
            bid,
            offer,
            wh,
            price,
        });
    }
    Ok(out)
}

/// `serde(with)`: the list as one base64 string.
pub fn serialize<S: Serializer>(trades: &[IntentTrade], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&Binary::from(encode(trades)).to_base64())
}

struct Visitor;

impl serde::de::Visitor<'_> for Visitor {
    type Value = Vec<IntentTrade>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("the trades in their compact form (base64 string)")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let bytes = Binary::from_base64(v)
            .map_err(|e| E::custom(format!("trades encoding is not valid base64: {e}")))?;
        decode(&bytes).map_err(E::custom)
    }
}

/// `serde(with)`: reads the one string.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<IntentTrade>, D::Error> {
    d.deserialize_str(Visitor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn trade(bid: u32, offer: u32, wh: u128, price: u128) -> IntentTrade {
        IntentTrade {
            bid,
            offer,
            wh: Uint128::new(wh),
            price: Uint128::new(price),
        }
    }

    fn err(bytes: &[u8]) -> String {
        decode(bytes).expect_err("refused")
    }

    #[test]
    fn a_trade_takes_four_varints() {
        let ts = vec![trade(0, 1, 2_000, 150_000), trade(2, 3, 1_500, 149_000)];
        let bytes = encode(&ts);
        // version + (1 + 1 + 2 + 3) per trade
        assert_eq!(bytes.len(), 1 + 7 + 7);
        assert_eq!(decode(&bytes), Ok(ts));
        assert_eq!(decode(&[VERSION]), Ok(vec![]));
    }

    #[test]
    fn json_is_one_string_and_reads_back() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct W {
            #[serde(with = "super")]
            trades: Vec<IntentTrade>,
        }
        let w = W {
            trades: vec![trade(0, 1, 2_000, 150_000)],
        };
        let json = cosmwasm_std::to_json_string(&w).expect("serialize");
        assert_eq!(json, r#"{"trades":"AQAB0A/wkwk="}"#);
        assert_eq!(cosmwasm_std::from_json::<W>(&json).expect("read"), w);
        let e = cosmwasm_std::from_json::<W>(r#"{"trades":"@@"}"#)
            .expect_err("bad base64")
            .to_string();
        assert!(e.contains("trades encoding is not valid base64: "), "{e}");
        let e = cosmwasm_std::from_json::<W>(r#"{"trades":[{"bid":0}]}"#)
            .expect_err("the old list of objects")
            .to_string();
        assert!(e.contains("Invalid type"), "{e}");
    }

    #[test]
    fn malformed_trades_are_refused_naming_the_trade() {
        assert_eq!(err(&[]), "trades encoding is empty");
        assert_eq!(
            err(&[2, 0, 1, 1, 1]),
            "trades encoding version 2 is not supported (expected 1)"
        );
        let mut bytes = encode(&[trade(0, 1, 2_000, 150_000), trade(2, 3, 1_500, 149_000)]);
        bytes.pop();
        assert_eq!(
            err(&bytes),
            "trades encoding: trade 1 is cut short in price"
        );
        assert_eq!(
            err(&[VERSION, 0, 1]),
            "trades encoding: trade 0 is cut short in wh"
        );
        assert_eq!(
            err(&[VERSION, 0x81, 0x00, 1, 1, 1]),
            "trades encoding: trade 0: bid is not in its shortest form"
        );
        // An offer index of 2^32.
        let mut b = vec![VERSION, 0];
        put_uvarint(&mut b, 1 << 32);
        b.extend_from_slice(&[1, 1]);
        assert_eq!(
            err(&b),
            "trades encoding: trade 0: offer does not fit in 32 bits"
        );
        // A price past 128 bits.
        let mut b = vec![VERSION, 0, 1, 1];
        b.extend_from_slice(&[0xff; 18]);
        b.push(0x04);
        assert_eq!(
            err(&b),
            "trades encoding: trade 0: price does not fit in 128 bits"
        );
    }

    proptest! {
        #[test]
        fn any_trades_round_trip(ts in proptest::collection::vec(
            (any::<u32>(), any::<u32>(), any::<u128>(), any::<u128>()), 0..20)
        ) {
            let ts: Vec<IntentTrade> = ts.into_iter().map(|(a, b, c, d)| trade(a, b, c, d)).collect();
            prop_assert_eq!(decode(&encode(&ts)), Ok(ts));
        }
    }
}
