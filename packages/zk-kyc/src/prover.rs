//! Trusted setup, proving and native verification with ark-groth16, plus the
//! byte formats the contract reads.
//!
//! The setup here is a single-party ceremony: whoever runs it knows the toxic
//! waste and could forge proofs. Production needs a multi-party ceremony
//! (for example a phase-2 powers-of-tau contribution chain) whose output keys
//! are loaded the same way.

use ark_ec::pairing::Pairing;
use ark_ff::UniformRand;
use ark_groth16::{Groth16, PreparedVerifyingKey, Proof, ProvingKey, VerifyingKey};
use ark_relations::r1cs::{
    ConstraintMatrices, ConstraintSynthesizer, ConstraintSystem, Matrix, OptimizationGoal,
    SynthesisMode,
};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, SerializationError};
use ark_snark::SNARK;
use rand::{CryptoRng, RngCore};

use crate::circuit::KycCircuit;
use crate::params::PoseidonField;
use crate::set::NonMembership;
use crate::tree::MerklePath;
use crate::{commitment, credential_leaf, nullifier_hash, Statement};

/// Length of a compressed BLS12-381 proof: A (G1, 48) | B (G2, 96) | C (G1, 48).
pub const BLS12_381_PROOF_LEN: usize = 192;

/// A user's identity: two random field elements. Keep it secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identity<F> {
    /// Secret half: with the verifier's scope it gives the nullifier.
    pub secret: F,
    /// Trapdoor half: blinds the commitment.
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
}

/// What the provider certifies about one identity: the person's identifier
/// ([`crate::identifier`]) and the credential's expiry (unix seconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Credential<F> {
    /// The person's identifier (Poseidon of the KYC data).
    pub identifier: F,
    /// Expiry, Unix seconds.
    pub expiry: u64,
}

impl<F: PoseidonField> Credential<F> {
    /// The leaf the provider adds to its identity tree for `identity`.
    pub fn leaf(&self, identity: &Identity<F>) -> F {
        credential_leaf(identity.commitment(), self.identifier, self.expiry)
    }
}

/// Everything one proof needs: the secrets, the three witnesses and the
/// registration's public choices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProofInput<F> {
    /// The user's secret identity.
    pub identity: Identity<F>,
    /// The provider's credential for it.
    pub credential: Credential<F>,
    /// The credential leaf's path in the provider's identity tree.
    pub path: MerklePath<F>,
    /// The identifier's low leaf in the sanctions set.
    pub sanctions: NonMembership<F>,
    /// The identifier's low leaf in the revocation set.
    pub revocation: NonMembership<F>,
    /// [`crate::external_nullifier`] of the chain id and verifier contract.
    pub external_nullifier: F,
    /// [`crate::signal`] of the registering address.
    pub signal: F,
    /// The registration's end (unix seconds), at most the credential's expiry.
    pub valid_until: u64,
}

impl<F: PoseidonField> ProofInput<F> {
    /// The public values this input proves (roots from the witnesses).
    pub fn statement(&self) -> Statement<F> {
        Statement {
            identity_root: self.path.root(self.credential.leaf(&self.identity)),
            sanctions_root: self.sanctions.root(),
            revocation_root: self.revocation.root(),
            external_nullifier: self.external_nullifier,
            nullifier_hash: self.identity.nullifier_hash(self.external_nullifier),
            signal: self.signal,
            valid_until: self.valid_until,
        }
    }

    /// The native checks that decide whether the circuit can be satisfied.
    pub fn check(&self) -> Result<(), ProveError> {
        if self.credential.expiry < self.valid_until {
            return Err(ProveError::Expired {
                expiry: self.credential.expiry,
                valid_until: self.valid_until,
            });
        }
        let id = self.credential.identifier;
        if !crate::set::is_identifier(id) {
            return Err(ProveError::NotAnIdentifier);
        }
        if !self.sanctions.excludes(id) {
            return Err(ProveError::Sanctioned);
        }
        if !self.revocation.excludes(id) {
            return Err(ProveError::Revoked);
        }
        Ok(())
    }

    /// The circuit with this input as its witness.
    pub fn circuit(&self) -> KycCircuit<F> {
        KycCircuit {
            secret: self.identity.secret,
            trapdoor: self.identity.trapdoor,
            identifier: self.credential.identifier,
            expiry: self.credential.expiry,
            path: self.path.clone(),
            sanctions: self.sanctions.clone(),
            revocation: self.revocation.clone(),
            statement: self.statement(),
        }
    }
}

