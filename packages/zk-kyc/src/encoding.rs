//! Byte encodings shared by the CLI and the contract, and the two
//! domain-separated hashes that turn chain data into field elements.
//!
//! Field elements travel as 32 bytes, little-endian, canonical (the
//! arkworks `CanonicalSerialize` form); anything `>=` the modulus is refused.

use ark_ff::BigInteger;
use sha2::{Digest, Sha256};

use crate::params::PoseidonField;
use crate::poseidon;

const SIGNAL_DOMAIN: &[u8] = b"aipchain/zk-kyc/signal/v1\0";
const EXTERNAL_DOMAIN: &[u8] = b"aipchain/zk-kyc/external-nullifier/v1\0";
const IDENTIFIER_DOMAIN: &[u8] = b"aipchain/zk-kyc/identifier/v1\0";

/// 32 little-endian bytes of a field element.
pub fn fr_to_bytes<F: PoseidonField>(x: F) -> [u8; 32] {
    let mut out = [0u8; 32];
    let bytes = x.into_bigint().to_bytes_le();
    out.copy_from_slice(&bytes[..32]);
    out
}

/// Parses 32 little-endian bytes; `None` unless the length is 32 and the
/// value is below the modulus.
pub fn fr_from_bytes<F: PoseidonField>(bytes: &[u8]) -> Option<F> {
    if bytes.len() != 32 {
        return None;
    }
    let x = F::from_le_bytes_mod_order(bytes);
    (fr_to_bytes(x)[..] == *bytes).then_some(x)
}

/// A field element from the first 31 bytes of a SHA-256 digest (big-endian, < 2^248,
/// so it is below the modulus of any ~255-bit field).
fn from_digest<F: PoseidonField>(digest: &[u8]) -> F {
    F::from_be_bytes_mod_order(&digest[..31])
}

/// The signal binding a proof to the registering address (bech32 string as it
/// appears as the message sender).
pub fn signal<F: PoseidonField>(address: &str) -> F {
    let mut h = Sha256::new();
    h.update(SIGNAL_DOMAIN);
    h.update(address.as_bytes());
    from_digest(&h.finalize())
}

/// The external nullifier of one verifier contract on one chain: a registration
/// on another chain or with another verifier gives an unrelated nullifier hash.
pub fn external_nullifier<F: PoseidonField>(chain_id: &str, contract: &str) -> F {
    let mut h = Sha256::new();
    h.update(EXTERNAL_DOMAIN);
    h.update(chain_id.as_bytes());
    h.update([0u8]);
    h.update(contract.as_bytes());
    from_digest(&h.finalize())
}

/// The identifier of a person as the provider and the compliance role both
/// compute it from the same document reference (for example
/// `"passport:DE:C01X00T47"`): a credential carries it, the sanctions and
/// revocation sets hold it. Below 2^248 (31 bytes of SHA-256), never 0 in
/// practice. Low-entropy references can be guessed from a published list:
/// keep the lists' contents off chain (only roots go on chain).
pub fn identifier<F: PoseidonField>(reference: &str) -> F {
    let mut h = Sha256::new();
    h.update(IDENTIFIER_DOMAIN);
    h.update(reference.as_bytes());
    from_digest(&h.finalize())
}

/// The verification context: `Poseidon(identity_root, sanctions_root,
/// revocation_root, external_nullifier)`. The contract computes it when a root
/// is published and stores it; a `Register` names it instead of sending three roots.
pub fn context<F: PoseidonField>(
    identity_root: F,
    sanctions_root: F,
    revocation_root: F,
    external_nullifier: F,
) -> F {
    poseidon::hash(&[
        identity_root,
        sanctions_root,
        revocation_root,
        external_nullifier,
    ])
}

/// The circuit's single public input: `Poseidon(context, nullifier_hash, signal, valid_until)`.
pub fn public_input<F: PoseidonField>(
    context: F,
    nullifier_hash: F,
    signal: F,
    valid_until: u64,
) -> F {
    poseidon::hash(&[context, nullifier_hash, signal, F::from(valid_until)])
}
