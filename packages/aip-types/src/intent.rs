//! Signed order intents: the one canonical order, its one byte encoding, its
//! hash, and the two ways an owner signs it.
//!
//! An [`OrderIntent`] is an order that never went on chain by itself: the
//! owner signs it off chain, a gateway stores it, a matcher commits it inside
//! a batch, and the settlement contract checks the signature again. Contract,
//! gateway and matcher all call [`verify_signed_intent`] here, so the rule is
//! written once.
//!
//! # Canonical bytes
//!
//! [`OrderIntent::canonical_bytes`] is compact JSON, keys in this fixed
//! (alphabetical) order, no whitespace, integers as plain JSON numbers:
//!
//! ```text
//! {"chain_id":"<s>","contract":"<s>","expires":<n>,"limit_price":<n>,"meter":<n>,
//!  "nonce":<n>,"owner":"<s>","premium_only":<true|false>,"side":"<buy|sell>",
//!  "slot_from":<n>,"slot_until":<n>,"type":"aipchain/order-intent/v1","wh":<n>}
//! ```
//!
//! (one line; broken here for reading). Strings are restricted to printable
//! ASCII without `"` and `\`, and every integer to at most 2^53 − 1, so that a
//! browser reproduces the bytes exactly with `JSON.stringify` of an object
//! whose keys are inserted in that order, and a wallet shows the user readable
//! text. The intent's hash, its id everywhere, is `sha256(canonical bytes)`.
//!
//! # Signatures
//!
//! * `cosmos_adr036` (Keplr `signArbitrary`): the signature is over the ADR-036
//!   amino sign doc [`adr036_sign_doc`] whose `data` is the base64 of the
//!   canonical bytes and whose `signer` is the owner; the digest is its SHA-256.
//!   The 33-byte compressed public key travels with the signature; the owner
//!   must be `bech32(prefix, ripemd160(sha256(pubkey)))`.
//! * `eth_eip712` (MetaMask `eth_signTypedData_v4`): the digest is the EIP-712
//!   hash of the typed `Order` ([`EIP712_ORDER_TYPE`]) under the domain
//!   `{name: "AIPCHAIN", version: "1", salt}` where
//!   `salt = keccak256(keccak256(chain_id) ‖ keccak256(contract))`. The public
//!   key is recovered from the 65-byte `r‖s‖v` signature and the owner is the
//!   Cosmos account of that same key (the derivation above), so one key has one
//!   AIPCHAIN account. The domain carries no `chainId` (it would be an EVM
//!   chain id that MetaMask compares with the connected network) and no
//!   `verifyingContract` (a wasm contract address is 32 bytes, not 20): the
//!   salt binds the intent to this chain and this contract instead.
//!
//! The prefix of the owner's address is the prefix of the settlement
//! contract's own address.
//!
//! # Why not `smart-account-auth`
//!
//! `smart-account-auth` 0.27 (the crate that does ADR-036 and EIP-712 for
//! CosmWasm) builds on cosmwasm-std 3.0 (or 1.5) and schemars 1.x; this
//! workspace is on the cosmwasm-std 2.3 line that cw20 2.0 and cw721 0.22
//! accept, so it cannot be linked here. Its typed-data verifier also expects
//! its own message shapes. What is written here is the minimum: the sign doc,
//! the EIP-712 struct hash and the address derivation. All curve arithmetic
//! goes through [`cosmwasm_std::Api`] (`secp256k1_verify`,
//! `secp256k1_recover_pubkey`): host functions in the contract, and
//! cosmwasm-std's `MockApi` (the same `cosmwasm-crypto` code the VM runs) off
//! chain. The only hashing crates are sha2, sha3 (keccak) and ripemd.

use cosmwasm_schema::cw_serde;
use std::sync::OnceLock;

use cosmwasm_std::{Api, Binary};
use ripemd::Ripemd160;
use sha2::{Digest, Sha256};
use sha3::Keccak256;
use thiserror::Error;

use crate::slot::SLOT_SECONDS;

/// The `type` field of the canonical bytes: names the encoding and its version.
pub const INTENT_TYPE: &str = "aipchain/order-intent/v1";