/// A random identity with a credential (expiry `u64::MAX`) alone in a fresh tree,
/// and empty sanctions and revocation sets: a ready input for benchmarks and
/// the comparison verifier's tests.
pub fn clean_input<F: PoseidonField>(
    rng: &mut (impl RngCore + CryptoRng),
    external_nullifier: F,
    signal: F,
) -> ProofInput<F> {
    let identity = Identity::random(rng);
    let credential = Credential {
        identifier: crate::identifier("passport:bench"),
        expiry: u64::MAX,
    };
    let mut tree = crate::IdentityTree::new();
    tree.insert(credential.leaf(&identity))
        .expect("an empty tree has room");
    let empty = crate::ExclusionSet::new();
    let witness = empty
        .non_membership(credential.identifier)
        .expect("the empty set excludes every identifier");
    ProofInput {
        identity,
        credential,
        path: tree.path(0).expect("leaf 0 exists"),
        sanctions: witness.clone(),
        revocation: witness,
        external_nullifier,
        signal,
        valid_until: u64::MAX,
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

/// Proves `input`; returns the proof and the statement it proves. An input
/// the circuit cannot accept (expired credential, sanctioned or revoked
/// identifier) is refused with the reason, before any proving work.
pub fn prove<E, R>(
    pk: &ProvingKey<E>,
    input: &ProofInput<E::ScalarField>,
    rng: &mut R,
) -> Result<(Proof<E>, Statement<E::ScalarField>), ProveError>
where
    E: Pairing,
    E::ScalarField: PoseidonField,
    R: RngCore + CryptoRng,
{
    input.check()?;
    let circuit = input.circuit();
    let statement = circuit.statement;
    let proof = Groth16::<E>::prove(pk, circuit, rng).map_err(|e| ProveError::Prover {
        reason: e.to_string(),
    })?;
    Ok((proof, statement))
}

/// The circuit's size: R1CS constraints of the blank circuit.
pub fn num_constraints<F: PoseidonField>() -> usize {
    use ark_relations::r1cs::{ConstraintSynthesizer, ConstraintSystem};
    let cs = ConstraintSystem::<F>::new_ref();
    KycCircuit::<F>::blank()
        .generate_constraints(cs.clone())
        .expect("the blank circuit synthesizes");
    cs.num_constraints()
}

/// Whether the circuit's constraints hold for its witness.
pub fn is_satisfied<F: PoseidonField>(circuit: KycCircuit<F>) -> bool {
    use ark_relations::r1cs::{ConstraintSynthesizer, ConstraintSystem};
    let cs = ConstraintSystem::<F>::new_ref();
    circuit.generate_constraints(cs.clone()).is_ok() && cs.is_satisfied().unwrap_or(false)
}

/// Why a proof could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProveError {
    /// The credential expires before the requested `valid_until`.
    Expired {
        /// The credential's expiry, Unix seconds.
        expiry: u64,
        /// The registration end asked for, Unix seconds.
        valid_until: u64,
    },
    /// The credential's identifier is not a valid identifier.
    NotAnIdentifier,
    /// The identifier is not outside the sanctions set's witness range (it is sanctioned).
    Sanctioned,
    /// The identifier is not outside the revocation set's witness range (it is revoked).
    Revoked,
    /// arkworks failed.
    Prover {
        /// What is wrong.
        reason: String,
    },
}

impl core::fmt::Display for ProveError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ProveError::Expired {
                expiry,
                valid_until,
            } => write!(
                f,
                "the credential expires at {expiry}, before valid_until {valid_until}: \
                 ask the provider for a renewed credential or prove for an earlier valid_until"
            ),
            ProveError::NotAnIdentifier => write!(
                f,
                "the credential's identifier is 0 or not below 2^{}",
                crate::set::IDENTIFIER_BITS
            ),
            ProveError::Sanctioned => write!(
                f,
                "the identity is on the sanctions list: no proof of non-membership exists"
            ),
            ProveError::Revoked => write!(
                f,
                "the provider revoked this identity: no proof of non-membership exists"
            ),
            ProveError::Prover { reason } => write!(f, "proving failed: {reason}"),
        }
    }
}

impl std::error::Error for ProveError {}

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

