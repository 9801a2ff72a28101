//! `aip-kyc`: the command-line side of AIPCHAIN's private KYC (circuit and
//! prover in `zk-kyc`, verifier contract `zk-verifier`).
//!
//! Files (JSON, field elements as 64 hex digits, little-endian):
//! - tree file (provider): `{curve, depth, leaves: [commitment...]}`; public;
//! - identity file (user): `{curve, secret, trapdoor, commitment}`; secret;
//! - `proving.key` (arkworks uncompressed), `verifying.key` (compressed) and
//!   `verifying_key.hex` (the same bytes as hex, for `set_verifying_key`);
//! - proof file: the proof, the statement and the ready `register` message.

#![warn(missing_docs)]

pub mod cli;
#[allow(missing_docs)]
mod error;

use std::path::{Path, PathBuf};

use ark_groth16::VerifyingKey;
use rand::rngs::OsRng;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};
use serde_json::json;
use zk_kyc::prover::{self, Identity, KycCurve};
use zk_kyc::{IdentityTree, PoseidonField, Statement, DEPTH};

use crate::cli::{Cli, Command, Curve, IdentityCommand, ProveArgs, TreeCommand};
pub use crate::error::Error;

/// The provider's tree file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeFile {
    /// `bls12-381` or `bn254`.
    pub curve: String,
    /// Always [`DEPTH`].
    pub depth: u32,
    /// Commitments in leaf order.
    pub leaves: Vec<String>,
}

/// A user's identity file. Whoever holds it can register once in that user's name.
#[derive(Debug, Clone, Serialize, Deserialize)]
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

/// What `prove` writes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofFile {
    /// `bls12-381` or `bn254`.
    pub curve: String,
    /// The address the proof is bound to.
    pub address: String,
    /// Compressed Groth16 proof A|B|C, hex.
    pub proof: String,
    /// The root the proof is against.
    pub root: String,
    /// `Poseidon(secret, external_nullifier)`.
    pub nullifier_hash: String,
    /// The verifier's scope.
    pub external_nullifier: String,
    /// The address hash.
    pub signal: String,
    /// The circuit's single public input.
    pub public_input: String,
    /// The zk-verifier execute message to send from `address`.
    pub register: serde_json::Value,
}

