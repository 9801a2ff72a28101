//! Writes the JSON schema of the zk-verifier contract's messages (`ci/schema.sh`).
use cosmwasm_schema::write_api;
use zk_verifier::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};

fn main() {
    write_api! {
        instantiate: InstantiateMsg,
        execute: ExecuteMsg,
        query: QueryMsg,
        migrate: MigrateMsg,
    }
}