/// A proving key with the circuit's constraint matrices, computed once.
///
/// [`prove`] lets ark-groth16 synthesize the whole constraint system for every
/// proof (constraints, LC inlining, matrices) although only the witness
/// changes. This prover synthesizes the matrices once ([`Prover::new`]) and
/// then only the witness per proof (`SynthesisMode::Prove` without
/// matrices), and proves with `create_proof_with_reduction_and_matrices`:
/// the same proofs, less work per proof (figures in docs/benchmarks.md).
pub struct Prover<E: Pairing> {
    pk: ProvingKey<E>,
    matrices: ConstraintMatrices<E::ScalarField>,
}

impl<E> Prover<E>
where
    E: Pairing,
    E::ScalarField: PoseidonField,
{
    /// Synthesizes the circuit's matrices (setup mode, the same optimization
    /// goal as proving) for `pk`.
    pub fn new(pk: ProvingKey<E>) -> Self {
        let cs = ConstraintSystem::<E::ScalarField>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Setup);
        KycCircuit::<E::ScalarField>::blank()
            .generate_constraints(cs.clone())
            .expect("the circuit is well-formed");
        cs.finalize();
        let matrices = cs.to_matrices().expect("setup mode constructs matrices");
        Prover { pk, matrices }
    }

    /// The proving key.
    pub fn proving_key(&self) -> &ProvingKey<E> {
        &self.pk
    }

    /// The matrices as bytes (`aip-kyc setup` writes them next to the
    /// proving key): [`MATRICES_MAGIC`]; the instance, witness and constraint
    /// counts (u64 LE); the coefficient palette (u32 LE count, then 32-byte
    /// scalars, [`crate::fr_to_bytes`]: the circuit has a few hundred distinct
    /// coefficients); then the rows of A, B and C, each a u32 LE entry count
    /// and entries of a u32 LE variable index and a u32 LE palette index.
    pub fn matrices_to_bytes(&self) -> Vec<u8> {
        let m = &self.matrices;
        let mut palette: Vec<E::ScalarField> = Vec::new();
        let mut slot: std::collections::HashMap<E::ScalarField, u32> = Default::default();
        let nnz = m.a_num_non_zero + m.b_num_non_zero + m.c_num_non_zero;
        let mut rows = Vec::with_capacity(12 * m.num_constraints + 8 * nnz);
        for matrix in [&m.a, &m.b, &m.c] {
            for row in matrix {
                rows.extend_from_slice(&(row.len() as u32).to_le_bytes());
                for (coeff, index) in row {
                    let k = *slot.entry(*coeff).or_insert_with(|| {
                        palette.push(*coeff);
                        (palette.len() - 1) as u32
                    });
                    rows.extend_from_slice(&(*index as u32).to_le_bytes());
                    rows.extend_from_slice(&k.to_le_bytes());
                }
            }
        }
        let mut out = Vec::with_capacity(36 + 32 * palette.len() + rows.len());
        out.extend_from_slice(MATRICES_MAGIC);
        for n in [
            m.num_instance_variables,
            m.num_witness_variables,
            m.num_constraints,
        ] {
            out.extend_from_slice(&(n as u64).to_le_bytes());
        }
        out.extend_from_slice(&(palette.len() as u32).to_le_bytes());
        for c in &palette {
            out.extend_from_slice(&crate::fr_to_bytes(*c));
        }
        out.extend_from_slice(&rows);
        out
    }

    /// A prover from a proving key and matrices written by
    /// [`Prover::matrices_to_bytes`] for the same circuit. The counts must be
    /// this circuit's (a file from another circuit version is refused);
    /// every index and scalar is checked.
    pub fn from_parts(pk: ProvingKey<E>, matrices: &[u8]) -> Result<Self, MatricesError> {
        let mut r = Reader(
            matrices
                .strip_prefix(MATRICES_MAGIC.as_slice())
                .ok_or(MatricesError::NotMatrices)?,
        );
        let num_instance = r.u64()?;
        let num_witness = r.u64()?;
        let num_constraints = r.u64()?;
        let vars = num_instance.saturating_add(num_witness);
        if pk.a_query.len() != vars {
            return Err(MatricesError::KeyMismatch {
                key: pk.a_query.len(),
                matrices: vars,
            });
        }
        let palette = (0..r.u32()?)
            .map(|_| crate::fr_from_bytes(r.take(32)?).ok_or(MatricesError::BadScalar))
            .collect::<Result<Vec<E::ScalarField>, _>>()?;
        let mut read = || -> Result<(Matrix<E::ScalarField>, usize), MatricesError> {
            let mut rows = Vec::with_capacity(num_constraints.min(1 << 24));
            let mut nnz = 0;
            for _ in 0..num_constraints {
                let len = r.u32()?;
                let mut row = Vec::with_capacity(len.min(vars));
                for _ in 0..len {
                    let index = r.u32()?;
                    if index >= vars {
                        return Err(MatricesError::BadIndex { index, vars });
                    }
                    let k = r.u32()?;
                    let coeff = *palette.get(k).ok_or(MatricesError::BadCoefficient {
                        index: k,
                        palette: palette.len(),
                    })?;
                    row.push((coeff, index));
                }
                nnz += len;
                rows.push(row);
            }
            Ok((rows, nnz))
        };
        let (a, a_num_non_zero) = read()?;
        let (b, b_num_non_zero) = read()?;
        let (c, c_num_non_zero) = read()?;
        if !r.0.is_empty() {
            return Err(MatricesError::Trailing { bytes: r.0.len() });
        }
        let matrices = ConstraintMatrices {
            num_instance_variables: num_instance,
            num_witness_variables: num_witness,
            num_constraints,
            a_num_non_zero,
            b_num_non_zero,
            c_num_non_zero,
            a,
            b,
            c,
        };
        Ok(Prover { pk, matrices })
    }

    /// Proves `input` like [`prove`]; the witness is checked against the
    /// matrices first, so an input that does not satisfy the circuit is an
    /// error, never a proof that fails to verify.
    pub fn prove<R: RngCore + CryptoRng>(
        &self,
        input: &ProofInput<E::ScalarField>,
        rng: &mut R,
    ) -> Result<(Proof<E>, Statement<E::ScalarField>), ProveError> {
        input.check()?;
        self.prove_circuit(input.circuit(), rng)
    }

    /// Proves the circuit's witness (checked against the matrices first).
    pub(crate) fn prove_circuit<R: RngCore + CryptoRng>(
        &self,
        circuit: KycCircuit<E::ScalarField>,
        rng: &mut R,
    ) -> Result<(Proof<E>, Statement<E::ScalarField>), ProveError> {
        let statement = circuit.statement;
        let cs = ConstraintSystem::<E::ScalarField>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Prove {
            construct_matrices: false,
        });
        let failed = |reason: String| ProveError::Prover { reason };
        circuit
            .generate_constraints(cs.clone())
            .map_err(|e| failed(e.to_string()))?;
        let m = &self.matrices;
        let (num_instance, full) = {
            let p = cs
                .borrow()
                .ok_or_else(|| failed("constraint system still shared".into()))?;
            let full = [
                p.instance_assignment.as_slice(),
                p.witness_assignment.as_slice(),
            ]
            .concat();
            (p.num_instance_variables, full)
        };
        if num_instance != m.num_instance_variables
            || full.len() != m.num_instance_variables + m.num_witness_variables
        {
            return Err(failed(format!(
                "the witness has {num_instance} instance and {} witness variables, the circuit {} and {}",
                full.len() - num_instance,
                m.num_instance_variables,
                m.num_witness_variables
            )));
        }
        let dot = |row: &[(E::ScalarField, usize)]| -> E::ScalarField {
            row.iter().map(|(c, i)| *c * full[*i]).sum()
        };
        if let Some(i) =
            (0..m.num_constraints).find(|&i| dot(&m.a[i]) * dot(&m.b[i]) != dot(&m.c[i]))
        {
            return Err(failed(format!(
                "the witness does not satisfy constraint {i}"
            )));
        }
        let r = E::ScalarField::rand(rng);
        let s = E::ScalarField::rand(rng);
        let proof = Groth16::<E>::create_proof_with_reduction_and_matrices(
            &self.pk,
            r,
            s,
            m,
            m.num_instance_variables,
            m.num_constraints,
            &full,
        )
        .map_err(|e| failed(e.to_string()))?;
        Ok((proof, statement))
    }
}

