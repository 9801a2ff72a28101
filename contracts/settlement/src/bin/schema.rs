use cosmwasm_schema::write_api;
use settlement::msg::{ContractExecMsg, ContractQueryMsg, InstantiateMsg, MigrateMsg};

fn main() {
    write_api! {
        instantiate: InstantiateMsg,
        execute: ContractExecMsg,
        query: ContractQueryMsg,
        migrate: MigrateMsg,
    }
}
