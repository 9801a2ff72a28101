//! Failures the fuzzer found, as plain tests of the real contracts on the
//! wired deployment. Each was a panic (an abort on chain); all are fixed,
//! and these tests keep them fixed. A new finding goes here first, marked as
//! ignored (with the reason) until its contract is fixed.
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking

use aip_fuzz::json::Json;
use aip_fuzz::rng::Rng;
use aip_fuzz::world::{Action, Outcome, World};
use aip_fuzz::Target;

fn outcome(msg: &str) -> Outcome {
    let mut w = World::new().unwrap();
    let q = Action::Query {
        contract: Target::Settlement,
        msg: Json::Raw(msg.into()),
    };
    w.run(&q, &mut Rng::new(0))
}

/// Found by `aip-fuzz --cases 1000000` (seed 1, aip-token run 860): the
/// minter minting u128::MAX panics in cw20-base 2.0's `execute_mint`
/// (`total_supply += amount` overflows before the cap is checked, and
/// before the recipient is validated) instead of refusing with
/// `CannotExceedCap`. Only the minter can do it, but it is an abort.
#[test]
fn minting_beyond_u128_is_refused_not_a_panic() {
    let mut w = World::new().unwrap();
    let mint = Action::Execute {
        contract: Target::Token,
        sender: w.d.admin.clone(),
        msg: Json::Raw(format!(
            r#"{{"mint":{{"amount":"340282366920938463463374607431768211455","recipient":"{}"}}}}"#,
            w.users[0]
        )),
        funds: vec![],
        hook: None,
    };
    let out = w.run(&mint, &mut Rng::new(0));
    assert!(matches!(out, Outcome::Refused(_)), "{out:?}");
}

/// Found by `aip-fuzz --cases 100000 --contract settlement` (seed 1):
/// `start_after.map_or(0, |s| s + 1)` in `query_trades_by_slot` overflows
/// on u64::MAX (a panic: an abort in the wasm VM) instead of an empty page.
#[test]
fn trades_by_slot_after_the_last_id_is_an_empty_page_not_a_panic() {
    let out = outcome(r#"{"trades_by_slot":{"slot":0,"start_after":18446744073709551615}}"#);
    assert!(!out.is_failure(), "{out:?}");
}

/// Found by `aip-fuzz --cases 1000000` (seed 1, aip-token run 538, at
/// 12e038d): raising an allowance by u128::MAX on top of an existing one
/// panics in cw20-base 2.0's `execute_increase_allowance` (`allowance +=
/// amount`) instead of refusing.
#[test]
fn raising_an_allowance_beyond_u128_is_refused_not_a_panic() {
    let mut w = World::new().unwrap();
    let owner = w.users[0].clone();
    let spender = w.users[1].clone();
    let raise = |amount: &str| Action::Execute {
        contract: Target::Token,
        sender: owner.clone(),
        msg: Json::Raw(format!(
            r#"{{"increase_allowance":{{"amount":"{amount}","spender":"{spender}"}}}}"#
        )),
        funds: vec![],
        hook: None,
    };
    let first = w.run(&raise("3"), &mut Rng::new(0));
    assert!(!first.is_failure(), "{first:?}");
    let out = w.run(
        &raise("340282366920938463463374607431768211455"),
        &mut Rng::new(0),
    );
    match out {
        Outcome::Refused(reason) => assert!(
            reason.contains(&format!(
                "raising {spender}'s allowance of 3 by 340282366920938463463374607431768211455 would overflow"
            )),
            "{reason}"
        ),
        other => panic!("expected a refusal, got {other:?}"),
    }
}
