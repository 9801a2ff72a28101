//! Private KYC and AML for AIPCHAIN: one Groth16 proof that a person holds an
//! unexpired credential from the KYC provider, is not on the sanctions list
//! and has not been revoked, bound to one account, without saying who.
//!
//! - The **user** holds an identity `(secret, trapdoor)`; its commitment is
//!   `Poseidon(secret, trapdoor)` ([`commitment`]).
//! - The **KYC provider** issues a credential: the leaf
//!   `Poseidon(commitment, identifier, expiry)` ([`credential_leaf`]) in its
//!   Merkle tree (depth [`DEPTH`]), where `identifier` is the person's hashed
//!   document reference ([`identifier`]) and `expiry` unix seconds. It also
//!   keeps a **revocation set** of identifiers ([`set::ExclusionSet`]).
//! - The **compliance role** keeps the **sanctions set** of identifiers.
//!
//! All three publish only roots on chain. The proof shows: the credential leaf
//! is in the identity tree; `expiry >= valid_until`; the identifier is in
//! neither set (sorted-set non-membership, [`set`]); and
//! `nullifier_hash = Poseidon(secret, external_nullifier)` so one identity
//! registers once per verifier contract and chain.
//!
//! Public values ([`Statement`]): the three roots and the external nullifier
//! (a hash of the chain id and verifier address), folded into one
//! **context** ([`context`]); the nullifier hash; the **signal** (a hash of
//! the registering address, so a proof seen in the mempool cannot be replayed
//! by another sender); and `valid_until` (unix seconds, which the contract
//! checks against block time and records as the registration's end). The
//! circuit has a **single** public input, `Poseidon(context, nullifier_hash,
//! signal, valid_until)` ([`public_input`]); the verifier recomputes it with
//! the same constants ([`poseidon`], [`params`]).
//!
//! Without the default `prover` feature the crate holds only what the on-chain
//! verifier needs: Poseidon with embedded constants, the encodings and the
//! tree math. With it: the circuit ([`circuit`]), trusted setup, proving and
//! native verification ([`prover`]). With `files`: the JSON files the CLI and
//! the browser prover share, and the proof input built from them (`witness`).
#![cfg_attr(test, allow(clippy::unwrap_used))]
// tests report failures by panicking

pub mod encoding;
pub mod params;
pub mod poseidon;
pub mod set;
pub mod tree;

#[cfg(feature = "prover")]
pub mod circuit;
#[cfg(feature = "files")]
pub mod files;
#[cfg(feature = "prover")]
pub mod prover;
#[cfg(feature = "files")]
pub mod witness;

pub use encoding::{
    context, external_nullifier, fr_from_bytes, fr_to_bytes, identifier, public_input, signal,
};
pub use params::PoseidonField;
pub use set::{ExclusionSet, NonMembership, SetError};
pub use tree::{IdentityTree, MerklePath, MerkleTree, TreeError, DEPTH, SET_DEPTH};

/// The identity commitment a provider adds to its tree: `Poseidon(secret, trapdoor)`.
pub fn commitment<F: PoseidonField>(secret: F, trapdoor: F) -> F {
    poseidon::hash2(secret, trapdoor)
}

/// The provider's leaf for one credential: `Poseidon(commitment, identifier, expiry)`.
pub fn credential_leaf<F: PoseidonField>(commitment: F, identifier: F, expiry: u64) -> F {
    poseidon::hash(&[commitment, identifier, F::from(expiry)])
}

/// The nullifier hash revealed on registration: `Poseidon(secret, external_nullifier)`.
pub fn nullifier_hash<F: PoseidonField>(secret: F, external_nullifier: F) -> F {
    poseidon::hash2(secret, external_nullifier)
}

/// The public values of one registration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Statement<F> {
    /// The provider's identity tree root the proof is against.
    pub identity_root: F,
    /// The compliance role's sanctions set root.
    pub sanctions_root: F,
    /// The provider's revocation set root.
    pub revocation_root: F,
    /// Scope of the nullifier: [`external_nullifier`] of the chain id and verifier contract.
    pub external_nullifier: F,
    /// `Poseidon(secret, external_nullifier)`: the same identity always gives the same value.
    pub nullifier_hash: F,
    /// [`signal`] of the registering address.
    pub signal: F,
    /// The credential's expiry is at or after this time (unix seconds).
    pub valid_until: u64,
}

impl<F: PoseidonField> Statement<F> {
    /// The [`context`] of the roots and the external nullifier.
    pub fn context(&self) -> F {
        context(
            self.identity_root,
            self.sanctions_root,
            self.revocation_root,
            self.external_nullifier,
        )
    }

    /// The circuit's single public input.
    pub fn public_input(&self) -> F {
        public_input(
            self.context(),
            self.nullifier_hash,
            self.signal,
            self.valid_until,
        )
    }
}

#[cfg(all(test, feature = "prover"))]
mod tests;
