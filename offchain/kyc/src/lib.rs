//! `aip-kyc`: the command-line side of AIPCHAIN's private KYC (circuit and
//! prover in `zk-kyc`, verifier contract `zk-verifier`).
//!
//! Files (JSON, field elements as 64 hex digits, little-endian):
//! - tree file (provider): `{curve, depth, leaves: [credential leaf...]}`; public;
//! - set file (compliance: sanctions; provider: revocations):
//!   `{curve, depth, identifiers: [...]}`, sorted; its root goes on chain, the
//!   file itself to the users (it must not list low-entropy references in clear);
//! - identity file (user): `{curve, secret, trapdoor, commitment}`; secret;
//! - credential file (provider → user): `{curve, identifier, expiry, leaf}`;
//! - `proving.key` (arkworks uncompressed), `verifying.key` (compressed) and
//!   `verifying_key.hex` (the same bytes as hex, for `set_verifying_key`);
//! - proof file: the proof, the statement and the ready `register` message.
#![cfg_attr(test, allow(clippy::unwrap_used))] // tests report failures by panicking
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
use zk_kyc::prover::{self, Identity, KycCurve};
use zk_kyc::witness::{Scope, WitnessError, WitnessFile, WitnessFiles};
use zk_kyc::{ExclusionSet, IdentityTree, PoseidonField, Statement, DEPTH, SET_DEPTH};

use crate::cli::{Cli, Command, Curve, IdentityCommand, ProveArgs, SetCommand, TreeCommand};
pub use crate::error::Error;

/// The files, shared with the browser prover (`zk-kyc-wasm`).
pub use zk_kyc::files::{hex_fr, CredentialFile, IdentityFile, ProofFile, SetFile, TreeFile};

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
            TreeCommand::Add {
                tree,
                commitment,
                reference,
                expiry,
                credential_out,
                force,
            } => {
                let issue = Issue {
                    commitment: &commitment,
                    reference: &reference,
                    expiry,
                    out: &credential_out,
                    force,
                };
                match read_tree_curve(&tree)? {
                    Curve::Bls12_381 => tree_add::<ark_bls12_381::Fr>(&tree, &issue),
                    Curve::Bn254 => tree_add::<ark_bn254::Fr>(&tree, &issue),
                }
            }
            TreeCommand::Root { tree } => match read_tree_curve(&tree)? {
                Curve::Bls12_381 => Ok(hex_fr(load_tree::<ark_bls12_381::Fr>(&tree)?.root())),
                Curve::Bn254 => Ok(hex_fr(load_tree::<ark_bn254::Fr>(&tree)?.root())),
            },
        },
        Command::Set { command } => set_command(command),
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

