//! Writes the JSON schema of the reputation contract's messages (`ci/schema.sh`).
use cosmwasm_schema::write_api;
use reputation::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};

fn main() {
    write_api! {
        instantiate: InstantiateMsg,
        execute: ExecuteMsg,
        query: QueryMsg,
        migrate: MigrateMsg,
    }
}
