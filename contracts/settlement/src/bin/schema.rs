//! Writes the JSON schema of the settlement contract's messages (`ci/schema.sh`).
use cosmwasm_schema::write_api;
use settlement::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};

fn main() {
    write_api! {
        instantiate: InstantiateMsg,
        execute: ExecuteMsg,
        query: QueryMsg,
        migrate: MigrateMsg,
    }
}
