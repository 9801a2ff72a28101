use cosmwasm_std::StdError;
use thiserror::Error;

use crate::msg::RootKind;

/// Why the verifier refused a call; every refusal leaves the state unchanged.
#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    /// A storage, serialization or address error.
    #[error("{0}")]
    Std(#[from] StdError),

    /// The caller lacks the role (`aip_types::auth`, the same message in every contract).
    #[error(transparent)]
    Unauthorized(#[from] aip_types::auth::Unauthorized),

    /// A root, context or nullifier hash that is not a canonical scalar.
    #[error("malformed {field}: expected 32 bytes encoding a BLS12-381 scalar below the modulus (little-endian), got {len} bytes")]
    MalformedScalar {
        /// Which value.
        field: String,
        /// Its length, bytes.
        len: usize,
    },

    /// A proof of the wrong length.
    #[error("malformed proof: expected {expected} bytes (compressed A|B|C), got {got}")]
    ProofLength {
        /// 192 bytes.
        expected: usize,
        /// The length sent.
        got: usize,
    },

    /// A proof whose points do not decode (off the curve, outside the subgroup).
    #[error("malformed proof: {reason}")]
    ProofPoints {
        /// What is wrong with them.
        reason: String,
    },

    /// A verifying key that does not decode.
    #[error("malformed verifying key: {reason}")]
    MalformedVerifyingKey {
        /// What is wrong with it.
        reason: String,
    },

    /// A verifying key for another circuit (public input count).
    #[error("the verifying key must have exactly {expected} public input(s), this one has {got}")]
    VerifyingKeyInputs {
        /// 1: the circuit's single public input.
        expected: usize,
        /// The key's count.
        got: usize,
    },

    /// `register` before the admin set a verifying key.
    #[error("no verifying key has been set")]
    NoVerifyingKey,

    /// `register` before the admin named the reputation contract.
    #[error("no reputation contract has been configured")]
    NoReputationContract,

    /// A proof whose `valid_until` has passed.
    #[error("credential expired: the proof is valid until {valid_until}, block time is {now}; renew the credential with the provider and prove again")]
    CredentialExpired {
        /// The proof's end, unix seconds.
        valid_until: u64,
        /// Block time.
        now: u64,
    },

    /// A context this verifier never had.
    #[error("unknown context {context}: it was never this verifier's (roots not published here, or a proof for another verifier or chain); prove against the current roots (query `roots`)")]
    UnknownContext {
        /// The context sent, hex.
        context: String,
    },

    /// A context replaced more than the grace period ago.
    #[error("stale context {context}: its {replaced_by} was replaced at {replaced_at} and proofs against it were accepted until {accepted_until}; prove again against the current roots (query `roots`)")]
    StaleContext {
        /// The context sent, hex.
        context: String,
        /// The root whose publication replaced it.
        replaced_by: RootKind,
        /// When, unix seconds.
        replaced_at: u64,
        /// The end of its grace period.
        accepted_until: u64,
    },

    /// Publishing the root that is already current.
    #[error("{kind} {root} is already the current one")]
    RootAlreadyCurrent {
        /// Which root.
        kind: RootKind,
        /// The root, hex.
        root: String,
    },

    /// A grace period above 30 days.
    #[error("grace_period must be at most {max} seconds, got {got}")]
    GracePeriodTooLong {
        /// 30 days.
        max: u64,
        /// The value asked.
        got: u64,
    },

    /// A premium proof age limit of 0 days.
    #[error("premium_max_age_days must be at least 1, got 0")]
    PremiumMaxAgeZero,

    /// An identity that already registered another account.
    #[error("nullifier {nullifier_hash} was already used by {account}: this identity has registered another account")]
    NullifierUsed {
        /// The nullifier hash, hex.
        nullifier_hash: String,
        /// The account it registered.
        account: String,
    },

    /// A proof that does not verify for these public values.
    #[error("proof rejected: it does not prove an unexpired, unsanctioned, unrevoked credential under context {context} for sender {sender} with nullifier {nullifier_hash} and valid_until {valid_until}")]
    InvalidProof {
        /// The sender it was checked for.
        sender: String,
        /// The context, hex.
        context: String,
        /// The nullifier hash, hex.
        nullifier_hash: String,
        /// The registration's end.
        valid_until: u64,
    },

    /// An `eligibilities` query of too many accounts.
    #[error("eligibilities: at most {max} accounts per query, got {got}; split the batch")]
    TooManyAccounts {
        /// The most per query.
        max: usize,
        /// The count asked.
        got: usize,
    },

    /// An `eligibilities` query naming an invalid address.
    #[error("eligibilities: account {index} ({account:?}) is not a valid address: {reason}")]
    InvalidAccount {
        /// Its position in the query.
        index: usize,
        /// The address as sent.
        account: String,
        /// Why it is not valid.
        reason: String,
    },

    /// A migration refused by the shared guard (wrong contract, or a downgrade).
    #[error("{0}")]
    Migrate(#[from] aip_types::migrate::MigrateError),
}
