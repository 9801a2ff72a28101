//! `aip deploy --with-ics20`: instantiate the AIP bridge endpoint
//! (`aip-ics20`, the cw-plus cw20-ics20 contract) with AIP as the only
//! allowed CW20, after [`crate::deploy::deploy`] has stored its code.
//!
//! The allow-list holds the AIP token alone and no default gas limit is set:
//! cw20-ics20 then refuses a `Send` from any other CW20 contract. The
//! contract's port (`wasm.<address>`) is where the relayer opens the
//! transfer channel to the EVM chain.

use chain_client::ChainClient;
use serde_json::{json, Value};

use crate::deployment::{ContractRecord, Deployment};
use crate::error::{Error, Result};

/// Name of the contract (artifact `aip-ics20.wasm`, key in the deployment file).
pub const NAME: &str = "aip-ics20";

/// Options of the bridge endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ics20Options {
    /// Default packet timeout in seconds (a transfer may set its own).
    pub default_timeout_secs: u64,
    /// May add CW20 contracts to the allow-list and migrate the contract.
    pub admin: String,
}

/// What [`deploy_ics20`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ics20Outcome {
    /// Instantiated now: (address, SDK gas).
    Instantiated(String, u64),
    /// Already deployed with the current code and token: kept.
    Kept(String),
}

/// The instantiate message: AIP (`token`) is the only allowed CW20.
pub fn instantiate_msg(token: &str, o: &Ics20Options) -> Value {
    json!({
        "default_timeout": o.default_timeout_secs,
        "gov_contract": o.admin,
        "allowlist": [{"contract": token, "gas_limit": null}],
        "default_gas_limit": null,
    })
}

/// The stored `aip-ics20` code id and the AIP token address, or why they are missing.
pub fn requirements(d: &Deployment) -> Result<(u64, String)> {
    let code_id = d
        .codes
        .get(NAME)
        .map(|c| c.code_id)
        .ok_or(Error::NoIcs20Code)?;
    let token = d
        .contracts
        .get("aip-token")
        .map(|c| c.address.clone())
        .ok_or_else(|| Error::MissingDependency {
            contract: NAME.to_string(),
            needs: "aip-token".to_string(),
        })?;
    Ok((code_id, token))
}

/// Instantiates `aip-ics20` unless the deployment already has a live one on
/// the current code that allows the current token; records it in `d`.
/// `d` must hold the `aip-ics20` code (stored by `deploy`) and the token.
pub async fn deploy_ics20(
    client: &ChainClient,
    d: &mut Deployment,
    o: &Ics20Options,
) -> Result<Ics20Outcome> {
    let (code_id, token) = requirements(d)?;
    if let Some(existing) = d.contracts.get(NAME) {
        let live = match client.contract_info(&existing.address).await {
            Ok(info) => info.code_id == code_id,
            Err(chain_client::Error::Query { .. }) => false,
            Err(e) => return Err(e.into()),
        };
        if live {
            let allowed: Value = client
                .query(&existing.address, &json!({"allowed": {"contract": token}}))
                .await?;
            if allowed["is_allowed"] == json!(true) {
                return Ok(Ics20Outcome::Kept(existing.address.clone()));
            }
        }
    }
    let label = format!("aipchain {NAME}");
    let inst = client
        .instantiate(code_id, &instantiate_msg(&token, o), &label, Some(&o.admin))
        .await?;
    tracing::info!(contract = NAME, address = %inst.address, gas = inst.tx.gas_used, "instantiated");
    d.contracts.insert(
        NAME.to_string(),
        ContractRecord {
            address: inst.address.clone(),
            code_id,
            label,
        },
    );
    Ok(Ics20Outcome::Instantiated(inst.address, inst.tx.gas_used))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> Ics20Options {
        Ics20Options {
            default_timeout_secs: 600,
            admin: "wasm1admin".into(),
        }
    }

    #[test]
    fn only_the_token_is_allowed_and_others_are_refused() {
        let msg = instantiate_msg("wasm1token", &opts());
        assert_eq!(
            msg["allowlist"],
            json!([{"contract": "wasm1token", "gas_limit": null}])
        );
        // No default gas limit: cw20-ics20 refuses any CW20 off the list.
        assert_eq!(msg["default_gas_limit"], Value::Null);
        assert_eq!(msg["gov_contract"], json!("wasm1admin"));
        assert_eq!(msg["default_timeout"], json!(600));
    }

    #[test]
    fn without_its_code_or_the_token_nothing_is_instantiated() {
        use crate::deployment::CodeRecord;
        let mut d = Deployment::default();
        let err = requirements(&d).unwrap_err().to_string();
        assert_eq!(
            err,
            "--with-ics20: no aip-ics20 code stored; build it with ci/build-wasm.sh aip-ics20 (artifacts/aip-ics20.wasm)"
        );
        d.codes.insert(
            NAME.into(),
            CodeRecord {
                code_id: 7,
                checksum: "ab".into(),
            },
        );
        let err = requirements(&d).unwrap_err().to_string();
        assert_eq!(
            err,
            "aip-ics20 needs aip-token, which is not in the artifacts or the deployment"
        );
        d.contracts.insert(
            "aip-token".into(),
            ContractRecord {
                address: "wasm1token".into(),
                code_id: 1,
                label: "t".into(),
            },
        );
        assert_eq!(requirements(&d).unwrap(), (7, "wasm1token".to_string()));
    }

    #[test]
    fn the_message_is_what_cw20_ics20_parses() {
        let msg = instantiate_msg("wasm1token", &opts());
        let parsed: aip_ics20::msg::InitMsg = serde_json::from_value(msg).unwrap();
        assert_eq!(parsed.allowlist.len(), 1);
        assert_eq!(parsed.allowlist[0].contract, "wasm1token");
        assert_eq!(parsed.default_gas_limit, None);
        assert_eq!(parsed.default_timeout, 600);
    }
}
