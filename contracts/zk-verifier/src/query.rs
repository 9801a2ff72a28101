use cosmwasm_std::{Deps, HexBinary, StdResult};

use crate::msg::{ConfigResponse, NullifierResponse, RootsResponse, VerifyingKeyResponse};
use crate::state::{CONFIG, NULLIFIERS, ROOTS, VK_RAW};

fn hex(b: &[u8]) -> HexBinary {
    HexBinary::from(b)
}

pub fn query_config(deps: Deps) -> StdResult<ConfigResponse> {
    let c = CONFIG.load(deps.storage)?;
    Ok(ConfigResponse {
        admin: c.admin.to_string(),
        provider: c.provider.to_string(),
        reputation: c.reputation.map(|r| r.to_string()),
        root_history: c.root_history,
        external_nullifier: hex(c.external_nullifier.as_slice()),
        chain_id: c.chain_id,
        verifying_key_set: VK_RAW.exists(deps.storage),
    })
}

pub fn query_roots(deps: Deps) -> StdResult<RootsResponse> {
    let roots = ROOTS.load(deps.storage)?;
    let mut it = roots.iter().map(|r| hex(r.as_slice()));
    Ok(RootsResponse {
        current: it.next(),
        previous: it.collect(),
    })
}

pub fn query_nullifier(deps: Deps, nullifier_hash: HexBinary) -> StdResult<NullifierResponse> {
    let account = NULLIFIERS.may_load(deps.storage, nullifier_hash.as_slice())?;
    Ok(NullifierResponse {
        used: account.is_some(),
        account: account.map(|a| a.to_string()),
    })
}

pub fn query_verifying_key(deps: Deps) -> StdResult<VerifyingKeyResponse> {
    Ok(VerifyingKeyResponse {
        verifying_key: VK_RAW.may_load(deps.storage)?.map(|b| hex(b.as_slice())),
    })
}
