//! The short fuzz run of every contract (seeded, deterministic) and the
//! checks of the fuzzer's own machinery: panics caught and shrunk, the
//! holdings invariants catching a broken book.
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking

use aip_fuzz::fuzz::shrink;
use aip_fuzz::json::Json;
use aip_fuzz::rng::Rng;
use aip_fuzz::target::default_schema_dir;
use aip_fuzz::world::{Action, Outcome, World};
use aip_fuzz::{Config, Fuzzer, Stats, Target};
use cosmwasm_std::{Binary, Deps, DepsMut, Empty, Env, MessageInfo, Response, StdResult};
use cw_multi_test::ContractWrapper;

/// Messages per contract in the test command.
const SHORT_CASES: u64 = 3_000;

fn short(t: Target) -> Stats {
    let cfg = Config {
        seed: 20_261_206,
        cases: SHORT_CASES,
        ..Config::default()
    };
    let st = Fuzzer::new(&default_schema_dir(), cfg)
        .unwrap()
        .run_target(t)
        .unwrap();
    for f in &st.failures {
        eprintln!(
            "{:?}: {}\n  reproducer: {:#?}",
            f.outcome, f.action, f.reproducer
        );
    }
    assert_eq!(
        st.failure_count,
        0,
        "{} failed: {:?}",
        t.name(),
        st.failures
    );
    assert_eq!(st.cases, SHORT_CASES);
    // The fuzzer reaches the contract's logic, not only its parser.
    assert!(st.executes_ok > 0, "{}: no execute accepted", t.name());
    assert!(st.queries_ok > 0, "{}: no query answered", t.name());
    assert!(st.migrations_ok > 0, "{}: no migration accepted", t.name());
    assert!(
        st.executes_ok < st.executes,
        "{}: nothing refused",
        t.name()
    );
    st
}

#[test]
fn aip_token_survives_fuzzed_messages() {
    short(Target::Token);
}

#[test]
fn settlement_survives_fuzzed_messages_and_hooks() {
    let st = short(Target::Settlement);
    assert!(st.hooks > 0, "no cw20 hook sent");
}

#[test]
fn reputation_survives_fuzzed_messages() {
    short(Target::Reputation);
}

#[test]
fn meter_oracle_survives_fuzzed_messages() {
    short(Target::MeterOracle);
}

#[test]
fn zk_verifier_survives_fuzzed_messages() {
    short(Target::ZkVerifier);
}

#[test]
fn the_same_seed_gives_the_same_run() {
    let cfg = Config {
        seed: 5,
        cases: 400,
        ..Config::default()
    };
    let f = Fuzzer::new(&default_schema_dir(), cfg).unwrap();
    let a = f.run_target(Target::Settlement).unwrap();
    let b = f.run_target(Target::Settlement).unwrap();
    assert_eq!(
        (
            a.executes_ok,
            a.queries_ok,
            a.hooks,
            a.migrations_ok,
            a.advances
        ),
        (
            b.executes_ok,
            b.queries_ok,
            b.hooks,
            b.migrations_ok,
            b.advances
        )
    );
    assert_eq!(a.variants_ok, b.variants_ok);
}

#[test]
fn aip_sent_to_settlement_outside_its_hook_is_accounted_and_a_broken_book_is_caught() {
    let mut w = World::new().unwrap();
    let mut rng = Rng::new(1);
    let user = w.users[0].clone();
    let transfer = Action::Execute {
        contract: Target::Token,
        sender: user,
        msg: Json::Raw(format!(
            r#"{{"transfer":{{"recipient":"{}","amount":"5"}}}}"#,
            w.d.settlement
        )),
        funds: vec![],
        hook: None,
    };
    assert_eq!(w.run(&transfer, &mut rng), Outcome::Accepted);
    assert_eq!(w.donated, 5);
    // Had the transfer not been seen, settlement's books would not match.
    w.donated = 0;
    let err = w.check().unwrap_err();
    assert!(
        err.contains("settlement holds 5 uaip but its books say 0"),
        "{err}"
    );
}

fn nop_instantiate(_: DepsMut, _: Env, _: MessageInfo, _: Empty) -> StdResult<Response> {
    Ok(Response::new())
}
fn nop_execute(_: DepsMut, _: Env, _: MessageInfo, _: Empty) -> StdResult<Response> {
    Ok(Response::new())
}
fn nop_query(_: Deps, _: Env, _: Empty) -> StdResult<Binary> {
    Ok(Binary::default())
}
/// Panics on a migrate message with a `boom` field, accepts any other.
fn boom_migrate(_: DepsMut, _: Env, msg: serde_json::Value) -> StdResult<Response> {
    if msg.get("boom").is_some() {
        panic!("boom");
    }
    Ok(Response::new())
}

/// A world whose zk-verifier "code" is the panicking test contract.
fn world_with_boom() -> anyhow::Result<World> {
    let mut w = World::new()?;
    let code = w.d.app.store_code(Box::new(
        ContractWrapper::new(nop_execute, nop_instantiate, nop_query).with_migrate(boom_migrate),
    ));
    w.codes.insert(Target::ZkVerifier, code);
    Ok(w)
}

#[test]
fn a_panic_is_caught_reported_and_shrunk() {
    let mut w = world_with_boom().unwrap();
    let mut rng = Rng::new(1);
    let admin = w.d.admin.clone();
    let noise = Action::Query {
        contract: Target::Token,
        msg: Json::Raw(r#"{"token_info":{}}"#.into()),
    };
    let boom = Action::Migrate {
        contract: Target::ZkVerifier,
        code: Target::ZkVerifier,
        sender: admin,
        msg: Json::Obj(vec![
            ("a".into(), Json::Str("padding".into())),
            (
                "boom".into(),
                Json::Arr(vec![Json::Num("1".into()), Json::Num("2".into())]),
            ),
        ]),
    };
    assert_eq!(w.run(&noise, &mut rng), Outcome::Accepted);
    let out = w.run(&boom, &mut rng);
    match &out {
        Outcome::Panic(m) => assert!(m.contains("boom"), "{m}"),
        other => panic!("not caught as a panic: {other:?}"),
    }
    assert!(boom.describe().contains(r#"{"a":"padding","boom":[1,2]}"#));
    let small = shrink(&[noise, boom], &out, world_with_boom);
    assert_eq!(small.len(), 1, "the query is not needed");
    assert!(
        small[0].describe().ends_with(r#": {"boom":[]}"#),
        "{}",
        small[0].describe()
    );
}
