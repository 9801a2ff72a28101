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

/// The circuit's single public input: `Poseidon(root, nullifier_hash, external_nullifier, signal)`.
pub fn public_input<F: PoseidonField>(
    root: F,
    nullifier_hash: F,
    external_nullifier: F,
    signal: F,
) -> F {
    poseidon::hash4(root, nullifier_hash, external_nullifier, signal)
}
