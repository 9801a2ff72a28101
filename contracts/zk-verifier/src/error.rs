use cosmwasm_std::StdError;
use thiserror::Error;

#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),

    #[error("{sender} may not {action}: only the {role} may")]
    Unauthorized {
        sender: String,
        action: String,
        role: String,
    },

    #[error("malformed {field}: expected 32 bytes encoding a BLS12-381 scalar below the modulus (little-endian), got {len} bytes")]
    MalformedScalar { field: String, len: usize },

    #[error("malformed proof: expected {expected} bytes (compressed A|B|C), got {got}")]
    ProofLength { expected: usize, got: usize },

    #[error("malformed proof: {reason}")]
    ProofPoints { reason: String },

    #[error("malformed verifying key: {reason}")]
    MalformedVerifyingKey { reason: String },

    #[error("the verifying key must have exactly {expected} public input(s), this one has {got}")]
    VerifyingKeyInputs { expected: usize, got: usize },

    #[error("no verifying key has been set")]
    NoVerifyingKey,

    #[error("no reputation contract has been configured")]
    NoReputationContract,

    #[error(
        "root {root} is neither the provider's current root nor one of the last {history} roots"
    )]
    UnknownRoot { root: String, history: u32 },

    #[error("root {root} is already the current root")]
    RootAlreadyCurrent { root: String },

    #[error("root_history must be between 0 and {max}, got {got}")]
    RootHistoryTooLong { max: u32, got: u32 },

    #[error("nullifier {nullifier_hash} was already used: this identity has registered")]
    NullifierUsed { nullifier_hash: String },

    #[error("proof rejected: it does not prove membership under root {root} for sender {sender} with nullifier {nullifier_hash}")]
    InvalidProof {
        sender: String,
        root: String,
        nullifier_hash: String,
    },
    /// A migration refused by the shared guard (wrong contract, or a downgrade).
    #[error("{0}")]
    Migrate(#[from] aip_types::migrate::MigrateError),
}
