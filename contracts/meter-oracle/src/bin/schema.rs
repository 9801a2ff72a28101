//! Writes the JSON schema of the meter-oracle contract's messages (`ci/schema.sh`).
use cosmwasm_schema::write_api;
use meter_oracle::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};

fn main() {
    write_api! {
        instantiate: InstantiateMsg,
        execute: ExecuteMsg,
        query: QueryMsg,
        migrate: MigrateMsg,
    }
}
