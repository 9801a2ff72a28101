use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::HexBinary;

/// Default number of previous roots that stay valid after a new one is published.
pub const DEFAULT_ROOT_HISTORY: u32 = 8;
/// Upper bound of `root_history`.
pub const MAX_ROOT_HISTORY: u32 = 64;

#[cw_serde]
pub struct InstantiateMsg {
    /// Sets the verifying key, the provider, the reputation contract. Default: the sender.
    pub admin: Option<String>,
    /// The KYC provider: the only account that publishes roots.
    pub provider: String,
    /// The reputation contract that mints the soulbound token (may be set later).
    pub reputation: Option<String>,
    /// Groth16 verifying key over BLS12-381, arkworks compressed bytes (`aip-kyc setup`
    /// writes it as `verifying_key.hex`). May be set later with `SetVerifyingKey`.
    pub verifying_key: Option<HexBinary>,
    /// How many previous roots stay valid besides the current one (default 8, max 64).
    pub root_history: Option<u32>,
}

#[cw_serde]
pub enum ExecuteMsg {
    /// Admin: replace the Groth16 verifying key (arkworks compressed bytes, exactly one
    /// public input). Points are fully validated here, once.
    SetVerifyingKey { verifying_key: HexBinary },
    /// Admin: change roles or the root history length. Omitted fields stay.
    UpdateConfig {
        admin: Option<String>,
        provider: Option<String>,
        reputation: Option<String>,
        root_history: Option<u32>,
    },
    /// Provider: publish the identity tree's new root (32 bytes, little-endian scalar).
    /// The previous root stays valid for `root_history` more publications.
    PublishRoot { root: HexBinary },
    /// Anyone: register the sender. `proof` is the compressed Groth16 proof A|B|C
    /// (192 bytes), `root` one of the valid roots, `nullifier_hash`
    /// `Poseidon(secret, external_nullifier)`; the proof must have been made for the
    /// sender's address (`aip-kyc prove --address`). On success the reputation
    /// contract mints the sender's token.
    Register {
        proof: HexBinary,
        root: HexBinary,
        nullifier_hash: HexBinary,
    },
}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    /// Roles, root history and the external nullifier provers must use.
    #[returns(ConfigResponse)]
    Config {},
    /// The current root and the older ones still accepted, newest first.
    #[returns(RootsResponse)]
    Roots {},
    /// Whether a nullifier hash has been used, and by whom. (Whether an account
    /// holds its token: reputation's `reputation { account }` query.)
    #[returns(NullifierResponse)]
    Nullifier { nullifier_hash: HexBinary },
    /// The verifying key as set (arkworks compressed bytes).
    #[returns(VerifyingKeyResponse)]
    VerifyingKey {},
}

#[cw_serde]
pub struct MigrateMsg {}

#[cw_serde]
pub struct ConfigResponse {
    pub admin: String,
    pub provider: String,
    pub reputation: Option<String>,
    pub root_history: u32,
    /// `external_nullifier(chain_id, contract address)`, 32 bytes little-endian.
    pub external_nullifier: HexBinary,
    pub chain_id: String,
    pub verifying_key_set: bool,
}

#[cw_serde]
pub struct RootsResponse {
    pub current: Option<HexBinary>,
    /// Older roots still accepted, newest first.
    pub previous: Vec<HexBinary>,
}

#[cw_serde]
pub struct NullifierResponse {
    pub used: bool,
    pub account: Option<String>,
}

#[cw_serde]
pub struct VerifyingKeyResponse {
    pub verifying_key: Option<HexBinary>,
}
