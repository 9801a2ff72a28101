//! Messages of the KYC/AML verifier.

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::HexBinary;

pub use aip_types::hooks::kyc::{
    AccountEligibility, EligibilitiesResponse, Eligibility, MAX_ELIGIBILITY_ACCOUNTS,
};

/// Default grace period: a replaced root's proofs are accepted for one day.
pub const DEFAULT_GRACE_PERIOD: u64 = 86_400;
/// Upper bound of `grace_period` (30 days).
pub const MAX_GRACE_PERIOD: u64 = 30 * 86_400;
/// Default age limit of the proof behind a premium trade, in days.
pub const DEFAULT_PREMIUM_MAX_AGE_DAYS: u32 = 30;
/// Default page size of the `stats` query.
pub const DEFAULT_STATS_LIMIT: u32 = 500;
/// Largest page size of the `stats` query.
pub const MAX_STATS_LIMIT: u32 = 2_000;

/// Creates the verifier: roles, policy and (optionally) the verifying key.
#[cw_serde]
pub struct InstantiateMsg {
    /// Sets the verifying key, the roles and the policy. Default: the sender.
    pub admin: Option<String>,
    /// The KYC provider: publishes the identity tree's root and the revocation set's root.
    pub provider: String,
    /// The compliance role: publishes the sanctions set's root. Default: the admin.
    pub compliance: Option<String>,
    /// The reputation contract that mints the soulbound token (may be set later).
    pub reputation: Option<String>,
    /// Groth16 verifying key over BLS12-381, arkworks compressed bytes (`aip-kyc setup`
    /// writes it as `verifying_key.hex`). May be set later with `SetVerifyingKey`.
    pub verifying_key: Option<HexBinary>,
    /// Seconds a replaced root stays accepted, and accounts proved against replaced
    /// sanctions or revocation roots stay eligible (default 86,400, max 30 days).
    pub grace_period: Option<u64>,
    /// Premium trades need a proof at most this many days old (default 30).
    pub premium_max_age_days: Option<u32>,
}

/// Which published root.
#[cw_serde]
#[derive(Copy)]
pub enum RootKind {
    /// The provider's identity (credential) tree.
    Identity,
    /// The compliance role's sanctions set.
    Sanctions,
    /// The provider's revocation set.
    Revocation,
}

impl std::fmt::Display for RootKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RootKind::Identity => "identity root",
            RootKind::Sanctions => "sanctions root",
            RootKind::Revocation => "revocation root",
        })
    }
}

/// What the roles and users ask of the verifier.
#[cw_serde]
pub enum ExecuteMsg {
    /// Admin: replace the Groth16 verifying key (arkworks compressed bytes, exactly one
    /// public input). Points are fully validated here, once.
    SetVerifyingKey {
        /// The key, arkworks compressed bytes.
        verifying_key: HexBinary,
    },
    /// Admin: change roles or policy. Omitted fields stay.
    UpdateConfig {
        /// The new admin.
        admin: Option<String>,
        /// The new KYC provider.
        provider: Option<String>,
        /// The new compliance role.
        compliance: Option<String>,
        /// The reputation contract that mints tokens.
        reputation: Option<String>,
        /// Seconds a replaced root stays accepted (at most 30 days).
        grace_period: Option<u64>,
        /// Largest age of the proof behind a premium trade, days (above 0).
        premium_max_age_days: Option<u32>,
    },
    /// Provider: publish the identity tree's new root (32 bytes, little-endian scalar).
    PublishRoot {
        /// The tree's root.
        root: HexBinary,
    },
    /// Provider: publish the revocation set's new root.
    PublishRevocationRoot {
        /// The set's root (32 bytes, little-endian scalar).
        root: HexBinary,
    },
    /// Compliance: publish the sanctions set's new root.
    PublishSanctionsRoot {
        /// The set's root (32 bytes, little-endian scalar).
        root: HexBinary,
    },
    /// Anyone: register the sender, or renew its registration. `proof` is the
    /// compressed Groth16 proof A|B|C (192 bytes) made for the sender's address
    /// (`aip-kyc prove --address`); `context` the context of the roots it was made
    /// against (the `roots` query's current one, or one replaced less than the grace
    /// period ago); `nullifier_hash` `Poseidon(secret, external_nullifier)`;
    /// `valid_until` (unix seconds, in the future, at most the credential's expiry)
    /// the registration's end. A first registration asks the reputation contract
    /// to mint the sender's token; a renewal (same identity, same account) only
    /// refreshes the registration.
    Register {
        /// The compressed Groth16 proof A|B|C, 192 bytes.
        proof: HexBinary,
        /// The context of the roots the proof was made against.
        context: HexBinary,
        /// `Poseidon(secret, external_nullifier)`: one per identity.
        nullifier_hash: HexBinary,
        /// The registration's end, unix seconds.
        valid_until: u64,
    },
}