/// Parses 64 hex digits (little-endian) into a field element.
pub fn parse_fr<F: PoseidonField>(what: &str, value: &str) -> Result<F, Error> {
    zk_kyc::files::fr_from_hex(value).ok_or_else(|| Error::Scalar {
        what: what.to_string(),
        value: value.to_string(),
    })
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

/// The circuit's constraint matrices `setup` writes next to the proving key
/// (`prove` uses them when present: less work per proof).
pub fn matrices_path(proving_key: &Path) -> PathBuf {
    proving_key.with_file_name("circuit.matrices")
}

fn setup<E>(dir: &Path, seed: Option<u64>, force: bool) -> Result<String, Error>
where
    E: KycCurve,
    E::ScalarField: PoseidonField,
{
    let (pk_path, vk_path, vk_hex) = key_paths(dir);
    let m_path = matrices_path(&pk_path);
    for p in [&pk_path, &vk_path, &vk_hex, &m_path] {
        check_new(p, force)?;
    }
    let mut rng = rng(seed);
    let (pk, vk) = E::kyc_setup(&mut rng);
    let pk_bytes = E::kyc_write_proving_key(&pk);
    let vk_bytes = prover::to_bytes(&vk);
    write(&pk_path, &pk_bytes)?;
    write(&vk_path, &vk_bytes)?;
    write(&vk_hex, (hex::encode(&vk_bytes) + "\n").as_bytes())?;
    let m_bytes = E::kyc_matrices_bytes(&pk);
    write(&m_path, &m_bytes)?;
    Ok(format!(
        "circuit: {} R1CS constraints, 1 public input\n\
         wrote {} ({} bytes), {} ({} bytes), {}, {} ({} bytes: the circuit's matrices, prove uses them)\n\
         WARNING: single-party setup: whoever ran it can forge proofs. Production keys need a multi-party ceremony.",
        E::kyc_constraints(),
        pk_path.display(),
        pk_bytes.len(),
        vk_path.display(),
        vk_bytes.len(),
        vk_hex.display(),
        m_path.display(),
        m_bytes.len()
    ))
}

fn read_tree_curve(path: &Path) -> Result<Curve, Error> {
    let t: TreeFile = read_json(path, "tree")?;
    parse_curve(path, &t.curve)
}

/// Loads a tree file.
pub fn load_tree<F: PoseidonField>(path: &Path) -> Result<IdentityTree<F>, Error> {
    let t: TreeFile = read_json(path, "tree")?;
    zk_kyc::witness::tree_from_file(&t).map_err(|e| file_error(|_| path.to_path_buf(), e))
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

/// What `tree add` issues.
struct Issue<'a> {
    commitment: &'a str,
    reference: &'a str,
    expiry: u64,
    out: &'a Path,
    force: bool,
}

fn tree_add<F: PoseidonField>(path: &Path, issue: &Issue) -> Result<String, Error> {
    let file: TreeFile = read_json(path, "tree")?;
    let mut tree = load_tree::<F>(path)?;
    check_new(issue.out, issue.force)?;
    let commitment: F = parse_fr("commitment", issue.commitment)?;
    let identifier: F = zk_kyc::identifier(issue.reference);
    let leaf = zk_kyc::credential_leaf(commitment, identifier, issue.expiry);
    if let Some(index) = tree.position(leaf) {
        return Err(Error::Duplicate {
            commitment: issue.commitment.to_string(),
            index,
        });
    }
    let index = tree.insert(leaf)?;
    save_tree(path, &file.curve, &tree)?;
    write_json(
        issue.out,
        &CredentialFile {
            curve: file.curve.clone(),
            identifier: hex_fr(identifier),
            expiry: issue.expiry,
            leaf: hex_fr(leaf),
        },
    )?;
    Ok(format!(
        "leaf {index}: {}\nroot {}",
        hex_fr(leaf),
        hex_fr(tree.root())
    ))
}

fn set_command(command: SetCommand) -> Result<String, Error> {
    match command {
        SetCommand::New { set, curve, force } => {
            check_new(&set, force)?;
            write_json(
                &set,
                &SetFile {
                    curve: curve.name().to_string(),
                    depth: SET_DEPTH as u32,
                    identifiers: vec![],
                },
            )?;
            let root = match curve {
                Curve::Bls12_381 => hex_fr(zk_kyc::set::empty_root::<ark_bls12_381::Fr>()),
                Curve::Bn254 => hex_fr(zk_kyc::set::empty_root::<ark_bn254::Fr>()),
            };
            Ok(format!("created {} (empty root {root})", set.display()))
        }
        SetCommand::Add { set, references } => match read_set_curve(&set)? {
            Curve::Bls12_381 => set_edit::<ark_bls12_381::Fr>(&set, &references, true),
            Curve::Bn254 => set_edit::<ark_bn254::Fr>(&set, &references, true),
        },
        SetCommand::Remove { set, references } => match read_set_curve(&set)? {
            Curve::Bls12_381 => set_edit::<ark_bls12_381::Fr>(&set, &references, false),
            Curve::Bn254 => set_edit::<ark_bn254::Fr>(&set, &references, false),
        },
        SetCommand::Root { set } => match read_set_curve(&set)? {
            Curve::Bls12_381 => Ok(hex_fr(load_set::<ark_bls12_381::Fr>(&set)?.root())),
            Curve::Bn254 => Ok(hex_fr(load_set::<ark_bn254::Fr>(&set)?.root())),
        },
    }
}

fn read_set_curve(path: &Path) -> Result<Curve, Error> {
    let t: SetFile = read_json(path, "set")?;
    parse_curve(path, &t.curve)
}

/// Loads a set file.
pub fn load_set<F: PoseidonField>(path: &Path) -> Result<ExclusionSet<F>, Error> {
    let t: SetFile = read_json(path, "set")?;
    // The list's name only shows in `Listed`, which loading never gives.
    zk_kyc::witness::set_from_file(WitnessFile::Sanctions, &t)
        .map_err(|e| file_error(|_| path.to_path_buf(), e))
}

/// The CLI's error for a refusal of the shared file parsing, naming the file
/// (`path_of`) it is about.
fn file_error(path_of: impl Fn(WitnessFile) -> PathBuf, e: WitnessError) -> Error {
    match e {
        WitnessError::Curve {
            file,
            found,
            expected,
        } => Error::CurveMismatch {
            path: path_of(file),
            found,
            expected,
        },
        WitnessError::Scalar { file, what, value } => Error::Scalar {
            what: format!("{}: {what}", path_of(file).display()),
            value,
        },
        WitnessError::Tree(e) => Error::Tree(e),
        WitnessError::Listed { list } => Error::Listed {
            kind: list.name(),
            path: path_of(list),
        },
        WitnessError::Set { list, source } => Error::Set {
            path: path_of(list),
            source,
        },
        WitnessError::WrongIdentity => Error::WrongIdentity {
            credential: path_of(WitnessFile::Credential),
            identity: path_of(WitnessFile::Identity),
        },
        WitnessError::NotInTree { leaf } => Error::NotInTree {
            commitment: leaf,
            tree: path_of(WitnessFile::Tree),
        },
    }
}

fn set_edit<F: PoseidonField>(
    path: &Path,
    references: &[String],
    add: bool,
) -> Result<String, Error> {
    let file: SetFile = read_json(path, "set")?;
    let mut set = load_set::<F>(path)?;
    let mut out = String::new();
    for r in references {
        let id: F = zk_kyc::identifier(r);
        let changed = if add {
            set.insert(id).map_err(|source| Error::Set {
                path: path.to_path_buf(),
                source,
            })?
        } else {
            set.remove(id)
        };
        let verb = match (add, changed) {
            (true, true) => "added",
            (true, false) => "already listed",
            (false, true) => "removed",
            (false, false) => "not listed",
        };
        out.push_str(&format!("{verb}: {}\n", hex_fr(id)));
    }
    write_json(
        path,
        &SetFile {
            curve: file.curve,
            depth: SET_DEPTH as u32,
            identifiers: set.values().iter().map(|v| hex_fr(*v)).collect(),
        },
    )?;
    out.push_str(&format!("root {}", hex_fr(set.root())));
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

fn prove<E>(args: &ProveArgs, curve: Curve) -> Result<String, Error>
where
    E: KycCurve,
    E::ScalarField: PoseidonField,
{
    let identity: IdentityFile = read_json(&args.identity, "identity")?;
    let credential: CredentialFile = read_json(&args.credential, "credential")?;
    let tree: TreeFile = read_json(&args.tree, "tree")?;
    let sanctions: SetFile = read_json(&args.sanctions, "set")?;
    let revocations: SetFile = read_json(&args.revocations, "set")?;
    let external_nullifier: E::ScalarField =
        match (&args.external_nullifier, &args.chain_id, &args.contract) {
            (Some(e), _, _) => parse_fr("external nullifier", e)?,
            (None, Some(chain), Some(contract)) => zk_kyc::external_nullifier(chain, contract),
            _ => return Err(Error::Scope),
        };
    let files = WitnessFiles {
        identity: &identity,
        credential: &credential,
        tree: &tree,
        sanctions: &sanctions,
        revocations: &revocations,
    };
    let scope = Scope {
        external_nullifier,
        signal: zk_kyc::signal(&args.address),
        valid_until: args.valid_until,
    };
    let path_of = |f: WitnessFile| match f {
        WitnessFile::Identity => args.identity.clone(),
        WitnessFile::Credential => args.credential.clone(),
        WitnessFile::Tree => args.tree.clone(),
        WitnessFile::Sanctions => args.sanctions.clone(),
        WitnessFile::Revocations => args.revocations.clone(),
    };
    let input = zk_kyc::witness::proof_input(curve.name(), files, scope)
        .map_err(|e| file_error(path_of, e))?;
    let bytes = std::fs::read(&args.proving_key).map_err(io(&args.proving_key))?;
    let pk = E::kyc_read_proving_key(&bytes).map_err(|source| Error::Key {
        path: args.proving_key.clone(),
        what: "proving key",
        source,
    })?;
    let mut rng = rng(None);
    // With the circuit's matrices from `setup`, only the witness is synthesized.
    let m_path = matrices_path(&args.proving_key);
    let (proof, st) = match std::fs::read(&m_path) {
        Ok(m) => E::kyc_prove_with_matrices(pk, &m, &input, &mut rng).map_err(|source| {
            Error::Matrices {
                path: m_path.clone(),
                source,
            }
        })??,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => E::kyc_prove(&pk, &input, &mut rng)?,
        Err(e) => return Err(io(&m_path)(e)),
    };
    let file = ProofFile::new(curve.name(), &args.address, &proof, &st);
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
        identity_root: parse_fr("identity_root", &p.identity_root)?,
        sanctions_root: parse_fr("sanctions_root", &p.sanctions_root)?,
        revocation_root: parse_fr("revocation_root", &p.revocation_root)?,
        external_nullifier: parse_fr("external_nullifier", &p.external_nullifier)?,
        nullifier_hash: parse_fr("nullifier_hash", &p.nullifier_hash)?,
        // recomputed: the proof must be for the address it names
        signal: zk_kyc::signal(&p.address),
        valid_until: p.valid_until,
    };
    Ok(E::kyc_verify(&vk, &proof, &st))
}