/// First bytes of a matrices file ([`Prover::matrices_to_bytes`]).
pub const MATRICES_MAGIC: &[u8; 8] = b"AIPKYCM1";

/// Why a matrices file was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MatricesError {
    /// It does not start with [`MATRICES_MAGIC`].
    NotMatrices,
    /// It ends inside a count, index or scalar.
    Truncated,
    /// Bytes after the last row.
    Trailing {
        /// Bytes left over.
        bytes: usize,
    },
    /// A palette coefficient is not a canonical scalar.
    BadScalar,
    /// A palette index past the palette.
    BadCoefficient {
        /// The palette index.
        index: usize,
        /// Palette size.
        palette: usize,
    },
    /// A variable index past the circuit's variables.
    BadIndex {
        /// The variable index.
        index: usize,
        /// Variables in the circuit.
        vars: usize,
    },
    /// Its variable count is not the proving key's (another circuit or key).
    KeyMismatch {
        /// Variables the proving key expects.
        key: usize,
        /// Variables in the matrices.
        matrices: usize,
    },
}

impl core::fmt::Display for MatricesError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            MatricesError::NotMatrices => write!(f, "not a matrices file (no AIPKYCM1 header)"),
            MatricesError::Truncated => write!(f, "truncated"),
            MatricesError::Trailing { bytes } => write!(f, "{bytes} bytes after the last row"),
            MatricesError::BadScalar => write!(f, "a coefficient is not a canonical scalar"),
            MatricesError::BadCoefficient { index, palette } => {
                write!(f, "coefficient {index}, the palette has {palette}")
            }
            MatricesError::BadIndex { index, vars } => {
                write!(
                    f,
                    "variable index {index}, the circuit has {vars} variables"
                )
            }
            MatricesError::KeyMismatch { key, matrices } => write!(
                f,
                "written for a circuit of {matrices} variables, the proving key has {key}: \
                 they come from different setups or circuit versions (run `aip-kyc setup` again)"
            ),
        }
    }
}

