//! The compact wire form of a [`BatchIntent`]: one base64 string per intent in
//! `commit_intents` and `place_intent`, decoded by hand.
//!
//! Why: serde's derived visitor for the intent's fields and its signature was
//! a large share of the settlement contract's code, and the JSON object (keys,
//! decimal numbers, base64 inside JSON) cost about 435 message bytes per
//! intent at 10 SDK gas per byte. The compact form is about half of that and
//! its decoder is a few loops.
//!
//! # Layout (version 2; version 1 still decodes)
//!
//! The JSON value is the standard base64 (with padding) of these bytes:
//!
//! ```text
//! version      1 byte, = 2
//! nonce        varint
//! slot_from    varint
//! slot_until   zigzag varint of slot_until − slot_from (version 1: varint)
//! meter        varint (≤ u32::MAX)
//! wh           varint
//! limit_price  varint
//! expires      zigzag varint of expires − slot_from (version 1: varint)
//! flags        1 byte: bit 0 side (0 buy, 1 sell), bit 1 premium_only,
//!              bit 2 owner form (0 text, 1 bech32), bits 3–4 signature form,
//!              bit 5 pub_key present (signature form 3 only), bit 6 owner
//!              from the key (version 2, signature form 1, bit 2 clear);
//!              bit 7 zero
//! owner        text:   varint length, UTF-8 bytes
//!              bech32: varint length, prefix (ASCII); varint length, data bytes
//!                      (the owner is bech32(prefix, data), lowercase)
//!              from the key: varint length, prefix (ASCII); the owner is
//!                      bech32(prefix, ripemd160(sha256(pub_key))), the
//!                      account of the signature's key
//! signature    form 0: none (placed on chain with `place_intent`)
//!              form 1: cosmos_adr036, 33-byte public key, 64-byte r‖s
//!                      (the strings are their standard base64)
//!              form 2: eth_eip712, 65-byte r‖s‖v (the string is "0x" + lowercase hex)
//!              form 3: any other signature as text: kind, [pub_key,] signature,
//!                      each a varint length and UTF-8 bytes
//! ```
//!
//! A varint is unsigned LEB128: 7 bits per byte, lowest first, the high bit
//! set on every byte but the last; at most 10 bytes for a u64 (19 for a
//! zigzag difference), and in its shortest form (no final zero byte), so
//! that every number has one spelling. A zigzag varint carries a signed
//! difference d as 2d when d ≥ 0 and −2d − 1 when d < 0; the field it gives
//! must fit in a u64.
//!
//! Why version 2: a slot window and an expiry are Unix seconds (five varint
//! bytes each) that sit within hours of `slot_from`, and a Cosmos-signed
//! intent's owner is the account of the key it carries anyway; the
//! differences and the derived owner save about 28 bytes of an intent of
//! 150 (about 37 base64 characters, 370 SDK gas of transaction bytes).
//!
//! Encoding picks the short forms only when they give back exactly the same
//! strings (an owner that is lowercase bech32, and the key's own account for
//! the derived form; a signature whose base64 or hex is in the canonical
//! spelling above), so decoding any encoded intent returns the intent that
//! was encoded. Anything else travels as text, and the contract refuses it
//! for what it is (a malformed signature is still "signature is not valid
//! base64"; an owner that is not the key's account is still "owner does not
//! match"). Every byte is accounted for: a truncated input, an unknown
//! version, unknown flag bits or trailing bytes are refused.

use crate::pages::{put_uvarint, take_uvarint_strict, VarintError};
use cosmwasm_std::Binary;
use thiserror::Error;

use super::{BatchIntent, IntentSignature, Side, KIND_COSMOS_ADR036, KIND_ETH_EIP712};

/// The version byte the encoder writes (the layout above).
pub const COMPACT_VERSION: u8 = 2;
/// The first layout: absolute slot window and expiry, no derived owner.
/// Still decoded, so batches encoded by an older matcher still commit.
pub const COMPACT_VERSION_1: u8 = 1;

