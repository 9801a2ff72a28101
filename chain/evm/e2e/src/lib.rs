//! Helpers of the EVM user's end-to-end test (`ci/evm-bridge-test.sh`,
//! `ci/evm-bridge/bridge.test.mjs`): what the test needs from the project's
//! Rust definitions, so that the JavaScript side keeps no second copy.
//!
//! * [`order_typed_data`]: the `eth_signTypedData_v4` argument of an intent,
//!   built from `aip_types::intent`'s EIP-712 constants (type string, domain
//!   name, version and salt), with the digest `aip_types::intent::eip712_digest`
//!   gives. An Ethereum wallet (ethers.js `signTypedData`, MetaMask) signs it.
//!
//! The order gateway of the test is the real `aip-gateway` binary with
//! `test_clock_offset_file` set to the localnet's `clock-offset`.
#![cfg_attr(test, allow(clippy::unwrap_used))]

use aip_types::intent::{
    eip712_digest, IntentDomain, OrderIntent, EIP712_NAME, EIP712_ORDER_TYPE, EIP712_VERSION,
};
use serde_json::{json, Map, Value};

/// What these helpers refuse.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum E2eError {
    /// The EIP-712 type string is not `Name(type name,…)`.
    #[error("EIP-712 type {0:?} is not of the form Name(type name,...)")]
    BadType(String),
    /// A field of the type has no value in the intent.
    #[error("the intent has no field {field:?} (EIP-712 member {member:?})")]
    MissingField {
        /// The EIP-712 member name (camelCase).
        member: String,
        /// The intent's JSON field looked for (snake_case).
        field: String,
    },
}