/// Runs one command; returns what to print.
pub fn run(cli: Cli) -> Result<String, Error> {
    match cli.command {
        Command::Setup {
            out_dir,
            curve,
            insecure_seed,
            force,
        } => match curve {
            Curve::Bls12_381 => setup::<ark_bls12_381::Bls12_381>(&out_dir, insecure_seed, force),
            Curve::Bn254 => setup::<ark_bn254::Bn254>(&out_dir, insecure_seed, force),
        },
        Command::Tree { command } => match command {
            TreeCommand::New { tree, curve, force } => tree_new(&tree, curve, force),
            TreeCommand::Add { tree, commitments } => match read_tree_curve(&tree)? {
                Curve::Bls12_381 => tree_add::<ark_bls12_381::Fr>(&tree, &commitments),
                Curve::Bn254 => tree_add::<ark_bn254::Fr>(&tree, &commitments),
            },
            TreeCommand::Root { tree } => match read_tree_curve(&tree)? {
                Curve::Bls12_381 => Ok(hex_fr(load_tree::<ark_bls12_381::Fr>(&tree)?.root())),
                Curve::Bn254 => Ok(hex_fr(load_tree::<ark_bn254::Fr>(&tree)?.root())),
            },
        },
        Command::Identity {
            command:
                IdentityCommand::New {
                    out,
                    curve,
                    insecure_seed,
                    force,
                },
        } => match curve {
            Curve::Bls12_381 => {
                identity_new::<ark_bls12_381::Fr>(&out, curve, insecure_seed, force)
            }
            Curve::Bn254 => identity_new::<ark_bn254::Fr>(&out, curve, insecure_seed, force),
        },
        Command::Prove(args) => {
            let id: IdentityFile = read_json(&args.identity, "identity")?;
            match parse_curve(&args.identity, &id.curve)? {
                Curve::Bls12_381 => prove::<ark_bls12_381::Bls12_381>(&args, Curve::Bls12_381),
                Curve::Bn254 => prove::<ark_bn254::Bn254>(&args, Curve::Bn254),
            }
        }
        Command::Verify {
            verifying_key,
            proof,
        } => {
            let p: ProofFile = read_json(&proof, "proof")?;
            let ok = match parse_curve(&proof, &p.curve)? {
                Curve::Bls12_381 => verify::<ark_bls12_381::Bls12_381>(&verifying_key, &proof, &p)?,
                Curve::Bn254 => verify::<ark_bn254::Bn254>(&verifying_key, &proof, &p)?,
            };
            Ok(if ok { "valid" } else { "INVALID" }.to_string())
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn check_new(path: &Path, force: bool) -> Result<(), Error> {
    if path.exists() && !force {
        return Err(Error::Exists {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    std::fs::write(path, bytes).map_err(io(path))
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), Error> {
    let mut text = serde_json::to_string_pretty(value).expect("plain data serializes");
    text.push('\n');
    write(path, text.as_bytes())
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path, what: &'static str) -> Result<T, Error> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    serde_json::from_str(&text).map_err(|source| Error::Json {
        path: path.to_path_buf(),
        what,
        source,
    })
}

fn parse_curve(path: &Path, name: &str) -> Result<Curve, Error> {
    match name {
        "bls12-381" => Ok(Curve::Bls12_381),
        "bn254" => Ok(Curve::Bn254),
        other => Err(Error::CurveMismatch {
            path: path.to_path_buf(),
            found: other.to_string(),
            expected: "bls12-381 or bn254".into(),
        }),
    }
}

fn expect_curve(path: &Path, name: &str, curve: Curve) -> Result<(), Error> {
    if name != curve.name() {
        return Err(Error::CurveMismatch {
            path: path.to_path_buf(),
            found: name.to_string(),
            expected: curve.name().to_string(),
        });
    }
    Ok(())
}

/// 64 hex digits (little-endian) of a field element.
pub fn hex_fr<F: PoseidonField>(x: F) -> String {
    hex::encode(zk_kyc::fr_to_bytes(x))
}

/// Parses 64 hex digits (little-endian) into a field element.
pub fn parse_fr<F: PoseidonField>(what: &str, value: &str) -> Result<F, Error> {
    let bad = || Error::Scalar {
        what: what.to_string(),
        value: value.to_string(),
    };
    let bytes = hex::decode(value.trim().trim_start_matches("0x")).map_err(|_| bad())?;
    zk_kyc::fr_from_bytes(&bytes).ok_or_else(bad)
}

fn rng(seed: Option<u64>) -> ChaCha20Rng {
    match seed {
        Some(s) => ChaCha20Rng::seed_from_u64(s),
        None => ChaCha20Rng::from_rng(OsRng).expect("the OS has randomness"),
    }
}

/// The key files `setup` writes into `dir`.
pub fn key_paths(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    (
        dir.join("proving.key"),
        dir.join("verifying.key"),
        dir.join("verifying_key.hex"),
    )
}

fn setup<E>(dir: &Path, seed: Option<u64>, force: bool) -> Result<String, Error>
where
    E: KycCurve,
    E::ScalarField: PoseidonField,
{
    let (pk_path, vk_path, vk_hex) = key_paths(dir);
    for p in [&pk_path, &vk_path, &vk_hex] {
        check_new(p, force)?;
    }
    let mut rng = rng(seed);
    let (pk, vk) = E::kyc_setup(&mut rng);
    let pk_bytes = E::kyc_write_proving_key(&pk);
    let vk_bytes = prover::to_bytes(&vk);
    write(&pk_path, &pk_bytes)?;
    write(&vk_path, &vk_bytes)?;
    write(&vk_hex, (hex::encode(&vk_bytes) + "\n").as_bytes())?;
    Ok(format!(
        "wrote {} ({} bytes), {} ({} bytes), {}\n\
         WARNING: single-party setup: whoever ran it can forge proofs. Production keys need a multi-party ceremony.",
        pk_path.display(),
        pk_bytes.len(),
        vk_path.display(),
        vk_bytes.len(),
        vk_hex.display()
    ))
}

fn read_tree_curve(path: &Path) -> Result<Curve, Error> {
    let t: TreeFile = read_json(path, "tree")?;
    parse_curve(path, &t.curve)
}

/// Loads a tree file.
pub fn load_tree<F: PoseidonField>(path: &Path) -> Result<IdentityTree<F>, Error> {
    let t: TreeFile = read_json(path, "tree")?;
    let leaves = t
        .leaves
        .iter()
        .enumerate()
        .map(|(i, l)| parse_fr(&format!("{}: leaf {i}", path.display()), l))
        .collect::<Result<Vec<F>, _>>()?;
    Ok(IdentityTree::from_leaves(leaves)?)
}

fn save_tree<F: PoseidonField>(
    path: &Path,
    curve: &str,
    tree: &IdentityTree<F>,
) -> Result<(), Error> {
    write_json(
        path,
        &TreeFile {
            curve: curve.to_string(),
            depth: DEPTH as u32,
            leaves: tree.leaves().iter().map(|l| hex_fr(*l)).collect(),
        },
    )
}

fn tree_new(path: &Path, curve: Curve, force: bool) -> Result<String, Error> {
    check_new(path, force)?;
    write_json(
        path,
        &TreeFile {
            curve: curve.name().to_string(),
            depth: DEPTH as u32,
            leaves: vec![],
        },
    )?;
    let root = match curve {
        Curve::Bls12_381 => hex_fr(IdentityTree::<ark_bls12_381::Fr>::new().root()),
        Curve::Bn254 => hex_fr(IdentityTree::<ark_bn254::Fr>::new().root()),
    };
    Ok(format!("created {} (empty root {root})", path.display()))
}

fn tree_add<F: PoseidonField>(path: &Path, commitments: &[String]) -> Result<String, Error> {
    let file: TreeFile = read_json(path, "tree")?;
    let mut tree = load_tree::<F>(path)?;
    let mut out = String::new();
    for c in commitments {
        let x: F = parse_fr("commitment", c)?;
        if let Some(index) = tree.position(x) {
            return Err(Error::Duplicate {
                commitment: c.clone(),
                index,
            });
        }
        let index = tree.insert(x)?;
        out.push_str(&format!("leaf {index}: {c}\n"));
    }
    save_tree(path, &file.curve, &tree)?;
    out.push_str(&format!("root {}", hex_fr(tree.root())));
    Ok(out)
}

fn identity_new<F: PoseidonField>(
    path: &Path,
    curve: Curve,
    seed: Option<u64>,
    force: bool,
) -> Result<String, Error> {
    check_new(path, force)?;
    let mut rng = rng(seed);
    let id = Identity::<F>::random(&mut rng);
    let file = IdentityFile {
        curve: curve.name().to_string(),
        secret: hex_fr(id.secret),
        trapdoor: hex_fr(id.trapdoor),
        commitment: hex_fr(id.commitment()),
    };
    write_json(path, &file)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
    Ok(file.commitment)
}

fn load_identity<F: PoseidonField>(path: &Path, curve: Curve) -> Result<Identity<F>, Error> {
    let f: IdentityFile = read_json(path, "identity")?;
    expect_curve(path, &f.curve, curve)?;
    Ok(Identity {
        secret: parse_fr("identity secret", &f.secret)?,
        trapdoor: parse_fr("identity trapdoor", &f.trapdoor)?,
    })
}

fn prove<E>(args: &ProveArgs, curve: Curve) -> Result<String, Error>
where
    E: KycCurve,
    E::ScalarField: PoseidonField,
{
    let id = load_identity::<E::ScalarField>(&args.identity, curve)?;
    let t: TreeFile = read_json(&args.tree, "tree")?;
    expect_curve(&args.tree, &t.curve, curve)?;
    let tree = load_tree::<E::ScalarField>(&args.tree)?;
    let commitment = id.commitment();
    let index = tree.position(commitment).ok_or_else(|| Error::NotInTree {
        commitment: hex_fr(commitment),
        tree: args.tree.clone(),
    })?;
    let path = tree.path(index)?;
    let ext: E::ScalarField = match (&args.external_nullifier, &args.chain_id, &args.contract) {
        (Some(e), _, _) => parse_fr("external nullifier", e)?,
        (None, Some(chain), Some(contract)) => zk_kyc::external_nullifier(chain, contract),
        _ => return Err(Error::Scope),
    };
    let signal = zk_kyc::signal(&args.address);
    let bytes = std::fs::read(&args.proving_key).map_err(io(&args.proving_key))?;
    let pk = E::kyc_read_proving_key(&bytes).map_err(|source| Error::Key {
        path: args.proving_key.clone(),
        what: "proving key",
        source,
    })?;
    let mut rng = rng(None);
    let (proof, st) = E::kyc_prove(&pk, &id, &path, ext, signal, &mut rng);
    let proof_hex = hex::encode(prover::to_bytes(&proof));
    let file = ProofFile {
        curve: curve.name().to_string(),
        address: args.address.clone(),
        proof: proof_hex.clone(),
        root: hex_fr(st.root),
        nullifier_hash: hex_fr(st.nullifier_hash),
        external_nullifier: hex_fr(st.external_nullifier),
        signal: hex_fr(st.signal),
        public_input: hex_fr(st.public_input()),
        register: json!({"register": {
            "proof": proof_hex,
            "root": hex_fr(st.root),
            "nullifier_hash": hex_fr(st.nullifier_hash),
        }}),
    };
    if let Some(out) = &args.out {
        write_json(out, &file)?;
    }
    Ok(serde_json::to_string_pretty(&file).expect("plain data serializes"))
}

fn verify<E>(vk_path: &Path, proof_path: &Path, p: &ProofFile) -> Result<bool, Error>
where
    E: KycCurve,
    E::ScalarField: PoseidonField,
{
    let bytes = std::fs::read(vk_path).map_err(io(vk_path))?;
    let vk: VerifyingKey<E> = prover::from_bytes(&bytes).map_err(|source| Error::Key {
        path: vk_path.to_path_buf(),
        what: "verifying key",
        source,
    })?;
    let proof_bytes = hex::decode(&p.proof).map_err(|_| Error::Scalar {
        what: format!("{}: proof", proof_path.display()),
        value: p.proof.clone(),
    })?;
    let proof = match prover::from_bytes(&proof_bytes) {
        Ok(p) => p,
        Err(_) => return Ok(false),
    };
    let st = Statement {
        root: parse_fr("root", &p.root)?,
        nullifier_hash: parse_fr("nullifier_hash", &p.nullifier_hash)?,
        external_nullifier: parse_fr("external_nullifier", &p.external_nullifier)?,
        // recomputed: the proof must be for the address it names
        signal: zk_kyc::signal(&p.address),
    };
    Ok(E::kyc_verify(&vk, &proof, &st))
}