const SELL: u8 = 1;
const PREMIUM: u8 = 1 << 1;
const OWNER_BECH32: u8 = 1 << 2;
const SIG_SHIFT: u8 = 3;
const SIG_MASK: u8 = 0b11 << SIG_SHIFT;
const HAS_PUB_KEY: u8 = 1 << 5;
const OWNER_FROM_KEY: u8 = 1 << 6;
const KNOWN_FLAGS_V1: u8 = SELL | PREMIUM | OWNER_BECH32 | SIG_MASK | HAS_PUB_KEY;
const KNOWN_FLAGS: u8 = KNOWN_FLAGS_V1 | OWNER_FROM_KEY;

const SIG_NONE: u8 = 0;
const SIG_COSMOS: u8 = 1;
const SIG_ETH: u8 = 2;
const SIG_TEXT: u8 = 3;

/// Why a compact intent was refused.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum CompactError {
    /// The string is not standard base64.
    #[error("intent encoding is not valid base64: {reason}")]
    Base64 {
        /// The base64 decoder's complaint.
        reason: String,
    },

    /// No bytes at all.
    #[error("intent encoding is empty")]
    Empty,

    /// A version byte this code does not know.
    #[error(
        "intent encoding version {got} is not supported (expected {COMPACT_VERSION_1} or {COMPACT_VERSION})"
    )]
    Version {
        /// The version byte found.
        got: u8,
    },

    /// The bytes end inside `field`.
    #[error("intent encoding is truncated: {field} needs {needed} more bytes at byte {at}")]
    Truncated {
        /// The field being read.
        field: &'static str,
        /// Bytes still needed for it.
        needed: usize,
        /// Offset of the field's first byte.
        at: usize,
    },

    /// A varint larger than its field.
    #[error("intent encoding: {field} does not fit in {bits} bits")]
    Overflow {
        /// The field being read.
        field: &'static str,
        /// The field's width.
        bits: u32,
    },

    /// A varint with a needless zero byte at its end: every number has one spelling.
    #[error("intent encoding: {field} is not in its shortest form")]
    Overlong {
        /// The field being read.
        field: &'static str,
    },

    /// Flag bits that mean nothing in this version.
    #[error("intent encoding: unknown flag bits {flags:#04x}")]
    Flags {
        /// The flags byte found.
        flags: u8,
    },

    /// A text field that is not UTF-8.
    #[error("intent encoding: {field} is not UTF-8")]
    Utf8 {
        /// The text field.
        field: &'static str,
    },

    /// A bech32 owner whose prefix or data cannot be encoded.
    #[error("intent encoding: owner is not bech32: {reason}")]
    Bech32 {
        /// The bech32 encoder's complaint.
        reason: String,
    },

    /// Bytes left after the last field.
    #[error("intent encoding has {count} trailing bytes after the signature")]
    Trailing {
        /// Bytes left over.
        count: usize,
    },
}

fn put_varint(out: &mut Vec<u8>, n: u64) {
    put_uvarint(out, u128::from(n));
}

