//! The KYC/AML circuit (R1CS), generic over the scalar field so the same
//! circuit runs on BLS12-381 (the chain) and BN254 (the comparison verifier).
//!
//! Private: identity secret and trapdoor, the credential's identifier and
//! expiry, the identity tree path, the low leaves and paths of both exclusion
//! sets, and the statement values. Public: one input,
//! `Poseidon(context, nullifier_hash, signal, valid_until)`. Constraints:
//! 1. `leaf = Poseidon(Poseidon(secret, trapdoor), identifier, expiry)`;
//! 2. hashing `leaf` up the path gives `identity_root`;
//! 3. `expiry - valid_until` fits in 64 bits (so `expiry >= valid_until`);
//! 4. for the sanctions and the revocation set: `Poseidon(low, next)` hashed
//!    up its path gives the set's root, `identifier - low - 1` and
//!    `next' - identifier - 1` fit in 248 bits where `next' = next`, or
//!    `2^248` when `next = 0` (so `low < identifier < next`);
//! 5. `nullifier_hash = Poseidon(secret, external_nullifier)`;
//! 6. the public input is the hash of the context and the other values.

use ark_crypto_primitives::sponge::constraints::CryptographicSpongeVar;
use ark_crypto_primitives::sponge::poseidon::constraints::PoseidonSpongeVar;
use ark_crypto_primitives::sponge::poseidon::PoseidonConfig;
use ark_ff::BigInteger;
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::fields::FieldVar;
use ark_r1cs_std::select::CondSelectGadget;
use ark_r1cs_std::R1CSVar;
use ark_relations::r1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};

use crate::params::{config, PoseidonField};
use crate::set::{NonMembership, IDENTIFIER_BITS};
use crate::tree::MerklePath;
use crate::Statement;

/// Everything the prover knows.
#[derive(Clone, Debug)]
pub struct KycCircuit<F: PoseidonField> {
    /// The identity's secret half (private).
    pub secret: F,
    /// The identity's trapdoor half (private).
    pub trapdoor: F,
    /// The credential's identifier ([`crate::identifier`]).
    pub identifier: F,
    /// The credential's expiry, unix seconds.
    pub expiry: u64,
    /// The credential leaf's path in the identity tree.
    pub path: MerklePath<F>,
    /// The identifier's low leaf in the sanctions set.
    pub sanctions: NonMembership<F>,
    /// The identifier's low leaf in the revocation set.
    pub revocation: NonMembership<F>,
    /// The public inputs the proof is checked against.
    pub statement: Statement<F>,
}

impl<F: PoseidonField> KycCircuit<F> {
    /// A circuit with all-zero values: the shape for the trusted setup.
    pub fn blank() -> Self {
        KycCircuit {
            secret: F::zero(),
            trapdoor: F::zero(),
            identifier: F::zero(),
            expiry: 0,
            path: MerklePath::blank(),
            sanctions: NonMembership::blank(),
            revocation: NonMembership::blank(),
            statement: Statement {
                identity_root: F::zero(),
                sanctions_root: F::zero(),
                revocation_root: F::zero(),
                external_nullifier: F::zero(),
                nullifier_hash: F::zero(),
                signal: F::zero(),
                valid_until: 0,
            },
        }
    }
}

fn hash_var<F: PoseidonField>(
    cs: &ConstraintSystemRef<F>,
    cfg: &PoseidonConfig<F>,
    inputs: &[FpVar<F>],
) -> Result<FpVar<F>, SynthesisError> {
    let mut sponge = PoseidonSpongeVar::new(cs.clone(), cfg);
    sponge.absorb(&inputs)?;
    Ok(sponge.squeeze_field_elements(1)?.remove(0))
}

/// Hashes `leaf` up a path of `siblings` (bit `d` of `index` set = right child).
fn root_var<F: PoseidonField, const D: usize>(
    cs: &ConstraintSystemRef<F>,
    cfg: &PoseidonConfig<F>,
    leaf: FpVar<F>,
    path: &MerklePath<F, D>,
) -> Result<FpVar<F>, SynthesisError> {
    let mut node = leaf;
    for d in 0..D {
        let sibling = FpVar::new_witness(cs.clone(), || Ok(path.siblings[d]))?;
        let is_right = Boolean::new_witness(cs.clone(), || Ok((path.index >> d) & 1 == 1))?;
        let left = FpVar::conditionally_select(&is_right, &sibling, &node)?;
        let right = &node + &sibling - &left;
        node = hash_var(cs, cfg, &[left, right])?;
    }
    Ok(node)
}

