//! The KYC/AML verifier: one identity, one reputation token, without revealing
//! the identity; and the eligibility that settlement checks.
//!
//! Three roots are published here: the KYC provider's identity (credential)
//! tree (`PublishRoot`) and revocation set (`PublishRevocationRoot`), and the
//! compliance role's sanctions set (`PublishSanctionsRoot`). Each publication
//! computes the **context** `Poseidon(identity, sanctions, revocation,
//! external_nullifier)` and makes it current; the context it replaces stays
//! accepted for `grace_period` seconds, then is refused. A user sends
//! `Register` with a Groth16 proof (BLS12-381) that their credential is in the
//! identity tree, unexpired at `valid_until`, and that their identifier is in
//! neither set, naming the context and their nullifier hash. The contract
//!
//! 1. checks `valid_until` against block time and the context's standing;
//! 2. recomputes the circuit's single public input
//!    `Poseidon(context, nullifier_hash, signal(sender), valid_until)` in wasm
//!    (a proof made for another address, verifier or chain does not verify);
//! 3. computes `L = IC0 + x·IC1` in wasm (a fixed-base comb; the key's
//!    prepared form is compiled into the code when the admin set one of the
//!    keys in [`keys`], else read from storage) and checks
//!    `e(A,B) = e(α,β)·e(L,γ)·e(C,δ)` with one `bls12_381_pairing_equality` call;
//! 4. records the nullifier and the account (`valid_until`, proof time, lists
//!    generation) and, on a first registration, asks the reputation contract to
//!    mint the soulbound token (`ReputationExecuteHook::MintFor`).
//!
//! The `eligibility { account }` query ([`rules::eligibility`]) says whether an
//! account may trade (registered, not expired, its lists not replaced for
//! longer than the grace period) and trade premium (proof younger than
//! `premium_max_age_days`); `eligibilities { accounts }` answers the same for
//! a whole settlement batch in one query (`aip_types::hooks::KycQueryHook`);
//! `stats` gives the regulator counts.
//!
//! Every failure is an error that leaves the state unchanged. The circuit and
//! prover live in `packages/zk-kyc`, the CLI in `offchain/kyc` (`aip-kyc`).
#![cfg_attr(test, allow(clippy::unwrap_used))]
// tests report failures by panicking

pub mod contract;
mod error;
pub mod execute;
pub mod groth16;
pub mod keys;
pub mod msg;
pub mod query;
pub mod rules;
pub mod state;

#[cfg(test)]
mod testing;

pub use crate::error::ContractError;