fn put_text(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

/// `(prefix, data)` when `owner` is lowercase bech32 that re-encodes to itself.
fn bech32_parts(owner: &str) -> Option<(String, Vec<u8>)> {
    let (hrp, data) = bech32::decode(owner).ok()?;
    let again = bech32::encode::<bech32::Bech32>(hrp, &data).ok()?;
    (again == owner).then(|| (hrp.as_str().to_string(), data))
}

/// The raw bytes of `s` when `s` is their standard base64 and they are `N` long.
fn canonical_base64<const N: usize>(s: &str) -> Option<Vec<u8>> {
    let bytes = Binary::from_base64(s).ok()?.to_vec();
    (bytes.len() == N && Binary::from(bytes.as_slice()).to_base64() == s).then_some(bytes)
}

/// The 65 bytes of an eth signature spelled `0x` + lowercase hex.
fn canonical_eth(s: &str) -> Option<Vec<u8>> {
    let bytes = hex::decode(s.strip_prefix("0x")?).ok()?;
    (bytes.len() == 65 && format!("0x{}", hex::encode(&bytes)) == s).then_some(bytes)
}

/// `b − a` as a zigzag number: 2d for d ≥ 0, −2d − 1 for d < 0.
fn zigzag(a: u64, b: u64) -> u128 {
    let d = i128::from(b) - i128::from(a);
    if d >= 0 {
        (d as u128) << 1
    } else {
        ((-d as u128) << 1) - 1
    }
}

/// `a` plus the zigzag difference `z`, if the result is a u64.
fn unzigzag(a: u64, z: u128) -> Option<u64> {
    let d = if z & 1 == 0 {
        i128::try_from(z >> 1).ok()?
    } else {
        -i128::try_from(z >> 1).ok()? - 1
    };
    u64::try_from(i128::from(a).checked_add(d)?).ok()
}

/// The account of a cosmos short-form key: `(prefix, 20-byte data)`.
fn key_account(pk: &[u8]) -> Vec<u8> {
    use ripemd::{Digest as _, Ripemd160};
    use sha2::Sha256;
    Ripemd160::digest(Sha256::digest(pk)).to_vec()
}

/// The compact bytes of `bi` (before base64), in the current version.
pub fn encode(bi: &BatchIntent) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    out.push(COMPACT_VERSION);
    put_varint(&mut out, bi.nonce);
    put_varint(&mut out, bi.slot_from);
    put_uvarint(&mut out, zigzag(bi.slot_from, bi.slot_until));
    for n in [u64::from(bi.meter), bi.wh, bi.limit_price] {
        put_varint(&mut out, n);
    }
    put_uvarint(&mut out, zigzag(bi.slot_from, bi.expires));
    let mut flags = 0u8;
    if bi.side == Side::Sell {
        flags |= SELL;
    }
    if bi.premium_only {
        flags |= PREMIUM;
    }
    // The signature's short form, if it has one; text otherwise.
    let sig = bi.signature.as_ref().map(|s| {
        let raw = match (s.kind.as_str(), s.pub_key.as_deref()) {
            (KIND_COSMOS_ADR036, Some(pk)) => canonical_base64::<33>(pk)
                .zip(canonical_base64::<64>(&s.signature))
                .map(|(pk, sig)| (SIG_COSMOS, [pk, sig].concat())),
            (KIND_ETH_EIP712, None) => canonical_eth(&s.signature).map(|sig| (SIG_ETH, sig)),
            _ => None,
        };
        (s, raw)
    });
    let form = match &sig {
        None => SIG_NONE,
        Some((_, Some((form, _)))) => *form,
        Some((s, None)) => {
            if s.pub_key.is_some() {
                flags |= HAS_PUB_KEY;
            }
            SIG_TEXT
        }
    };
    flags |= form << SIG_SHIFT;
    let owner = bech32_parts(&bi.owner);
    // The owner is left out when it is the account of the key that signed.
    let from_key = match (&owner, &sig) {
        (Some((_, data)), Some((_, Some((SIG_COSMOS, raw))))) => *data == key_account(&raw[..33]),
        _ => false,
    };
    if from_key {
        flags |= OWNER_FROM_KEY;
    } else if owner.is_some() {
        flags |= OWNER_BECH32;
    }
    out.push(flags);
    match owner {
        Some((prefix, _)) if from_key => put_text(&mut out, &prefix),
        Some((prefix, data)) => {
            put_text(&mut out, &prefix);
            put_varint(&mut out, data.len() as u64);
            out.extend_from_slice(&data);
        }
        None => put_text(&mut out, &bi.owner),
    }
    match sig {
        None => {}
        Some((_, Some((_, raw)))) => out.extend_from_slice(&raw),
        Some((s, None)) => {
            put_text(&mut out, &s.kind);
            if let Some(pk) = &s.pub_key {
                put_text(&mut out, pk);
            }
            put_text(&mut out, &s.signature);
        }
    }
    out
}