/// Largest integer any intent field may hold (JavaScript's `Number.MAX_SAFE_INTEGER`).
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Longest string field, in bytes.
pub const MAX_STRING_LEN: usize = 128;

/// Signature kind of a Cosmos secp256k1 key signing through ADR-036.
pub const KIND_COSMOS_ADR036: &str = "cosmos_adr036";

/// Signature kind of an Ethereum key signing EIP-712 typed data.
pub const KIND_ETH_EIP712: &str = "eth_eip712";

/// EIP-712 domain name.
pub const EIP712_NAME: &str = "AIPCHAIN";

/// EIP-712 domain version.
pub const EIP712_VERSION: &str = "1";

/// EIP-712 type of the domain.
pub const EIP712_DOMAIN_TYPE: &str = "EIP712Domain(string name,string version,bytes32 salt)";

/// EIP-712 type of an order: the intent's fields except chain and contract,
/// which the domain's salt binds.
pub const EIP712_ORDER_TYPE: &str = "Order(string owner,uint64 nonce,uint64 slotFrom,uint64 slotUntil,string side,uint32 meter,uint64 wh,uint64 limitPrice,bool premiumOnly,uint64 expires)";

/// Why an intent or its signature was refused.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum IntentError {
    /// A signature kind other than `cosmos_adr036` and `eth_eip712`.
    #[error("unknown key type {kind:?}: expected \"cosmos_adr036\" or \"eth_eip712\"")]
    UnknownKeyType {
        /// The kind given.
        kind: String,
    },

    /// The signature does not verify for the intent's bytes.
    #[error("the {kind} signature does not verify for this intent")]
    BadSignature {
        /// The signature's kind.
        kind: String,
    },

    /// The intent names another chain.
    #[error("the intent is for chain {got:?}, this is chain {expected:?}")]
    WrongChain {
        /// This chain's id.
        expected: String,
        /// The intent's chain id.
        got: String,
    },

    /// The intent names another settlement contract.
    #[error("the intent is for contract {got}, this is contract {expected}")]
    WrongContract {
        /// This settlement contract.
        expected: String,
        /// The intent's contract.
        got: String,
    },

    /// The intent expired.
    #[error("the intent expired at {expires} (now {now})")]
    Expired {
        /// The intent's expiry, Unix seconds.
        expires: u64,
        /// The time checked against, Unix seconds.
        now: u64,
    },

    /// A base64 field does not decode.
    #[error("{field} is not valid base64: {reason}")]
    MalformedBase64 {
        /// The field.
        field: &'static str,
        /// The decoder's or checker's message.
        reason: String,
    },

    /// A hex field does not decode.
    #[error("{field} is not valid hex: {reason}")]
    MalformedHex {
        /// The field.
        field: &'static str,
        /// The decoder's or checker's message.
        reason: String,
    },

    /// A key or signature of the wrong length.
    #[error("{field} must be {expected} bytes, got {got}")]
    BadLength {
        /// The field.
        field: &'static str,
        /// Bytes expected.
        expected: usize,
        /// Bytes given.
        got: usize,
    },

    /// An ADR-036 signature without its public key.
    #[error("a cosmos_adr036 signature needs its pub_key")]
    MissingPubKey,

    /// The signing key's account is not the intent's owner.
    #[error("the signing key's account is {signer}, not the intent's owner {owner}")]
    OwnerMismatch {
        /// The intent's owner.
        owner: String,
        /// The signing key's account.
        signer: String,
    },

    /// An Ethereum signature whose recovery byte is not 27, 28, 0 or 1.
    #[error("eth signature recovery byte {v} is not 27, 28, 0 or 1")]
    BadRecoveryId {
        /// The recovery byte given.
        v: u8,
    },

    /// A field out of range (slot window, quantity, price, ...).
    #[error("{field} is invalid: {reason}")]
    InvalidField {
        /// The field.
        field: &'static str,
        /// The decoder's or checker's message.
        reason: String,
    },

    /// An owner that is not a bech32 address.
    #[error("{address:?} is not a bech32 address: {reason}")]
    BadAddress {
        /// The address given.
        address: String,
        /// The decoder's or checker's message.
        reason: String,
    },
}

