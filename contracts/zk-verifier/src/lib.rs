//! The KYC verifier: one identity, one reputation token, without revealing the identity.
//!
//! The KYC provider keeps a Poseidon Merkle tree of identity commitments off
//! chain and publishes its root here (`PublishRoot`, provider role); the last
//! `root_history` roots stay valid so proofs made just before an update still
//! register. A user sends `Register` with a Groth16 proof (BLS12-381) that
//! their commitment is in the tree, plus the root and their nullifier hash.
//! The contract
//!
//! 1. recomputes the circuit's single public input
//!    `Poseidon(root, nullifier_hash, external_nullifier, signal(sender))` in
//!    wasm (the external nullifier is fixed at instantiation from the chain id
//!    and this contract's address, the signal is a hash of the sender: a proof
//!    made for another address or another verifier does not verify);
//! 2. computes `L = IC0 + x·IC1` in wasm (the only scalar multiplication) and
//!    checks `e(A,B) = e(α,β)·e(L,γ)·e(C,δ)` with one call to the
//!    `bls12_381_pairing_equality` host function;
//! 3. records the nullifier (and the account), and asks the reputation contract
//!    to mint the soulbound token for the sender (`ReputationExecuteHook::MintFor`).
//!
//! Every failure is an error that leaves the state unchanged. The circuit and
//! prover live in `packages/zk-kyc`, the CLI in `offchain/kyc` (`aip-kyc`).

pub mod contract;
mod error;
pub mod execute;
pub mod groth16;
pub mod msg;
pub mod query;
pub mod state;

#[cfg(test)]
mod testing;

pub use crate::error::ContractError;
