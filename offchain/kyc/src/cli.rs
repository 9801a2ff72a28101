#![allow(missing_docs)] // clap doc comments are the help text
//! Command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Private KYC for AIPCHAIN: the provider keeps a Merkle tree of identity
/// commitments and publishes its root to the zk-verifier contract; a user proves
/// membership (Groth16) for their address without revealing which identity.
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
    /// Provider side: the identity tree.
    Tree {
        #[command(subcommand)]
        command: TreeCommand,
    },
    /// User side: identities.
    Identity {
        #[command(subcommand)]
        command: IdentityCommand,
    },
    /// User side: prove that the identity is in the tree, for one address.
    /// Prints the proof and the zk-verifier `register` message as JSON.
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
    /// Append identity commitments (hex); prints each leaf index and the new root.
    Add {
        #[arg(long)]
        tree: PathBuf,
        /// Commitments, 64 hex digits each (`identity new` prints one).
        #[arg(required = true)]
        commitments: Vec<String>,
    },
    /// Print the root to publish (`publish_root` on the zk-verifier).
    Root {
        #[arg(long)]
        tree: PathBuf,
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
    /// The provider's tree file (the commitments are public).
    #[arg(long)]
    pub tree: PathBuf,
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