/// Buy or sell.
#[cw_serde]
#[derive(Copy, Eq, Hash)]
pub enum Side {
    /// A buy intent (a bid): pays for energy.
    Buy,
    /// A sell intent (an offer): delivers energy.
    Sell,
}

impl Side {
    /// `"buy"` or `"sell"`: the spelling in the canonical bytes and in EIP-712.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        }
    }
}

/// The one canonical order: what an owner signs.
#[cw_serde]
#[derive(Eq, Hash)]
pub struct OrderIntent {
    /// Chain id of the chain the settlement contract lives on.
    pub chain_id: String,
    /// Bech32 address of the settlement contract.
    pub contract: String,
    /// Bech32 account that signs and trades.
    pub owner: String,
    /// Chosen by the owner; an (owner, nonce) pair is used at most once.
    pub nonce: u64,
    /// First delivery slot the order may fill (unix seconds, slot-aligned).
    pub slot_from: u64,
    /// End of the slot window, exclusive (slot-aligned, > `slot_from`).
    pub slot_until: u64,
    /// Buy or sell.
    pub side: Side,
    /// The owner's meter that delivers (sell) or consumes (buy) the energy.
    pub meter: u32,
    /// Energy, in watt-hours (> 0).
    pub wh: u64,
    /// Limit price in uaip per kWh: the most a buyer pays, the least a seller takes.
    pub limit_price: u64,
    /// Trade only with premium (high-reputation) counterparties.
    pub premium_only: bool,
    /// Unix seconds after which the intent may no longer be accepted or filled.
    pub expires: u64,
}

/// Signature material sent with an intent.
#[cw_serde]
pub struct IntentSignature {
    /// [`KIND_COSMOS_ADR036`] or [`KIND_ETH_EIP712`].
    pub kind: String,
    /// `cosmos_adr036`: the 33-byte compressed secp256k1 public key, base64.
    /// Not used by `eth_eip712` (the key is recovered).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pub_key: Option<String>,
    /// `cosmos_adr036`: 64 bytes `r‖s`, base64. `eth_eip712`: 65 bytes `r‖s‖v`,
    /// hex with or without `0x` (what `eth_signTypedData_v4` returns).
    pub signature: String,
}

/// An intent with its signature: what wallets post and matchers commit.
#[cw_serde]
pub struct SignedIntent {
    /// The intent as signed.
    pub intent: OrderIntent,
    /// The owner's signature over it.
    pub signature: IntentSignature,
}

/// An intent as the matcher commits it to the settlement contract: the signed
/// intent without `chain_id` and `contract`, which the contract fills in with
/// its own before it checks the signature (so an intent signed for another
/// chain or contract cannot verify, and 100 bytes per intent stay out of the
/// transaction). `signature` is absent for an intent its owner placed on chain
/// itself (`place_intent`: contract accounts, which cannot sign).
///
/// In JSON it is one string, its compact form ([`compact`]): serde, the
/// schema and every Rust caller go through the hand-written encoder and
/// decoder there, never through a derived visitor.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchIntent {
    /// The owner's address; its key signed the intent.
    pub owner: String,
    /// The owner's number for this intent: one nonce, one intent.
    pub nonce: u64,
    /// First slot the intent may fill (slot start, Unix seconds).
    pub slot_from: u64,
    /// End of the slot window, exclusive (Unix seconds).
    pub slot_until: u64,
    /// Buy or sell.
    pub side: Side,
    /// The owner's meter: its node gives the intent's zone.
    pub meter: u32,
    /// Most energy to trade, Wh, over all fills.
    pub wh: u64,
    /// Limit price, uaip/kWh: a buyer's maximum (fee included), a seller's minimum.
    pub limit_price: u64,
    /// A sell intent only premium-eligible buyers may take.
    pub premium_only: bool,
    /// The intent expires at this time, Unix seconds.
    pub expires: u64,
    /// The owner's signature; absent for an intent placed on chain by its owner.
    pub signature: Option<IntentSignature>,
}

impl BatchIntent {
    /// The batch form of a signed intent.
    pub fn from_signed(s: &SignedIntent) -> Self {
        Self::from_intent(&s.intent, Some(s.signature.clone()))
    }