/// What anyone may read of the verifier.
#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    /// Roles, policy and the external nullifier provers must use.
    #[returns(ConfigResponse)]
    Config {},
    /// The current roots and the context a new proof must be made against.
    #[returns(RootsResponse)]
    Roots {},
    /// Whether a context is accepted, and until when.
    #[returns(ContextResponse)]
    Context {
        /// The context, 32 bytes.
        context: HexBinary,
    },
    /// Whether a nullifier hash has been used, and by whom.
    #[returns(NullifierResponse)]
    Nullifier {
        /// The nullifier hash, 32 bytes.
        nullifier_hash: HexBinary,
    },
    /// The verifying key as set (arkworks compressed bytes).
    #[returns(VerifyingKeyResponse)]
    VerifyingKey {},
    /// Whether an account may trade now (and trade premium), with the times
    /// behind the answer. Settlement refuses new intents unless `eligible`.
    #[returns(EligibilityResponse)]
    Eligibility {
        /// The account's address.
        account: String,
    },
    /// Settlement's batch check (`aip_types::hooks::KycQueryHook`): `eligible`,
    /// `premium_eligible` and the standing (`reason`) of each account, in the
    /// order given, by the same rule as `eligibility`. At most
    /// [`MAX_ELIGIBILITY_ACCOUNTS`] accounts; an invalid address fails the
    /// query, naming it.
    #[returns(EligibilitiesResponse)]
    Eligibilities {
        /// The accounts' addresses.
        accounts: Vec<String>,
    },
    /// Regulator view: counts of registered accounts by state over one page of
    /// accounts (ascending address order; follow `next` for the rest). No
    /// identities, no addresses besides the page cursor.
    #[returns(StatsResponse)]
    Stats {
        /// The page starts after this address.
        start_after: Option<String>,
        /// Accounts in the page (default 500, at most 2,000).
        limit: Option<u32>,
    },
}

/// Migrates to this code version (same contract, no downgrade).
#[cw_serde]
pub struct MigrateMsg {}

/// Roles, policy and the external nullifier provers must use.
#[cw_serde]
pub struct ConfigResponse {
    /// Sets the verifying key, the roles and the policy.
    pub admin: String,
    /// Publishes the identity and revocation roots.
    pub provider: String,
    /// Publishes the sanctions root.
    pub compliance: String,
    /// The reputation contract that mints tokens, once set.
    pub reputation: Option<String>,
    /// Seconds a replaced root stays accepted.
    pub grace_period: u64,
    /// Largest age of the proof behind a premium trade, days.
    pub premium_max_age_days: u32,
    /// `external_nullifier(chain_id, contract address)`, 32 bytes little-endian.
    pub external_nullifier: HexBinary,
    /// The chain the external nullifier is bound to.
    pub chain_id: String,
    /// Whether a verifying key is set (`register` needs one).
    pub verifying_key_set: bool,
    /// The key set is one compiled into this code (its prepared form is read
    /// from the code, not from storage: cheaper `register`).
    pub verifying_key_in_code: bool,
}

/// The published roots and the current context.
#[cw_serde]
pub struct RootsResponse {
    /// None until the provider publishes its first root.
    pub identity: Option<HexBinary>,
    /// The empty set's root until the compliance role publishes one.
    pub sanctions: HexBinary,
    /// The empty set's root until the provider publishes one.
    pub revocation: HexBinary,
    /// `context(identity, sanctions, revocation, external_nullifier)`: what a new
    /// proof is made against. None until there is an identity root.
    pub context: Option<HexBinary>,
    /// Increases with every sanctions or revocation root.
    pub lists_generation: u32,
}

/// A context's standing.
#[cw_serde]
pub struct ContextResponse {
    /// The context was current at some time.
    pub known: bool,
    /// The context is the current one.
    pub current: bool,
    /// The root whose publication replaced it, and when.
    pub replaced_by: Option<RootKind>,
    /// When it was replaced (unix seconds).
    pub replaced_at: Option<u64>,
    /// Registrations against it are refused from this time on.
    pub accepted_until: Option<u64>,
}

/// Whether a nullifier hash was used.
#[cw_serde]
pub struct NullifierResponse {
    /// An identity registered with it.
    pub used: bool,
    /// The account it registered.
    pub account: Option<String>,
}

/// The verifying key as set.
#[cw_serde]
pub struct VerifyingKeyResponse {
    /// Arkworks compressed bytes; None until the admin sets one.
    pub verifying_key: Option<HexBinary>,
}

/// An account's eligibility, with the times behind it.
#[cw_serde]
pub struct EligibilityResponse {
    /// Registered, eligible, expired or needing a new proof.
    pub status: Eligibility,
    /// `status == eligible`: may place new intents.
    pub eligible: bool,
    /// Eligible and proved at most `premium_max_age_days` ago: may trade premium.
    pub premium: bool,
    /// When the account last proved (unix seconds).
    pub proved_at: Option<u64>,
    /// When the registration expires (the proof's `valid_until`).
    pub valid_until: Option<u64>,
    /// Set when the lists it proved against were replaced: it must prove again
    /// before this time (past for `needs_reproof`).
    pub reproof_by: Option<u64>,
    /// Until when premium trades are allowed without a new proof.
    pub premium_until: Option<u64>,
}

/// Counts of registered accounts by state, over one page of accounts.
#[cw_serde]
pub struct StatsResponse {
    /// Registered accounts in this page.
    pub registered: u32,
    /// Of them, eligible now.
    pub eligible: u32,
    /// Of them, past their registration's end.
    pub expired: u32,
    /// Of them, proved against lists replaced more than the grace period ago.
    pub needs_reproof: u32,
    /// Eligible accounts whose proof is recent enough for premium trades.
    pub premium: u32,
    /// Cursor for the next page; None when this page reached the end.
    pub next: Option<String>,
}
