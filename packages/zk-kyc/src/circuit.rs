//! The membership circuit (R1CS), generic over the scalar field so the same
//! circuit runs on BLS12-381 (the chain) and BN254 (the comparison verifier).
//!
//! Private: identity secret and trapdoor, the Merkle path, and the four
//! statement values. Public: one input, `Poseidon(root, nullifier_hash,
//! external_nullifier, signal)`. Constraints:
//! 1. `leaf = Poseidon(secret, trapdoor)`;
//! 2. hashing `leaf` up the path gives `root`;
//! 3. `nullifier_hash = Poseidon(secret, external_nullifier)`;
//! 4. the public input is the hash of the four statement values.

use ark_crypto_primitives::sponge::constraints::CryptographicSpongeVar;
use ark_crypto_primitives::sponge::poseidon::constraints::PoseidonSpongeVar;
use ark_crypto_primitives::sponge::poseidon::PoseidonConfig;
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::select::CondSelectGadget;
use ark_relations::r1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};

use crate::params::{config, PoseidonField};
use crate::tree::{MerklePath, DEPTH};
use crate::Statement;

/// Everything the prover knows.
#[derive(Clone, Debug)]
pub struct KycCircuit<F: PoseidonField> {
    pub secret: F,
    pub trapdoor: F,
    pub path: MerklePath<F>,
    pub statement: Statement<F>,
}

impl<F: PoseidonField> KycCircuit<F> {
    /// A circuit with all-zero values: the shape for the trusted setup.
    pub fn blank() -> Self {
        KycCircuit {
            secret: F::zero(),
            trapdoor: F::zero(),
            path: MerklePath {
                siblings: [F::zero(); DEPTH],
                index: 0,
            },
            statement: Statement {
                root: F::zero(),
                nullifier_hash: F::zero(),
                external_nullifier: F::zero(),
                signal: F::zero(),
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

impl<F: PoseidonField> ConstraintSynthesizer<F> for KycCircuit<F> {
    fn generate_constraints(self, cs: ConstraintSystemRef<F>) -> Result<(), SynthesisError> {
        let cfg = config::<F>();
        let st = self.statement;
        let public = FpVar::new_input(cs.clone(), || Ok(st.public_input()))?;

        let root = FpVar::new_witness(cs.clone(), || Ok(st.root))?;
        let nullifier_hash = FpVar::new_witness(cs.clone(), || Ok(st.nullifier_hash))?;
        let external = FpVar::new_witness(cs.clone(), || Ok(st.external_nullifier))?;
        let signal = FpVar::new_witness(cs.clone(), || Ok(st.signal))?;
        let secret = FpVar::new_witness(cs.clone(), || Ok(self.secret))?;
        let trapdoor = FpVar::new_witness(cs.clone(), || Ok(self.trapdoor))?;

        // 1. the leaf
        let mut node = hash_var(&cs, &cfg, &[secret.clone(), trapdoor])?;
        // 2. up the tree: bit d set = the node is a right child
        for d in 0..DEPTH {
            let sibling = FpVar::new_witness(cs.clone(), || Ok(self.path.siblings[d]))?;
            let is_right =
                Boolean::new_witness(cs.clone(), || Ok((self.path.index >> d) & 1 == 1))?;
            let left = FpVar::conditionally_select(&is_right, &sibling, &node)?;
            let right = &node + &sibling - &left;
            node = hash_var(&cs, &cfg, &[left, right])?;
        }
        node.enforce_equal(&root)?;
        // 3. the nullifier
        hash_var(&cs, &cfg, &[secret, external.clone()])?.enforce_equal(&nullifier_hash)?;
        // 4. the single public input
        hash_var(&cs, &cfg, &[root, nullifier_hash, external, signal])?.enforce_equal(&public)?;
        Ok(())
    }
}
