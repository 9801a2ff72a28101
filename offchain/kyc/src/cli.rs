#![allow(missing_docs)] // clap doc comments are the help text
//! Command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Private KYC and AML for AIPCHAIN: the provider keeps a Merkle tree of
/// credentials (identity commitment, identifier, expiry) and a revocation set;
/// the compliance role keeps a sanctions set; all publish roots to the
/// zk-verifier contract. A user proves, for their address and without
/// revealing which identity, that their credential is in the tree, unexpired,
/// and that they are neither sanctioned nor revoked (one Groth16 proof).
#[derive(Debug, Parser)]
#[command(name = "aip-kyc", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The curve the keys and proofs are for. The chain verifies BLS12-381;
/// BN254 exists for the gas comparison with a pure-wasm verifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Curve {
    #[default]
    #[value(name = "bls12-381")]
    Bls12_381,
    #[value(name = "bn254")]
    Bn254,
}

impl Curve {
    pub fn name(self) -> &'static str {
        match self {
            Curve::Bls12_381 => "bls12-381",
            Curve::Bn254 => "bn254",
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Trusted setup: write proving.key, verifying.key and verifying_key.hex into a
    /// folder. SINGLE PARTY: whoever runs this could forge proofs; production keys
    /// must come from a multi-party ceremony.
    Setup {
        /// Output folder.
        #[arg(long)]
        out_dir: PathBuf,
        #[arg(long, value_enum, default_value_t)]
        curve: Curve,
        /// Deterministic randomness, for tests and benchmarks only (insecure).
        #[arg(long)]
        insecure_seed: Option<u64>,
        /// Overwrite existing key files.
        #[arg(long)]
        force: bool,
    },
    /// Provider side: the identity (credential) tree.
    Tree {
        #[command(subcommand)]
        command: TreeCommand,
    },
    /// Compliance and provider side: a sanctions or revocation set.
    Set {
        #[command(subcommand)]
        command: SetCommand,
    },
    /// User side: identities.
    Identity {
        #[command(subcommand)]
        command: IdentityCommand,
    },
    /// User side: prove, for one address, that the credential is in the tree,
    /// unexpired at `--valid-until`, and its identifier in neither set. Prints the
    /// proof and the zk-verifier `register` message as JSON.
    Prove(ProveArgs),
    /// Check a proof file against a verifying key (what the contract will do).
    Verify {
        #[arg(long)]
        verifying_key: PathBuf,
        /// The JSON written by `prove`.
        #[arg(long)]
        proof: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum TreeCommand {
    /// Create an empty tree file.
    New {
        #[arg(long)]
        tree: PathBuf,
        #[arg(long, value_enum, default_value_t)]
        curve: Curve,
        #[arg(long)]
        force: bool,
    },
    /// Issue a credential: append the leaf `Poseidon(commitment, identifier,
    /// expiry)`, write the credential file for the user, print the leaf index and
    /// the new root.
    Add {
        #[arg(long)]
        tree: PathBuf,
        /// The user's commitment, 64 hex digits (`identity new` prints it).
        #[arg(long)]
        commitment: String,
        /// The person's document reference (hashed into the identifier the
        /// sanctions and revocation sets hold), e.g. `passport:DE:C01X00T47`.
        #[arg(long)]
        reference: String,
        /// Expiry, unix seconds.
        #[arg(long)]
        expiry: u64,
        /// Where to write the credential file the user proves with.
        #[arg(long)]
        credential_out: PathBuf,
        #[arg(long)]
        force: bool,
    },
    /// Print the root to publish (`publish_root` on the zk-verifier).
    Root {
        #[arg(long)]
        tree: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum SetCommand {
    /// Create an empty set file.
    New {
        #[arg(long)]
        set: PathBuf,
        #[arg(long, value_enum, default_value_t)]
        curve: Curve,
        #[arg(long)]
        force: bool,
    },
    /// Add document references (hashed to identifiers); prints the new root.
    Add {
        #[arg(long)]
        set: PathBuf,
        #[arg(required = true)]
        references: Vec<String>,
    },
    /// Remove document references; prints the new root.
    Remove {
        #[arg(long)]
        set: PathBuf,
        #[arg(required = true)]
        references: Vec<String>,
    },
    /// Print the root to publish (`publish_sanctions_root` or
    /// `publish_revocation_root` on the zk-verifier).
    Root {
        #[arg(long)]
        set: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum IdentityCommand {
    /// Create a random identity file (keep it secret); prints its commitment,
    /// which goes to the provider.
    New {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, value_enum, default_value_t)]
        curve: Curve,
        /// Deterministic identity, for tests only (insecure).
        #[arg(long)]
        insecure_seed: Option<u64>,
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Args)]
pub struct ProveArgs {
    /// The identity file from `identity new`.
    #[arg(long)]
    pub identity: PathBuf,
    /// The credential file from the provider (`tree add`).
    #[arg(long)]
    pub credential: PathBuf,
    /// The provider's tree file (the leaves are public).
    #[arg(long)]
    pub tree: PathBuf,
    /// The compliance role's sanctions set file (its root must be the one on chain).
    #[arg(long)]
    pub sanctions: PathBuf,
    /// The provider's revocation set file.
    #[arg(long)]
    pub revocations: PathBuf,
    /// The registration's end, unix seconds; default the credential's expiry.
    /// Earlier values reveal less about the expiry.
    #[arg(long)]
    pub valid_until: Option<u64>,
    /// proving.key from `setup`.
    #[arg(long)]
    pub proving_key: PathBuf,
    /// The address that will send `register`: the proof is bound to it.
    #[arg(long)]
    pub address: String,
    /// Chain id of the zk-verifier (with --contract).
    #[arg(long)]
    pub chain_id: Option<String>,
    /// Address of the zk-verifier contract (with --chain-id).
    #[arg(long)]
    pub contract: Option<String>,
    /// Or the external nullifier from the contract's `config` query (64 hex digits).
    #[arg(long, conflicts_with_all = ["chain_id", "contract"])]
    pub external_nullifier: Option<String>,
    /// Also write the JSON to this file.
    #[arg(long)]
    pub out: Option<PathBuf>,
}