/// Enforces that `value` is in `[0, 2^bits)`: `bits` boolean witnesses whose
/// weighted sum is `value`. Unsatisfiable otherwise.
fn enforce_bits<F: PoseidonField>(
    cs: &ConstraintSystemRef<F>,
    value: &FpVar<F>,
    bits: usize,
) -> Result<(), SynthesisError> {
    let v = value.value().unwrap_or_default().into_bigint();
    let mut sum = FpVar::<F>::zero();
    let mut weight = F::one();
    for i in 0..bits {
        let b = Boolean::new_witness(cs.clone(), || Ok(v.get_bit(i)))?;
        sum += FpVar::from(b) * weight;
        weight.double_in_place();
    }
    sum.enforce_equal(value)
}

/// `2^IDENTIFIER_BITS`, the upper end of the last leaf (`next = 0`).
fn identifier_bound<F: PoseidonField>() -> F {
    F::from(2u64).pow([IDENTIFIER_BITS as u64])
}

/// The identifier is outside the set whose root is `root`.
fn enforce_excluded<F: PoseidonField>(
    cs: &ConstraintSystemRef<F>,
    cfg: &PoseidonConfig<F>,
    identifier: &FpVar<F>,
    witness: &NonMembership<F>,
    root: &FpVar<F>,
) -> Result<(), SynthesisError> {
    let low = FpVar::new_witness(cs.clone(), || Ok(witness.low))?;
    let next = FpVar::new_witness(cs.clone(), || Ok(witness.next))?;
    let leaf = hash_var(cs, cfg, &[low.clone(), next.clone()])?;
    root_var(cs, cfg, leaf, &witness.path)?.enforce_equal(root)?;
    // low < identifier
    enforce_bits(cs, &(identifier - &low - F::one()), IDENTIFIER_BITS)?;
    // identifier < next, or next = 0 (no upper end)
    let open = next.is_zero()?;
    let upper = FpVar::conditionally_select(&open, &FpVar::constant(identifier_bound()), &next)?;
    enforce_bits(cs, &(upper - identifier - F::one()), IDENTIFIER_BITS)
}

impl<F: PoseidonField> ConstraintSynthesizer<F> for KycCircuit<F> {
    fn generate_constraints(self, cs: ConstraintSystemRef<F>) -> Result<(), SynthesisError> {
        let cfg = config::<F>();
        let st = self.statement;
        let public = FpVar::new_input(cs.clone(), || Ok(st.public_input()))?;

        let identity_root = FpVar::new_witness(cs.clone(), || Ok(st.identity_root))?;
        let sanctions_root = FpVar::new_witness(cs.clone(), || Ok(st.sanctions_root))?;
        let revocation_root = FpVar::new_witness(cs.clone(), || Ok(st.revocation_root))?;
        let external = FpVar::new_witness(cs.clone(), || Ok(st.external_nullifier))?;
        let nullifier_hash = FpVar::new_witness(cs.clone(), || Ok(st.nullifier_hash))?;
        let signal = FpVar::new_witness(cs.clone(), || Ok(st.signal))?;
        let valid_until = FpVar::new_witness(cs.clone(), || Ok(F::from(st.valid_until)))?;
        let secret = FpVar::new_witness(cs.clone(), || Ok(self.secret))?;
        let trapdoor = FpVar::new_witness(cs.clone(), || Ok(self.trapdoor))?;
        let identifier = FpVar::new_witness(cs.clone(), || Ok(self.identifier))?;
        let expiry = FpVar::new_witness(cs.clone(), || Ok(F::from(self.expiry)))?;

        // 1. the credential leaf
        let commitment = hash_var(&cs, &cfg, &[secret.clone(), trapdoor])?;
        let leaf = hash_var(&cs, &cfg, &[commitment, identifier.clone(), expiry.clone()])?;
        // 2. up the identity tree
        root_var(&cs, &cfg, leaf, &self.path)?.enforce_equal(&identity_root)?;
        // 3. not expired at valid_until (both are u64: the difference is below 2^64
        //    only when expiry >= valid_until)
        enforce_bits(&cs, &(&expiry - &valid_until), 64)?;
        enforce_bits(&cs, &valid_until, 64)?;
        // 4. not sanctioned, not revoked
        enforce_excluded(&cs, &cfg, &identifier, &self.sanctions, &sanctions_root)?;
        enforce_excluded(&cs, &cfg, &identifier, &self.revocation, &revocation_root)?;
        // 5. the nullifier
        hash_var(&cs, &cfg, &[secret, external.clone()])?.enforce_equal(&nullifier_hash)?;
        // 6. the single public input
        let context = hash_var(
            &cs,
            &cfg,
            &[identity_root, sanctions_root, revocation_root, external],
        )?;
        hash_var(&cs, &cfg, &[context, nullifier_hash, signal, valid_until])?
            .enforce_equal(&public)?;
        Ok(())
    }
}