    /// The batch form of an intent with an optional signature.
    pub fn from_intent(i: &OrderIntent, signature: Option<IntentSignature>) -> Self {
        BatchIntent {
            owner: i.owner.clone(),
            nonce: i.nonce,
            slot_from: i.slot_from,
            slot_until: i.slot_until,
            side: i.side,
            meter: i.meter,
            wh: i.wh,
            limit_price: i.limit_price,
            premium_only: i.premium_only,
            expires: i.expires,
            signature,
        }
    }

    /// The full intent, bound to `domain`'s chain and contract.
    pub fn intent(&self, domain: &IntentDomain) -> OrderIntent {
        OrderIntent {
            chain_id: domain.chain_id.clone(),
            contract: domain.contract.clone(),
            owner: self.owner.clone(),
            nonce: self.nonce,
            slot_from: self.slot_from,
            slot_until: self.slot_until,
            side: self.side,
            meter: self.meter,
            wh: self.wh,
            limit_price: self.limit_price,
            premium_only: self.premium_only,
            expires: self.expires,
        }
    }
}

/// The chain and contract an intent must be bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntentDomain {
    /// This chain's id.
    pub chain_id: String,
    /// This settlement contract's bech32 address; its prefix is the account prefix.
    pub contract: String,
}

/// A domain's account prefix (a bech32 decode of the contract address) and
/// EIP-712 domain separator (seven keccak hashes): the same for every
/// intent of a batch, so a verifier of many intents works them out once
/// ([`IntentDomain::keys`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainKeys {
    /// The bech32 prefix of the domain's contract address.
    pub prefix: String,
    /// [`IntentDomain::eip712_domain_separator`].
    pub eip712_separator: [u8; 32],
}

/// What a successful verification establishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedIntent {
    /// `sha256(canonical bytes)`: the intent's id.
    pub hash: [u8; 32],
    /// The owner, proven by the signature.
    pub owner: String,
}

fn check_string(field: &'static str, s: &str) -> Result<(), IntentError> {
    if s.is_empty() || s.len() > MAX_STRING_LEN {
        return Err(IntentError::InvalidField {
            field,
            reason: format!("length {} not in 1..={MAX_STRING_LEN}", s.len()),
        });
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(' '..='~').contains(c) || *c == '"' || *c == '\\')
    {
        return Err(IntentError::InvalidField {
            field,
            reason: format!(
                "character {c:?} is not allowed (printable ASCII without '\"' and '\\')"
            ),
        });
    }
    Ok(())
}

fn check_int(field: &'static str, n: u64) -> Result<(), IntentError> {
    if n > MAX_SAFE_INTEGER {
        return Err(IntentError::InvalidField {
            field,
            reason: format!("{n} exceeds {MAX_SAFE_INTEGER}"),
        });
    }
    Ok(())
}

impl OrderIntent {
    /// An intent for the one delivery slot starting at `slot_start`: its
    /// window is that slot, it has no premium condition and it expires when
    /// the slot starts (no commit can fill it after that). Nonce, meter,
    /// energy and limit price are left at zero for the caller to set:
    /// `OrderIntent { nonce, meter, wh, limit_price, ..OrderIntent::for_slot(..) }`.
    pub fn for_slot(domain: &IntentDomain, owner: &str, slot_start: u64, side: Side) -> Self {
        OrderIntent {
            chain_id: domain.chain_id.clone(),
            contract: domain.contract.clone(),
            owner: owner.to_string(),
            nonce: 0,
            slot_from: slot_start,
            slot_until: slot_start.saturating_add(SLOT_SECONDS),
            side,
            meter: 0,
            wh: 0,
            limit_price: 0,
            premium_only: false,
            expires: slot_start,
        }
    }