/// The members of an EIP-712 struct type string, as `(name, type)` pairs,
/// with the struct's name: `Order(string owner,uint64 nonce)` →
/// `("Order", [("owner", "string"), ("nonce", "uint64")])`.
pub fn parse_type(ty: &str) -> Result<(String, Vec<(String, String)>), E2eError> {
    let bad = || E2eError::BadType(ty.to_string());
    let (name, rest) = ty.split_once('(').ok_or_else(bad)?;
    let body = rest.strip_suffix(')').ok_or_else(bad)?;
    if name.is_empty() || body.is_empty() {
        return Err(bad());
    }
    let members = body
        .split(',')
        .map(|m| {
            let (t, n) = m.split_once(' ').ok_or_else(bad)?;
            if t.is_empty() || n.is_empty() || n.contains(' ') {
                return Err(bad());
            }
            Ok((n.to_string(), t.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((name.to_string(), members))
}

/// `slotFrom` → `slot_from`: EIP-712 member names are the intent's JSON
/// field names in camelCase.
fn snake(member: &str) -> String {
    let mut out = String::with_capacity(member.len() + 4);
    for c in member.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The `eth_signTypedData_v4` argument of `intent` (`types` with
/// `EIP712Domain`, `primaryType`, `domain`, `message`; integers as decimal
/// strings, the salt as 0x-hex), and under `"digest"` the 0x-hex EIP-712
/// digest the settlement contract and the gateway verify against
/// ([`eip712_digest`]), under `"hash"` the intent's id (hex).
pub fn order_typed_data(intent: &OrderIntent) -> Result<Value, E2eError> {
    let (primary, members) = parse_type(EIP712_ORDER_TYPE)?;
    let fields = match serde_json::to_value(intent) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    let mut message = Map::new();
    for (name, ty) in &members {
        let field = snake(name);
        let v = fields.get(&field).ok_or_else(|| E2eError::MissingField {
            member: name.clone(),
            field: field.clone(),
        })?;
        let v = match (ty.as_str(), v) {
            (t, Value::Number(n)) if t.starts_with("uint") => Value::String(n.to_string()),
            _ => v.clone(),
        };
        message.insert(name.clone(), v);
    }
    let domain = IntentDomain {
        chain_id: intent.chain_id.clone(),
        contract: intent.contract.clone(),
    };
    let order: Vec<Value> = members
        .iter()
        .map(|(n, t)| json!({"name": n, "type": t}))
        .collect();
    Ok(json!({
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "salt", "type": "bytes32"},
            ],
            primary.clone(): order,
        },
        "primaryType": primary,
        "domain": {
            "name": EIP712_NAME,
            "version": EIP712_VERSION,
            "salt": format!("0x{}", hex::encode(domain.eip712_salt())),
        },
        "message": message,
        "digest": format!("0x{}", hex::encode(eip712_digest(intent))),
        "hash": hex::encode(intent.hash()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aip_types::intent::{eip712_struct_hash, Side};
    use sha3::Digest;

    fn intent() -> OrderIntent {
        OrderIntent {
            chain_id: "aip-localnet-1".into(),
            contract: "wasm14hj2tavq8fpesdwxxcu44rty3hh90vhujrvcmstl4zr3txmfvw9s0phg4d".into(),
            owner: "wasm1cyyzpxplxdzkeea7kwsydadg87357qnahakaks".into(),
            nonce: 7,
            slot_from: 1_800_000_900,
            slot_until: 1_800_001_800,
            side: Side::Sell,
            meter: 3,
            wh: 1_500,
            limit_price: 150_000,
            premium_only: false,
            expires: 1_800_001_800,
        }
    }

    /// The typed data is re-encoded here by the EIP-712 rules from its JSON
    /// alone and compared with the Rust digest.
    fn keccak(b: &[u8]) -> [u8; 32] {
        sha3::Keccak256::digest(b).into()
    }

    fn encode_struct(ty: &str, members: &[(String, String)], msg: &Value) -> [u8; 32] {
        let mut enc = keccak(ty.as_bytes()).to_vec();
        for (name, t) in members {
            let v = &msg[name];
            let word: [u8; 32] = match t.as_str() {
                "string" => keccak(v.as_str().unwrap().as_bytes()),
                "bool" => {
                    let mut w = [0u8; 32];
                    w[31] = u8::from(v.as_bool().unwrap());
                    w
                }
                _ => {
                    let n: u64 = v.as_str().unwrap().parse().unwrap();
                    let mut w = [0u8; 32];
                    w[24..].copy_from_slice(&n.to_be_bytes());
                    w
                }
            };
            enc.extend_from_slice(&word);
        }
        keccak(&enc)
    }

    #[test]
    fn the_typed_data_encodes_to_the_rust_digest() {
        let i = intent();
        let td = order_typed_data(&i).unwrap();
        let (_, members) = parse_type(EIP712_ORDER_TYPE).unwrap();
        let struct_hash = encode_struct(EIP712_ORDER_TYPE, &members, &td["message"]);
        assert_eq!(struct_hash, eip712_struct_hash(&i));
        let d = &td["domain"];
        let salt = hex::decode(d["salt"].as_str().unwrap().trim_start_matches("0x")).unwrap();
        let mut dom = keccak(b"EIP712Domain(string name,string version,bytes32 salt)").to_vec();
        dom.extend_from_slice(&keccak(d["name"].as_str().unwrap().as_bytes()));
        dom.extend_from_slice(&keccak(d["version"].as_str().unwrap().as_bytes()));
        dom.extend_from_slice(&salt);
        let mut whole = vec![0x19, 0x01];
        whole.extend_from_slice(&keccak(&dom));
        whole.extend_from_slice(&struct_hash);
        assert_eq!(
            td["digest"].as_str().unwrap(),
            format!("0x{}", hex::encode(keccak(&whole)))
        );
        assert_eq!(td["hash"], hex::encode(i.hash()));
    }

    #[test]
    fn the_message_carries_every_field_with_uints_as_strings() {
        let td = order_typed_data(&intent()).unwrap();
        let m = &td["message"];
        assert_eq!(td["primaryType"], "Order");
        assert_eq!(td["types"]["Order"].as_array().unwrap().len(), 10);
        assert_eq!(m["slotFrom"], "1800000900");
        assert_eq!(m["limitPrice"], "150000");
        assert_eq!(m["meter"], "3");
        assert_eq!(m["side"], "sell");
        assert_eq!(m["premiumOnly"], false);
        assert_eq!(td["domain"]["name"], EIP712_NAME);
    }

    #[test]
    fn malformed_type_strings_are_refused() {
        for bad in [
            "Order",
            "Order()",
            "(uint64 a)",
            "Order(uint64)",
            "Order(uint64 a b)",
        ] {
            assert_eq!(parse_type(bad), Err(E2eError::BadType(bad.into())), "{bad}");
        }
    }
}