/// `bi` as the string that travels in JSON: base64 of [`encode`].
pub fn to_base64(bi: &BatchIntent) -> String {
    Binary::from(encode(bi)).to_base64()
}

/// Reads the compact bytes, refusing anything that is not exactly one intent.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, field: &'static str, n: usize) -> Result<&'a [u8], CompactError> {
        let left = self.bytes.len() - self.at;
        if left < n {
            return Err(CompactError::Truncated {
                field,
                needed: n - left,
                at: self.at,
            });
        }
        let s = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(s)
    }

    fn byte(&mut self, field: &'static str) -> Result<u8, CompactError> {
        Ok(self.take(field, 1)?[0])
    }

    /// A varint of at most `bits` bits, in its shortest form.
    fn uvarint(&mut self, field: &'static str, bits: u32) -> Result<u128, CompactError> {
        match take_uvarint_strict(&self.bytes[self.at..], bits) {
            Ok((n, used)) => {
                self.at += used;
                Ok(n)
            }
            Err(VarintError::Short) => Err(CompactError::Truncated {
                field,
                needed: 1,
                at: self.bytes.len(),
            }),
            Err(VarintError::Overlong) => Err(CompactError::Overlong { field }),
            Err(VarintError::Overflow) => Err(CompactError::Overflow { field, bits }),
        }
    }

    fn varint(&mut self, field: &'static str) -> Result<u64, CompactError> {
        // At most 64 bits by the check in `uvarint`.
        Ok(self.uvarint(field, 64)? as u64)
    }

    /// A field given as a zigzag difference from `base` (version 2).
    fn delta(&mut self, field: &'static str, base: u64) -> Result<u64, CompactError> {
        let z = self.uvarint(field, 65)?;
        unzigzag(base, z).ok_or(CompactError::Overflow { field, bits: 64 })
    }

    fn len(&mut self, field: &'static str) -> Result<usize, CompactError> {
        let n = self.varint(field)?;
        usize::try_from(n).map_err(|_| CompactError::Overflow {
            field,
            bits: usize::BITS,
        })
    }

    fn text(&mut self, field: &'static str) -> Result<String, CompactError> {
        let n = self.len(field)?;
        let raw = self.take(field, n)?;
        String::from_utf8(raw.to_vec()).map_err(|_| CompactError::Utf8 { field })
    }
}

