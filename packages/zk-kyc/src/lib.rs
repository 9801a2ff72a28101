//! Private KYC for AIPCHAIN: a Semaphore-style membership proof.
//!
//! The KYC provider keeps a Merkle tree (depth [`DEPTH`], Poseidon) of identity
//! commitments `Poseidon(secret, trapdoor)` and publishes its root on chain. A
//! user proves with Groth16 that their commitment is in the tree without saying
//! which leaf, and reveals a nullifier hash `Poseidon(secret, external_nullifier)`
//! so one identity registers once per verifier contract and chain.
//!
//! The statement has four values: the root, the nullifier hash, the external
//! nullifier (a hash of the chain id and the verifier contract's address) and a
//! signal (a hash of the registering address, so a proof seen in the mempool
//! cannot be replayed by another sender). To keep on-chain verification cheap
//! the circuit has a **single** public input, `Poseidon(root, nullifier_hash,
//! external_nullifier, signal)` ([`public_input`]); the verifier recomputes it
//! with the same constants ([`poseidon`], [`params`]).
//!
//! Without the default `prover` feature the crate holds only what the on-chain
//! verifier needs: Poseidon with embedded constants, the encodings and the
//! tree math. With it: the circuit ([`circuit`]), trusted setup, proving and
//! native verification ([`prover`]).

pub mod encoding;
pub mod params;
pub mod poseidon;
pub mod tree;

#[cfg(feature = "prover")]
pub mod circuit;
#[cfg(feature = "prover")]
pub mod prover;

pub use encoding::{external_nullifier, fr_from_bytes, fr_to_bytes, public_input, signal};
pub use params::PoseidonField;
pub use tree::{IdentityTree, MerklePath, TreeError, DEPTH};

/// The identity commitment a provider adds to its tree: `Poseidon(secret, trapdoor)`.
pub fn commitment<F: PoseidonField>(secret: F, trapdoor: F) -> F {
    poseidon::hash2(secret, trapdoor)
}

/// The nullifier hash revealed on registration: `Poseidon(secret, external_nullifier)`.
pub fn nullifier_hash<F: PoseidonField>(secret: F, external_nullifier: F) -> F {
    poseidon::hash2(secret, external_nullifier)
}

/// The public values of one registration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Statement<F> {
    /// The provider's Merkle root the proof is against.
    pub root: F,
    /// `Poseidon(secret, external_nullifier)`: the same identity always gives the same value.
    pub nullifier_hash: F,
    /// Scope of the nullifier: [`external_nullifier`] of the chain id and verifier contract.
    pub external_nullifier: F,
    /// [`signal`] of the registering address.
    pub signal: F,
}

impl<F: PoseidonField> Statement<F> {
    /// The circuit's single public input.
    pub fn public_input(&self) -> F {
        public_input(
            self.root,
            self.nullifier_hash,
            self.external_nullifier,
            self.signal,
        )
    }
}

#[cfg(all(test, feature = "prover"))]
mod tests;
