use cosmwasm_std::StdError;
use thiserror::Error;

use crate::msg::RootKind;

#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),

    /// The caller lacks the role (`aip_types::auth`, the same message in every contract).
    #[error(transparent)]
    Unauthorized(#[from] aip_types::auth::Unauthorized),

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

    #[error("credential expired: the proof is valid until {valid_until}, block time is {now}; renew the credential with the provider and prove again")]
    CredentialExpired { valid_until: u64, now: u64 },

    #[error("unknown context {context}: it was never this verifier's (roots not published here, or a proof for another verifier or chain); prove against the current roots (query `roots`)")]
    UnknownContext { context: String },

    #[error("stale context {context}: its {replaced_by} was replaced at {replaced_at} and proofs against it were accepted until {accepted_until}; prove again against the current roots (query `roots`)")]
    StaleContext {
        context: String,
        replaced_by: RootKind,
        replaced_at: u64,
        accepted_until: u64,
    },

    #[error("{kind} {root} is already the current one")]
    RootAlreadyCurrent { kind: RootKind, root: String },

    #[error("grace_period must be at most {max} seconds, got {got}")]
    GracePeriodTooLong { max: u64, got: u64 },

    #[error("premium_max_age_days must be at least 1, got 0")]
    PremiumMaxAgeZero,

    #[error("nullifier {nullifier_hash} was already used by {account}: this identity has registered another account")]
    NullifierUsed {
        nullifier_hash: String,
        account: String,
    },

    #[error("proof rejected: it does not prove an unexpired, unsanctioned, unrevoked credential under context {context} for sender {sender} with nullifier {nullifier_hash} and valid_until {valid_until}")]
    InvalidProof {
        sender: String,
        context: String,
        nullifier_hash: String,
        valid_until: u64,
    },

    #[error("eligibilities: at most {max} accounts per query, got {got}; split the batch")]
    TooManyAccounts { max: usize, got: usize },

    #[error("eligibilities: account {index} ({account:?}) is not a valid address: {reason}")]
    InvalidAccount {
        index: usize,
        account: String,
        reason: String,
    },

    /// A migration refused by the shared guard (wrong contract, or a downgrade).
    #[error("{0}")]
    Migrate(#[from] aip_types::migrate::MigrateError),
}