/// One intent from its compact bytes (version 2 or 1).
pub fn decode(bytes: &[u8]) -> Result<BatchIntent, CompactError> {
    let mut r = Reader { bytes, at: 0 };
    let version = r.take("version", 1).map_err(|_| CompactError::Empty)?[0];
    let v2 = match version {
        COMPACT_VERSION => true,
        COMPACT_VERSION_1 => false,
        got => return Err(CompactError::Version { got }),
    };
    let nonce = r.varint("nonce")?;
    let slot_from = r.varint("slot_from")?;
    let slot_until = if v2 {
        r.delta("slot_until", slot_from)?
    } else {
        r.varint("slot_until")?
    };
    let meter = u32::try_from(r.varint("meter")?).map_err(|_| CompactError::Overflow {
        field: "meter",
        bits: 32,
    })?;
    let wh = r.varint("wh")?;
    let limit_price = r.varint("limit_price")?;
    let expires = if v2 {
        r.delta("expires", slot_from)?
    } else {
        r.varint("expires")?
    };
    let flags = r.byte("flags")?;
    let form = (flags & SIG_MASK) >> SIG_SHIFT;
    let known = if v2 { KNOWN_FLAGS } else { KNOWN_FLAGS_V1 };
    let from_key = flags & OWNER_FROM_KEY != 0;
    if flags & !known != 0
        || (flags & HAS_PUB_KEY != 0 && form != SIG_TEXT)
        || (from_key && (form != SIG_COSMOS || flags & OWNER_BECH32 != 0))
    {
        return Err(CompactError::Flags { flags });
    }
    let bech32 = |prefix: &str, data: &[u8]| {
        let hrp = bech32::Hrp::parse(prefix).map_err(|e| CompactError::Bech32 {
            reason: e.to_string(),
        })?;
        bech32::encode::<bech32::Bech32>(hrp, data).map_err(|e| CompactError::Bech32 {
            reason: e.to_string(),
        })
    };
    let mut owner = if flags & OWNER_BECH32 != 0 {
        let prefix = r.text("owner")?;
        let n = r.len("owner")?;
        let data = r.take("owner", n)?;
        bech32(&prefix, data)?
    } else {
        // Text, or the prefix of an owner derived from the key below.
        r.text("owner")?
    };
    let signature = match form {
        SIG_NONE => None,
        SIG_COSMOS => {
            let pk = r.take("pub_key", 33)?;
            let sig = r.take("signature", 64)?;
            if from_key {
                owner = bech32(&owner, &key_account(pk))?;
            }
            Some(IntentSignature {
                kind: KIND_COSMOS_ADR036.to_string(),
                pub_key: Some(Binary::from(pk).to_base64()),
                signature: Binary::from(sig).to_base64(),
            })
        }
        SIG_ETH => {
            let sig = r.take("signature", 65)?;
            Some(IntentSignature {
                kind: KIND_ETH_EIP712.to_string(),
                pub_key: None,
                signature: format!("0x{}", hex::encode(sig)),
            })
        }
        _ => {
            let kind = r.text("kind")?;
            let pub_key = if flags & HAS_PUB_KEY != 0 {
                Some(r.text("pub_key")?)
            } else {
                None
            };
            Some(IntentSignature {
                kind,
                pub_key,
                signature: r.text("signature")?,
            })
        }
    };
    let count = bytes.len() - r.at;
    if count != 0 {
        return Err(CompactError::Trailing { count });
    }
    Ok(BatchIntent {
        owner,
        nonce,
        slot_from,
        slot_until,
        side: if flags & SELL != 0 {
            Side::Sell
        } else {
            Side::Buy
        },
        meter,
        wh,
        limit_price,
        premium_only: flags & PREMIUM != 0,
        expires,
        signature,
    })
}

/// One intent from the string that travels in JSON.
pub fn from_base64(s: &str) -> Result<BatchIntent, CompactError> {
    let bytes = Binary::from_base64(s).map_err(|e| CompactError::Base64 {
        reason: e.to_string(),
    })?;
    decode(&bytes)
}

impl serde::Serialize for BatchIntent {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&to_base64(self))
    }
}

/// Reads the one string without serde's derived machinery.
struct CompactVisitor;

impl serde::de::Visitor<'_> for CompactVisitor {
    type Value = BatchIntent;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a compact intent (base64 string)")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<BatchIntent, E> {
        from_base64(v).map_err(E::custom)
    }
}

impl<'de> serde::Deserialize<'de> for BatchIntent {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(CompactVisitor)
    }
}

impl schemars::JsonSchema for BatchIntent {
    fn schema_name() -> String {
        "BatchIntent".to_string()
    }

    fn json_schema(_: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
        schemars::schema::SchemaObject {
            instance_type: Some(schemars::schema::InstanceType::String.into()),
            metadata: Some(Box::new(schemars::schema::Metadata {
                description: Some(
                    "An intent in its compact form: standard base64 of version 2 of the layout \
                     in packages/aip-types/src/intent/compact.rs (fields as varints, flags, \
                     owner, signature; version 1 still reads)."
                        .to_string(),
                ),
                ..Default::default()
            })),
            ..Default::default()
        }
        .into()
    }
}

#[cfg(test)]
mod tests;
