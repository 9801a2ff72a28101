//! Trusted setup, proving and native verification with ark-groth16, plus the
//! byte formats the contract reads.
//!
//! The setup here is a single-party ceremony: whoever runs it knows the toxic
//! waste and could forge proofs. Production needs a multi-party ceremony
//! (for example a phase-2 powers-of-tau contribution chain) whose output keys
//! are loaded the same way.

use ark_ec::pairing::Pairing;
use ark_groth16::{Groth16, PreparedVerifyingKey, Proof, ProvingKey, VerifyingKey};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, SerializationError};
use ark_snark::SNARK;
use rand::{CryptoRng, RngCore};

use crate::circuit::KycCircuit;
use crate::params::PoseidonField;
use crate::tree::MerklePath;
use crate::{commitment, nullifier_hash, Statement};

/// Length of a compressed BLS12-381 proof: A (G1, 48) | B (G2, 96) | C (G1, 48).
pub const BLS12_381_PROOF_LEN: usize = 192;

/// A user's identity: two random field elements. Keep it secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identity<F> {
    pub secret: F,
    pub trapdoor: F,
}

impl<F: PoseidonField> Identity<F> {
    /// A fresh random identity.
    pub fn random<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        Identity {
            secret: F::rand(rng),
            trapdoor: F::rand(rng),
        }
    }

    /// The commitment the provider adds to its tree.
    pub fn commitment(&self) -> F {
        commitment(self.secret, self.trapdoor)
    }

    /// The nullifier hash for one verifier (`external_nullifier`).
    pub fn nullifier_hash(&self, external_nullifier: F) -> F {
        nullifier_hash(self.secret, external_nullifier)
    }

    /// The statement this identity proves for `signal` under the root `path` leads to.
    pub fn statement(
        &self,
        path: &MerklePath<F>,
        external_nullifier: F,
        signal: F,
    ) -> Statement<F> {
        Statement {
            root: path.root(self.commitment()),
            nullifier_hash: self.nullifier_hash(external_nullifier),
            external_nullifier,
            signal,
        }
    }
}

/// Circuit-specific Groth16 setup (single party: see the module docs).
pub fn setup<E, R>(rng: &mut R) -> (ProvingKey<E>, VerifyingKey<E>)
where
    E: Pairing,
    E::ScalarField: PoseidonField,
    R: RngCore + CryptoRng,
{
    Groth16::<E>::circuit_specific_setup(KycCircuit::<E::ScalarField>::blank(), rng)
        .expect("the circuit is well-formed")
}

/// Proves membership of `identity` at `path` for `external_nullifier` and `signal`.
/// Returns the proof and the statement it proves.
pub fn prove<E, R>(
    pk: &ProvingKey<E>,
    identity: &Identity<E::ScalarField>,
    path: &MerklePath<E::ScalarField>,
    external_nullifier: E::ScalarField,
    signal: E::ScalarField,
    rng: &mut R,
) -> (Proof<E>, Statement<E::ScalarField>)
where
    E: Pairing,
    E::ScalarField: PoseidonField,
    R: RngCore + CryptoRng,
{
    let statement = identity.statement(path, external_nullifier, signal);
    let circuit = KycCircuit {
        secret: identity.secret,
        trapdoor: identity.trapdoor,
        path: path.clone(),
        statement,
    };
    let proof = Groth16::<E>::prove(pk, circuit, rng).expect("a satisfied circuit proves");
    (proof, statement)
}

/// Verifies `proof` for `statement` (recomputes the single public input).
pub fn verify<E>(
    pvk: &PreparedVerifyingKey<E>,
    proof: &Proof<E>,
    statement: &Statement<E::ScalarField>,
) -> bool
where
    E: Pairing,
    E::ScalarField: PoseidonField,
{
    Groth16::<E>::verify_with_processed_vk(pvk, &[statement.public_input()], proof).unwrap_or(false)
}