    /// Checks the fields on their own: string charset and length, integer range,
    /// slot alignment, a non-empty window, energy above zero.
    pub fn validate(&self) -> Result<(), IntentError> {
        check_string("chain_id", &self.chain_id)?;
        check_string("contract", &self.contract)?;
        check_string("owner", &self.owner)?;
        for (field, n) in [
            ("nonce", self.nonce),
            ("slot_from", self.slot_from),
            ("slot_until", self.slot_until),
            ("wh", self.wh),
            ("limit_price", self.limit_price),
            ("expires", self.expires),
        ] {
            check_int(field, n)?;
        }
        for (field, n) in [
            ("slot_from", self.slot_from),
            ("slot_until", self.slot_until),
        ] {
            if !n.is_multiple_of(SLOT_SECONDS) {
                return Err(IntentError::InvalidField {
                    field,
                    reason: format!("{n} is not aligned to {SLOT_SECONDS} s"),
                });
            }
        }
        if self.slot_until <= self.slot_from {
            return Err(IntentError::InvalidField {
                field: "slot_until",
                reason: format!(
                    "{} must be after slot_from {}",
                    self.slot_until, self.slot_from
                ),
            });
        }
        if self.wh == 0 {
            return Err(IntentError::InvalidField {
                field: "wh",
                reason: "must be above zero".to_string(),
            });
        }
        Ok(())
    }

    /// True when the delivery slot starting at `slot_start` is inside the window.
    pub fn covers(&self, slot_start: u64) -> bool {
        self.slot_from <= slot_start && slot_start < self.slot_until
    }

    /// The canonical bytes (see the module doc). Only meaningful for an intent
    /// that passed [`OrderIntent::validate`].
    pub fn canonical_bytes(&self) -> Vec<u8> {
        format!(
            concat!(
                "{{\"chain_id\":\"{}\",\"contract\":\"{}\",\"expires\":{},",
                "\"limit_price\":{},\"meter\":{},\"nonce\":{},\"owner\":\"{}\",",
                "\"premium_only\":{},\"side\":\"{}\",\"slot_from\":{},",
                "\"slot_until\":{},\"type\":\"{}\",\"wh\":{}}}"
            ),
            self.chain_id,
            self.contract,
            self.expires,
            self.limit_price,
            self.meter,
            self.nonce,
            self.owner,
            self.premium_only,
            self.side.as_str(),
            self.slot_from,
            self.slot_until,
            INTENT_TYPE,
            self.wh,
        )
        .into_bytes()
    }

    /// The intent's id: `sha256(canonical bytes)`.
    pub fn hash(&self) -> [u8; 32] {
        Sha256::digest(self.canonical_bytes()).into()
    }
}

impl IntentDomain {
    /// Refuses an intent bound to another chain or contract.
    pub fn check(&self, intent: &OrderIntent) -> Result<(), IntentError> {
        if intent.chain_id != self.chain_id {
            return Err(IntentError::WrongChain {
                expected: self.chain_id.clone(),
                got: intent.chain_id.clone(),
            });
        }
        if intent.contract != self.contract {
            return Err(IntentError::WrongContract {
                expected: self.contract.clone(),
                got: intent.contract.clone(),
            });
        }
        Ok(())
    }

    /// What verifying an intent needs of this domain, worked out once for
    /// a batch ([`verify_signed_intent_with`]).
    pub fn keys(&self) -> Result<DomainKeys, IntentError> {
        Ok(DomainKeys {
            prefix: self.prefix()?,
            eip712_separator: self.eip712_domain_separator(),
        })
    }

    /// The account prefix: the bech32 prefix of the contract's address.
    pub fn prefix(&self) -> Result<String, IntentError> {
        let (hrp, _) = bech32::decode(&self.contract).map_err(|e| IntentError::BadAddress {
            address: self.contract.clone(),
            reason: e.to_string(),
        })?;
        Ok(hrp.as_str().to_ascii_lowercase())
    }

    /// EIP-712 domain salt: `keccak256(keccak256(chain_id) ‖ keccak256(contract))`.
    pub fn eip712_salt(&self) -> [u8; 32] {
        let mut h = Keccak256::new();
        h.update(keccak(self.chain_id.as_bytes()));
        h.update(keccak(self.contract.as_bytes()));
        h.finalize().into()
    }

