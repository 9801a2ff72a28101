//! aip-token (cw20-base): instantiate, transfer, send, mint.

use anyhow::Result;
use serde_json::json;

use super::{Ctx, Measured};
use crate::report::Row;
use crate::Chain;

/// Measures instantiate (10 initial balances), a transfer to a new and to an
/// existing account, a send to a contract, and a mint.
pub fn run(ctx: &Ctx) -> Result<Measured> {
    let chain = Chain::new()?;
    let code = ctx.store(&chain, "aip-token")?;
    let admin = chain.addr("admin");
    let alice = chain.addr("alice");
    let bob = chain.addr("bob");
    let receiver = chain.addr("some-contract");
    let initial: Vec<_> = (0..10)
        .map(|i| json!({ "address": chain.addr(&format!("holder-{i}")), "amount": "1000000000" }))
        .chain([json!({ "address": alice, "amount": "5000000000" })])
        .collect();
    let (token, inst) = chain.instantiate(
        &code,
        "aip-token",
        &admin,
        &json!({
            "name": "AIP", "symbol": "AIP", "decimals": 6,
            "initial_balances": initial,
            "mint": { "minter": admin, "cap": "1000000000000000" },
            "marketing": null,
        }),
    )?;
    let transfer = |to: &str| json!({ "transfer": { "recipient": to, "amount": "1000" } });
    let (_, first) = chain.execute(&token, &alice, &transfer(&bob))?;
    let (_, second) = chain.execute(&token, &alice, &transfer(&bob))?;
    let (_, send) = chain.execute(
        &token,
        &alice,
        &json!({ "send": { "contract": receiver, "amount": "1000", "msg": "e30=" } }),
    )?;
    let (_, mint) = chain.execute(
        &token,
        &admin,
        &json!({ "mint": { "recipient": bob, "amount": "1000" } }),
    )?;
    let balance = chain.query(&token, &json!({ "balance": { "address": bob } }))?;
    anyhow::ensure!(balance["balance"] == "3000", "unexpected balance {balance}");

    Ok(Measured {
        name: "aip-token",
        title: "aip-token",
        command: "cargo run -p aip-gas-bench --bin aip-gas -- token".into(),
        setup: "Instantiate with 11 initial balances and a capped minter; a transfer to a new account, \
                a second one to the same account, a `send` to a contract (its `receive` is not run: \
                counted as one more instance), a `mint`."
            .into(),
        rows: vec![
            Row::new("instantiate (11 balances)", 11, inst),
            Row::new("transfer, new recipient", 1, first),
            Row::new("transfer, existing recipient", 1, second),
            Row::new("send (to a contract)", 1, send),
            Row::new("mint", 1, mint),
        ],
        artifacts: Vec::new(),
    })
}