/// Prepares a verifying key for repeated verification.
pub fn prepare<E: Pairing>(vk: &VerifyingKey<E>) -> PreparedVerifyingKey<E> {
    ark_groth16::prepare_verifying_key(vk)
}

/// Compressed canonical bytes of any arkworks value (keys, proofs).
pub fn to_bytes<T: CanonicalSerialize>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.compressed_size());
    value
        .serialize_compressed(&mut out)
        .expect("writing to a Vec cannot fail");
    out
}

/// Parses compressed canonical bytes, with full validation (curve and subgroup checks).
pub fn from_bytes<T: CanonicalDeserialize>(bytes: &[u8]) -> Result<T, SerializationError> {
    T::deserialize_compressed(bytes)
}

/// The curves the circuit is set up for, with the Groth16 operations compiled
/// (and optimized) inside this crate: callers get fast code even in debug builds.
pub trait KycCurve: Pairing
where
    Self::ScalarField: PoseidonField,
{
    /// [`setup`] on this curve.
    fn kyc_setup(rng: &mut rand_chacha::ChaCha20Rng) -> (ProvingKey<Self>, VerifyingKey<Self>);
    /// [`prove`] on this curve.
    fn kyc_prove(
        pk: &ProvingKey<Self>,
        identity: &Identity<Self::ScalarField>,
        path: &MerklePath<Self::ScalarField>,
        external_nullifier: Self::ScalarField,
        signal: Self::ScalarField,
        rng: &mut rand_chacha::ChaCha20Rng,
    ) -> (Proof<Self>, Statement<Self::ScalarField>);
    /// Prepares `vk` and runs [`verify`].
    fn kyc_verify(
        vk: &VerifyingKey<Self>,
        proof: &Proof<Self>,
        statement: &Statement<Self::ScalarField>,
    ) -> bool;
    /// Reads a proving key written with `serialize_uncompressed` (no point validation:
    /// only load keys you made or trust).
    fn kyc_read_proving_key(bytes: &[u8]) -> Result<ProvingKey<Self>, SerializationError>;
    /// Writes a proving key uncompressed (large, but fast to load).
    fn kyc_write_proving_key(pk: &ProvingKey<Self>) -> Vec<u8>;
}

macro_rules! kyc_curve {
    ($e:ty) => {
        impl KycCurve for $e {
            fn kyc_setup(
                rng: &mut rand_chacha::ChaCha20Rng,
            ) -> (ProvingKey<Self>, VerifyingKey<Self>) {
                setup::<Self, _>(rng)
            }
            fn kyc_prove(
                pk: &ProvingKey<Self>,
                identity: &Identity<Self::ScalarField>,
                path: &MerklePath<Self::ScalarField>,
                external_nullifier: Self::ScalarField,
                signal: Self::ScalarField,
                rng: &mut rand_chacha::ChaCha20Rng,
            ) -> (Proof<Self>, Statement<Self::ScalarField>) {
                prove(pk, identity, path, external_nullifier, signal, rng)
            }
            fn kyc_verify(
                vk: &VerifyingKey<Self>,
                proof: &Proof<Self>,
                statement: &Statement<Self::ScalarField>,
            ) -> bool {
                verify(&prepare(vk), proof, statement)
            }
            fn kyc_read_proving_key(bytes: &[u8]) -> Result<ProvingKey<Self>, SerializationError> {
                ProvingKey::<Self>::deserialize_uncompressed_unchecked(bytes)
            }
            fn kyc_write_proving_key(pk: &ProvingKey<Self>) -> Vec<u8> {
                let mut out = Vec::with_capacity(pk.uncompressed_size());
                pk.serialize_uncompressed(&mut out)
                    .expect("writing to a Vec cannot fail");
                out
            }
        }
    };
}

kyc_curve!(ark_bls12_381::Bls12_381);
kyc_curve!(ark_bn254::Bn254);
