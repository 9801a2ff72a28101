//! The KYC files, written once for the `aip-kyc` CLI and the browser prover
//! (`zk-kyc-wasm`): JSON, field elements as 64 hex digits, little-endian.
//!
//! - [`TreeFile`] (provider): `{curve, depth, leaves}`; public;
//! - [`SetFile`] (compliance: sanctions; provider: revocations):
//!   `{curve, depth, identifiers}`, sorted;
//! - [`IdentityFile`] (user): `{curve, secret, trapdoor, commitment}`; secret;
//! - [`CredentialFile`] (provider → user): `{curve, identifier, expiry, leaf}`;
//! - [`ProofFile`]: the proof, the statement and the ready `register` message
//!   ([`ProofFile::new`]).

use ark_ec::pairing::Pairing;
use ark_groth16::Proof;
use serde::{Deserialize, Serialize};

use crate::{fr_from_bytes, fr_to_bytes, PoseidonField, Statement};

/// The provider's identity tree file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeFile {
    /// `bls12-381` or `bn254`.
    pub curve: String,
    /// Always [`crate::DEPTH`].
    pub depth: u32,
    /// Credential leaves in tree order.
    pub leaves: Vec<String>,
}

/// A sanctions or revocation set file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetFile {
    /// `bls12-381` or `bn254`.
    pub curve: String,
    /// Always [`crate::SET_DEPTH`].
    pub depth: u32,
    /// Identifiers, ascending.
    pub identifiers: Vec<String>,
}

/// A credential the provider issued to one user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialFile {
    /// `bls12-381` or `bn254`.
    pub curve: String,
    /// The person's identifier (hash of the document reference).
    pub identifier: String,
    /// Expiry, unix seconds.
    pub expiry: u64,
    /// The leaf in the provider's tree.
    pub leaf: String,
}

/// A user's identity file. Whoever holds it can register once in that user's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityFile {
    /// `bls12-381` or `bn254`.
    pub curve: String,
    /// The identity secret.
    pub secret: String,
    /// The identity trapdoor.
    pub trapdoor: String,
    /// `Poseidon(secret, trapdoor)`: what the provider adds to its tree.
    pub commitment: String,
}

/// What a proof gives (`aip-kyc prove`'s file, the browser prover's answer).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofFile {
    /// `bls12-381` or `bn254`.
    pub curve: String,
    /// The address the proof is bound to.
    pub address: String,
    /// Compressed Groth16 proof A|B|C, hex.
    pub proof: String,
    /// The identity tree root the proof is against.
    pub identity_root: String,
    /// The sanctions set root.
    pub sanctions_root: String,
    /// The revocation set root.
    pub revocation_root: String,
    /// `context(roots, external_nullifier)`: what `register` names.
    pub context: String,
    /// `Poseidon(secret, external_nullifier)`.
    pub nullifier_hash: String,
    /// The registration's end (unix seconds).
    pub valid_until: u64,
    /// The verifier's scope.
    pub external_nullifier: String,
    /// The address hash.
    pub signal: String,
    /// The circuit's single public input.
    pub public_input: String,
    /// The zk-verifier execute message to send from `address`.
    pub register: serde_json::Value,
}

impl ProofFile {
    /// The file of `proof` for `statement` on `curve`, bound to `address`,
    /// with its zk-verifier `register` message.
    pub fn new<E: Pairing>(
        curve: &str,
        address: &str,
        proof: &Proof<E>,
        st: &Statement<E::ScalarField>,
    ) -> ProofFile
    where
        E::ScalarField: PoseidonField,
    {
        let proof_hex = hex::encode(crate::prover::to_bytes(proof));
        ProofFile {
            curve: curve.to_string(),
            address: address.to_string(),
            proof: proof_hex.clone(),
            identity_root: hex_fr(st.identity_root),
            sanctions_root: hex_fr(st.sanctions_root),
            revocation_root: hex_fr(st.revocation_root),
            context: hex_fr(st.context()),
            nullifier_hash: hex_fr(st.nullifier_hash),
            valid_until: st.valid_until,
            external_nullifier: hex_fr(st.external_nullifier),
            signal: hex_fr(st.signal),
            public_input: hex_fr(st.public_input()),
            register: serde_json::json!({"register": {
                "proof": proof_hex,
                "context": hex_fr(st.context()),
                "nullifier_hash": hex_fr(st.nullifier_hash),
                "valid_until": st.valid_until,
            }}),
        }
    }
}

/// 64 hex digits (little-endian) of a field element.
pub fn hex_fr<F: PoseidonField>(x: F) -> String {
    hex::encode(fr_to_bytes(x))
}

/// A field element from 64 hex digits (little-endian, `0x` and surrounding
/// space allowed); `None` when it is not one.
pub fn fr_from_hex<F: PoseidonField>(value: &str) -> Option<F> {
    let bytes = hex::decode(value.trim().trim_start_matches("0x")).ok()?;
    fr_from_bytes(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bls12_381::Fr;

    #[test]
    fn field_elements_round_trip_through_hex_and_bad_hex_is_refused() {
        let x = Fr::from(123_456_789u64);
        let h = hex_fr(x);
        assert_eq!(h.len(), 64);
        assert_eq!(fr_from_hex::<Fr>(&h), Some(x));
        assert_eq!(fr_from_hex::<Fr>(&format!(" 0x{h} ")), Some(x));
        assert_eq!(fr_from_hex::<Fr>("zz"), None);
        assert_eq!(fr_from_hex::<Fr>("00"), None);
    }
}
