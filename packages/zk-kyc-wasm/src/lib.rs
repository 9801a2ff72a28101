//! AIPCHAIN's KYC prover for the browser.
//!
//! The `zk-kyc` circuit and Groth16 prover (BLS12-381, the curve the
//! `zk-verifier` contract checks) compiled to WebAssembly with wasm-bindgen,
//! so that a user's identity secret is created and used on their own device:
//!
//! - [`identity_new`]: a fresh identity `(secret, trapdoor)` and its
//!   commitment, as the JSON `aip-kyc identity new` writes. The page keeps it
//!   in the browser's storage and gives only the commitment to the KYC provider.
//! - [`Prover`]: loads the proving key once (`aip-kyc setup`'s `proving.key`),
//!   then [`Prover::prove`] takes the identity, the credential the provider
//!   issued and the provider's public tree and list files (the same JSON files
//!   `aip-kyc prove` reads), computes the Merkle path and the two
//!   non-membership witnesses itself (`zk_kyc::witness`, as `aip-kyc prove`
//!   does), proves, and returns the proof file of
//!   `aip-kyc prove`, whose `register` field is the zk-verifier message.
//!
//! Everything is plain Rust ([`prove_request`], [`new_identity`]) behind thin
//! wasm-bindgen wrappers, so the native tests exercise the same code.
#![cfg_attr(test, allow(clippy::unwrap_used))] // tests report failures by panicking

use ark_bls12_381::{Bls12_381, Fr};
use ark_groth16::ProvingKey;
use rand::rngs::OsRng;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use zk_kyc::prover::{Identity, KycCurve, ProveError};
use zk_kyc::witness::{Scope, WitnessError, WitnessFiles};

/// The only curve the browser proves on: the one the zk-verifier contract uses.
pub const CURVE: &str = "bls12-381";

/// The files, the same types `aip-kyc` reads and writes.
pub use zk_kyc::files::{hex_fr, CredentialFile, IdentityFile, ProofFile, SetFile, TreeFile};

/// Everything one proof needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProveRequest {
    /// The user's secret identity (`aip-kyc` identity file).
    pub identity: IdentityFile,
    /// The provider's credential for it.
    pub credential: CredentialFile,
    /// The provider's identity tree (the leaf's path is taken from it).
    pub tree: TreeFile,
    /// The compliance role's sanctions set (non-membership proven).
    pub sanctions: SetFile,
    /// The provider's revocation set (non-membership proven).
    pub revocations: SetFile,
    /// The registering account: the proof is bound to it.
    pub address: String,
    /// The chain id and zk-verifier address: the nullifier's scope.
    pub chain_id: String,
    /// The zk-verifier contract address (bech32).
    pub contract: String,
    /// The registration's end; the credential's expiry when absent.
    #[serde(default)]
    pub valid_until: Option<u64>,
}

/// The stages [`prove_request`] reports, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Reading the files, the Merkle path and the two non-membership witnesses.
    Witness,
    /// Groth16 proving (the long part).
    Proving,
    /// The proof is made.
    Done,
}

impl Stage {
    /// The name the Web Worker posts.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Witness => "witness",
            Stage::Proving => "proving",
            Stage::Done => "done",
        }
    }
}