    /// EIP-712 domain separator of `{name: "AIPCHAIN", version: "1", salt}`.
    pub fn eip712_domain_separator(&self) -> [u8; 32] {
        let mut h = Keccak256::new();
        h.update(keccak(EIP712_DOMAIN_TYPE.as_bytes()));
        h.update(keccak(EIP712_NAME.as_bytes()));
        h.update(keccak(EIP712_VERSION.as_bytes()));
        h.update(self.eip712_salt());
        h.finalize().into()
    }
}

fn keccak(data: &[u8]) -> [u8; 32] {
    Keccak256::digest(data).into()
}

/// `keccak(text)` for a constant text, hashed once per process (in the
/// contract: once per call, where a batch verifies up to 1,000 intents).
fn keccak_once(cell: &'static OnceLock<[u8; 32]>, text: &str) -> [u8; 32] {
    *cell.get_or_init(|| keccak(text.as_bytes()))
}

fn word(n: u64) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[24..].copy_from_slice(&n.to_be_bytes());
    w
}

/// EIP-712 `hashStruct` of the intent as an `Order` ([`EIP712_ORDER_TYPE`]).
pub fn eip712_struct_hash(intent: &OrderIntent) -> [u8; 32] {
    static ORDER_TYPE: OnceLock<[u8; 32]> = OnceLock::new();
    static BUY: OnceLock<[u8; 32]> = OnceLock::new();
    static SELL: OnceLock<[u8; 32]> = OnceLock::new();
    let side = match intent.side {
        Side::Buy => &BUY,
        Side::Sell => &SELL,
    };
    let mut h = Keccak256::new();
    h.update(keccak_once(&ORDER_TYPE, EIP712_ORDER_TYPE));
    h.update(keccak(intent.owner.as_bytes()));
    h.update(word(intent.nonce));
    h.update(word(intent.slot_from));
    h.update(word(intent.slot_until));
    h.update(keccak_once(side, intent.side.as_str()));
    h.update(word(u64::from(intent.meter)));
    h.update(word(intent.wh));
    h.update(word(intent.limit_price));
    h.update(word(u64::from(intent.premium_only)));
    h.update(word(intent.expires));
    h.finalize().into()
}

/// The EIP-712 digest an Ethereum wallet signs: `keccak256(0x19 0x01 ‖ domainSeparator ‖ hashStruct(order))`.
/// The domain is the intent's own chain and contract.
pub fn eip712_digest(intent: &OrderIntent) -> [u8; 32] {
    let domain = IntentDomain {
        chain_id: intent.chain_id.clone(),
        contract: intent.contract.clone(),
    };
    eip712_digest_with(&domain.eip712_domain_separator(), intent)
}

/// [`eip712_digest`] under a domain separator worked out before (the
/// intent's domain must be the separator's: [`IntentDomain::check`]).
pub fn eip712_digest_with(separator: &[u8; 32], intent: &OrderIntent) -> [u8; 32] {
    let mut h = Keccak256::new();
    h.update([0x19, 0x01]);
    h.update(separator);
    h.update(eip712_struct_hash(intent));
    h.finalize().into()
}

/// The ADR-036 amino sign doc (sorted keys, compact) that Keplr's
/// `signArbitrary(chainId, signer, data)` signs: empty chain id, zero fee,
/// account number and sequence `"0"`, one `sign/MsgSignData` message.
pub fn adr036_sign_doc(signer: &str, data: &[u8]) -> String {
    format!(
        concat!(
            "{{\"account_number\":\"0\",\"chain_id\":\"\",\"fee\":{{\"amount\":[],\"gas\":\"0\"}},",
            "\"memo\":\"\",\"msgs\":[{{\"type\":\"sign/MsgSignData\",\"value\":{{\"data\":\"{}\",",
            "\"signer\":\"{}\"}}}}],\"sequence\":\"0\"}}"
        ),
        Binary::from(data).to_base64(),
        signer
    )
}

/// The digest a Cosmos key signs for `intent`: `sha256` of its ADR-036 sign doc.
pub fn adr036_digest(intent: &OrderIntent) -> [u8; 32] {
    Sha256::digest(adr036_sign_doc(&intent.owner, &intent.canonical_bytes()).as_bytes()).into()
}