impl std::error::Error for MatricesError {}

/// Reads little-endian counts and fixed-size fields off a byte slice.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], MatricesError> {
        if self.0.len() < n {
            return Err(MatricesError::Truncated);
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn u32(&mut self) -> Result<usize, MatricesError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }

    fn u64(&mut self) -> Result<usize, MatricesError> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        usize::try_from(u64::from_le_bytes(a)).map_err(|_| MatricesError::Truncated)
    }
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
    #[allow(clippy::type_complexity)]
    fn kyc_prove(
        pk: &ProvingKey<Self>,
        input: &ProofInput<Self::ScalarField>,
        rng: &mut rand_chacha::ChaCha20Rng,
    ) -> Result<(Proof<Self>, Statement<Self::ScalarField>), ProveError>;
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
    /// [`num_constraints`] on this curve's scalar field.
    fn kyc_constraints() -> usize;
    /// [`Prover::new`] then [`Prover::matrices_to_bytes`]: the matrices file
    /// `aip-kyc setup` writes.
    fn kyc_matrices_bytes(pk: &ProvingKey<Self>) -> Vec<u8>;
    /// [`Prover::from_parts`] then [`Prover::prove`].
    #[allow(clippy::type_complexity)]
    fn kyc_prove_with_matrices(
        pk: ProvingKey<Self>,
        matrices: &[u8],
        input: &ProofInput<Self::ScalarField>,
        rng: &mut rand_chacha::ChaCha20Rng,
    ) -> Result<Result<(Proof<Self>, Statement<Self::ScalarField>), ProveError>, MatricesError>;
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
                input: &ProofInput<Self::ScalarField>,
                rng: &mut rand_chacha::ChaCha20Rng,
            ) -> Result<(Proof<Self>, Statement<Self::ScalarField>), ProveError> {
                prove(pk, input, rng)
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
            fn kyc_constraints() -> usize {
                num_constraints::<Self::ScalarField>()
            }
            fn kyc_matrices_bytes(pk: &ProvingKey<Self>) -> Vec<u8> {
                Prover::new(pk.clone()).matrices_to_bytes()
            }
            fn kyc_prove_with_matrices(
                pk: ProvingKey<Self>,
                matrices: &[u8],
                input: &ProofInput<Self::ScalarField>,
                rng: &mut rand_chacha::ChaCha20Rng,
            ) -> Result<Result<(Proof<Self>, Statement<Self::ScalarField>), ProveError>, MatricesError>
            {
                Ok(Prover::from_parts(pk, matrices)?.prove(input, rng))
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