/// Why no proof was made; each message tells the user what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// A file is for another curve.
    Curve {
        /// The file.
        what: &'static str,
        /// The curve it is for.
        found: String,
    },
    /// A value is not 64 hex digits of a field element.
    Scalar {
        /// The field.
        what: String,
        /// The value given.
        value: String,
    },
    /// The credential's leaf is not in the provider's tree.
    NotInTree {
        /// The leaf, hex.
        leaf: String,
    },
    /// The credential does not belong to this identity.
    WrongIdentity,
    /// The identifier is in a list.
    Listed {
        /// The list (sanctions or revocations).
        list: &'static str,
    },
    /// A list file is malformed.
    Set {
        /// The list.
        list: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The tree file is malformed.
    Tree {
        /// What is wrong.
        reason: String,
    },
    /// The proving key could not be read.
    Key {
        /// What is wrong.
        reason: String,
    },
    /// The request is not valid JSON of the expected shape.
    Json {
        /// What is wrong.
        reason: String,
    },
    /// The circuit cannot be satisfied, or arkworks failed.
    Prove(ProveError),
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::Curve { what, found } => write!(
                f,
                "the {what} is for curve {found}, the browser prover needs {CURVE}"
            ),
            Error::Scalar { what, value } => write!(
                f,
                "{what}: {value:?} is not 64 hex digits of a field element"
            ),
            Error::NotInTree { leaf } => write!(
                f,
                "the credential (leaf {leaf}) is not in the provider's tree: ask the provider to issue it, or reload the tree"
            ),
            Error::WrongIdentity => write!(
                f,
                "the credential was issued for another identity (its leaf is not Poseidon(commitment, identifier, expiry) of this identity)"
            ),
            Error::Listed { list } => write!(
                f,
                "the credential's identifier is on the {list}: no proof of non-membership exists"
            ),
            Error::Set { list, reason } => write!(f, "the {list} file is invalid: {reason}"),
            Error::Tree { reason } => write!(f, "the provider's tree file is invalid: {reason}"),
            Error::Key { reason } => write!(f, "the proving key could not be read: {reason}"),
            Error::Json { reason } => write!(f, "malformed prove request: {reason}"),
            Error::Prove(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {}

/// Parses 64 hex digits (little-endian) into a field element.
pub fn parse_fr(what: &str, value: &str) -> Result<Fr, Error> {
    zk_kyc::files::fr_from_hex(value).ok_or_else(|| Error::Scalar {
        what: what.to_string(),
        value: value.to_string(),
    })
}

fn expect_curve(what: &'static str, found: &str) -> Result<(), Error> {
    if found != CURVE {
        return Err(Error::Curve {
            what,
            found: found.to_string(),
        });
    }
    Ok(())
}

/// A fresh identity from `rng`.
pub fn new_identity(rng: &mut ChaCha20Rng) -> IdentityFile {
    let id = Identity::<Fr>::random(rng);
    IdentityFile {
        curve: CURVE.to_string(),
        secret: hex_fr(id.secret),
        trapdoor: hex_fr(id.trapdoor),
        commitment: hex_fr(id.commitment()),
    }
}

/// Parses an identity and checks that its commitment matches its secrets.
pub fn parse_identity(file: &IdentityFile) -> Result<Identity<Fr>, Error> {
    expect_curve("identity", &file.curve)?;
    zk_kyc::witness::identity_from_file(file).map_err(Error::from)
}

impl From<WitnessError> for Error {
    fn from(e: WitnessError) -> Error {
        match e {
            WitnessError::Curve { file, found, .. } => Error::Curve {
                what: file.name(),
                found,
            },
            WitnessError::Scalar { what, value, .. } => Error::Scalar { what, value },
            WitnessError::WrongIdentity => Error::WrongIdentity,
            WitnessError::NotInTree { leaf } => Error::NotInTree { leaf },
            WitnessError::Tree(e) => Error::Tree {
                reason: e.to_string(),
            },
            WitnessError::Listed { list } => Error::Listed { list: list.name() },
            WitnessError::Set { list, source } => Error::Set {
                list: list.name(),
                reason: source.to_string(),
            },
        }
    }
}

/// Reads a proving key written by `aip-kyc setup` (arkworks, uncompressed).
pub fn read_proving_key(bytes: &[u8]) -> Result<ProvingKey<Bls12_381>, Error> {
    Bls12_381::kyc_read_proving_key(bytes).map_err(|e| Error::Key {
        reason: e.to_string(),
    })
}

/// Builds the witnesses for `req`, proves with `pk`, and returns the proof
/// file. `progress` is called at each [`Stage`].
pub fn prove_request(
    pk: &ProvingKey<Bls12_381>,
    req: &ProveRequest,
    rng: &mut ChaCha20Rng,
    mut progress: impl FnMut(Stage),
) -> Result<ProofFile, Error> {
    progress(Stage::Witness);
    let files = WitnessFiles {
        identity: &req.identity,
        credential: &req.credential,
        tree: &req.tree,
        sanctions: &req.sanctions,
        revocations: &req.revocations,
    };
    let scope = Scope {
        external_nullifier: zk_kyc::external_nullifier::<Fr>(&req.chain_id, &req.contract),
        signal: zk_kyc::signal::<Fr>(&req.address),
        valid_until: req.valid_until,
    };
    let input = zk_kyc::witness::proof_input(CURVE, files, scope)?;
    // Refuse an unsatisfiable input with its reason before the long part.
    input.check().map_err(Error::Prove)?;
    progress(Stage::Proving);
    let (proof, st) = Bls12_381::kyc_prove(pk, &input, rng).map_err(Error::Prove)?;
    let file = ProofFile::new(CURVE, &req.address, &proof, &st);
    progress(Stage::Done);
    Ok(file)
}

fn os_rng() -> Result<ChaCha20Rng, JsError> {
    ChaCha20Rng::from_rng(OsRng).map_err(|e| JsError::new(&format!("no randomness: {e}")))
}

fn js_err(e: Error) -> JsError {
    JsError::new(&e.to_string())
}

/// A fresh identity (JSON of [`IdentityFile`]), from the browser's `crypto.getRandomValues`.
#[wasm_bindgen(js_name = identityNew)]
pub fn identity_new() -> Result<String, JsError> {
    let id = new_identity(&mut os_rng()?);
    Ok(serde_json::to_string(&id).expect("plain data serializes"))
}

/// Checks an identity (JSON) and returns its commitment.
#[wasm_bindgen(js_name = identityCommitment)]
pub fn identity_commitment(identity_json: &str) -> Result<String, JsError> {
    let file: IdentityFile = serde_json::from_str(identity_json).map_err(|e| {
        js_err(Error::Json {
            reason: e.to_string(),
        })
    })?;
    parse_identity(&file).map_err(js_err)?;
    Ok(file.commitment)
}

/// The scope of a verifier: `external_nullifier(chain_id, contract)` as hex
/// (equals the zk-verifier's `config.external_nullifier`).
#[wasm_bindgen(js_name = externalNullifier)]
pub fn external_nullifier_hex(chain_id: &str, contract: &str) -> String {
    hex_fr(zk_kyc::external_nullifier::<Fr>(chain_id, contract))
}

/// A loaded proving key.
#[wasm_bindgen]
pub struct Prover {
    pk: ProvingKey<Bls12_381>,
}

#[wasm_bindgen]
impl Prover {
    /// Reads `proving.key` (as `aip-kyc setup` writes it).
    #[wasm_bindgen(constructor)]
    pub fn new(proving_key: &[u8]) -> Result<Prover, JsError> {
        Ok(Prover {
            pk: read_proving_key(proving_key).map_err(js_err)?,
        })
    }

    /// Proves a [`ProveRequest`] (JSON); calls `progress(stage)` with
    /// `"witness"`, `"proving"`, `"done"`; returns the [`ProofFile`] JSON.
    pub fn prove(
        &self,
        request_json: &str,
        progress: &js_sys::Function,
    ) -> Result<String, JsError> {
        let req: ProveRequest = serde_json::from_str(request_json).map_err(|e| {
            js_err(Error::Json {
                reason: e.to_string(),
            })
        })?;
        let mut rng = os_rng()?;
        let file = prove_request(&self.pk, &req, &mut rng, |stage| {
            let _ = progress.call1(&JsValue::NULL, &JsValue::from_str(stage.name()));
        })
        .map_err(js_err)?;
        Ok(serde_json::to_string(&file).expect("plain data serializes"))
    }
}

#[cfg(test)]
mod tests;