/// The Cosmos account of a 33-byte compressed secp256k1 key:
/// `bech32(prefix, ripemd160(sha256(pubkey)))`.
pub fn cosmos_address(prefix: &str, compressed_pubkey: &[u8]) -> Result<String, IntentError> {
    if compressed_pubkey.len() != 33 {
        return Err(IntentError::BadLength {
            field: "pub_key",
            expected: 33,
            got: compressed_pubkey.len(),
        });
    }
    let hash = Ripemd160::digest(Sha256::digest(compressed_pubkey));
    let hrp = bech32::Hrp::parse(prefix).map_err(|e| IntentError::BadAddress {
        address: prefix.to_string(),
        reason: e.to_string(),
    })?;
    bech32::encode::<bech32::Bech32>(hrp, &hash).map_err(|e| IntentError::BadAddress {
        address: prefix.to_string(),
        reason: e.to_string(),
    })
}

/// Compresses a 65-byte uncompressed secp256k1 key (`04‖x‖y`) to 33 bytes.
pub fn compress_pubkey(uncompressed: &[u8]) -> Result<[u8; 33], IntentError> {
    if uncompressed.len() != 65 || uncompressed[0] != 4 {
        return Err(IntentError::BadLength {
            field: "recovered public key",
            expected: 65,
            got: uncompressed.len(),
        });
    }
    let mut out = [0u8; 33];
    out[0] = if uncompressed[64] & 1 == 0 { 2 } else { 3 };
    out[1..].copy_from_slice(&uncompressed[1..33]);
    Ok(out)
}

fn decode_base64(field: &'static str, s: &str) -> Result<Vec<u8>, IntentError> {
    Binary::from_base64(s)
        .map(|b| b.to_vec())
        .map_err(|e| IntentError::MalformedBase64 {
            field,
            reason: e.to_string(),
        })
}

fn decode_hex(field: &'static str, s: &str) -> Result<Vec<u8>, IntentError> {
    let s = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    hex::decode(s).map_err(|e| IntentError::MalformedHex {
        field,
        reason: e.to_string(),
    })
}

fn exact<const N: usize>(field: &'static str, bytes: &[u8]) -> Result<[u8; N], IntentError> {
    bytes.try_into().map_err(|_| IntentError::BadLength {
        field,
        expected: N,
        got: bytes.len(),
    })
}

/// Verifies a signed intent against this chain and contract at time `now`
/// (unix seconds): fields, binding, expiry, signature, owner. Returns the
/// intent's hash and proven owner. Pure: it reads and writes nothing.
pub fn verify_signed_intent(
    api: &dyn Api,
    domain: &IntentDomain,
    signed: &SignedIntent,
    now: u64,
) -> Result<VerifiedIntent, IntentError> {
    verify_signed_intent_with(api, domain, &domain.keys()?, signed, now)
}

/// [`verify_signed_intent`] with the domain's [`DomainKeys`] worked out
/// before: what a batch of intents calls for each.
pub fn verify_signed_intent_with(
    api: &dyn Api,
    domain: &IntentDomain,
    keys: &DomainKeys,
    signed: &SignedIntent,
    now: u64,
) -> Result<VerifiedIntent, IntentError> {
    let intent = &signed.intent;
    intent.validate()?;
    domain.check(intent)?;
    if now >= intent.expires {
        return Err(IntentError::Expired {
            expires: intent.expires,
            now,
        });
    }
    // The EIP-712 digest is only worth its keccak rounds for an Ethereum key.
    let eip712 = if signed.signature.kind == KIND_ETH_EIP712 {
        eip712_digest_with(&keys.eip712_separator, intent)
    } else {
        [0u8; 32]
    };
    // The canonical bytes are both the ADR-036 data and what the id hashes.
    let bytes = intent.canonical_bytes();
    let owner = verify_owner_signature(
        api,
        &keys.prefix,
        &intent.owner,
        &signed.signature,
        &bytes,
        &eip712,
    )?;
    Ok(VerifiedIntent {
        hash: Sha256::digest(&bytes).into(),
        owner,
    })
}

/// Checks that `sig` is `owner`'s signature over `adr036_data` (Cosmos keys)
/// or over the EIP-712 digest `eip712` (Ethereum keys). Returns the owner.
pub fn verify_owner_signature(
    api: &dyn Api,
    prefix: &str,
    owner: &str,
    sig: &IntentSignature,
    adr036_data: &[u8],
    eip712: &[u8; 32],
) -> Result<String, IntentError> {
    let bad = || IntentError::BadSignature {
        kind: sig.kind.clone(),
    };
    let signer = match sig.kind.as_str() {
        KIND_COSMOS_ADR036 => {
            let pub_key = decode_base64(
                "pub_key",
                sig.pub_key.as_deref().ok_or(IntentError::MissingPubKey)?,
            )?;
            let pub_key: [u8; 33] = exact("pub_key", &pub_key)?;
            let signature: [u8; 64] =
                exact("signature", &decode_base64("signature", &sig.signature)?)?;
            let digest: [u8; 32] = Sha256::digest(adr036_sign_doc(owner, adr036_data)).into();
            let ok = api
                .secp256k1_verify(&digest, &signature, &pub_key)
                .map_err(|_| bad())?;
            if !ok {
                return Err(bad());
            }
            cosmos_address(prefix, &pub_key)?
        }
        KIND_ETH_EIP712 => {
            let bytes: [u8; 65] = exact("signature", &decode_hex("signature", &sig.signature)?)?;
            let recovery = match bytes[64] {
                0 | 27 => 0,
                1 | 28 => 1,
                v => return Err(IntentError::BadRecoveryId { v }),
            };
            let recovered = api
                .secp256k1_recover_pubkey(eip712, &bytes[..64], recovery)
                .map_err(|_| bad())?;
            let signer = cosmos_address(prefix, &compress_pubkey(&recovered)?)?;
            // A recovered key always exists: a forged signature or a changed
            // field recovers some other key, which is a bad signature, not
            // an owner mismatch.
            if signer != owner {
                return Err(bad());
            }
            signer
        }
        other => {
            return Err(IntentError::UnknownKeyType {
                kind: other.to_string(),
            })
        }
    };
    if signer != owner {
        return Err(IntentError::OwnerMismatch {
            owner: owner.to_string(),
            signer,
        });
    }
    Ok(signer)
}

/// The `type` field of a cancel's canonical bytes.
pub const CANCEL_TYPE: &str = "aipchain/cancel/v1";

/// EIP-712 type of a cancel: the hash of the intent it withdraws.
pub const EIP712_CANCEL_TYPE: &str = "Cancel(bytes32 intent)";

/// The bytes an owner signs (ADR-036) to withdraw an intent:
/// `{"cancel":"<intent hash, 64 lowercase hex>","type":"aipchain/cancel/v1"}`.
pub fn cancel_bytes(intent_hash: &[u8; 32]) -> Vec<u8> {
    format!(
        "{{\"cancel\":\"{}\",\"type\":\"{CANCEL_TYPE}\"}}",
        hex::encode(intent_hash)
    )
    .into_bytes()
}

/// The EIP-712 digest of `Cancel(bytes32 intent)` under the intent's domain.
pub fn eip712_cancel_digest(domain: &IntentDomain, intent_hash: &[u8; 32]) -> [u8; 32] {
    let mut s = Keccak256::new();
    s.update(keccak(EIP712_CANCEL_TYPE.as_bytes()));
    s.update(intent_hash);
    let struct_hash: [u8; 32] = s.finalize().into();
    let mut h = Keccak256::new();
    h.update([0x19, 0x01]);
    h.update(domain.eip712_domain_separator());
    h.update(struct_hash);
    h.finalize().into()
}

/// Verifies that `sig` is the owner's signed withdrawal of `intent`.
pub fn verify_cancel(
    api: &dyn Api,
    domain: &IntentDomain,
    intent: &OrderIntent,
    sig: &IntentSignature,
) -> Result<(), IntentError> {
    domain.check(intent)?;
    let hash = intent.hash();
    verify_owner_signature(
        api,
        &domain.prefix()?,
        &intent.owner,
        sig,
        &cancel_bytes(&hash),
        &eip712_cancel_digest(domain, &hash),
    )
    .map(|_| ())
}

pub mod compact;

#[cfg(feature = "sign")]
pub mod sign;

#[cfg(test)]
mod tests;
