//! `Deployment::place_intent`, the helper the settlement multitests share:
//! amounts that do not fit an intent are refused before anything is sent.
#![allow(clippy::unwrap_used)]

use aip_testing::{Deployment, DeploymentConfig};
use aip_types::intent::Side;
use aip_types::SlotId;

#[test]
fn amounts_beyond_an_intent_are_refused_with_the_value() {
    let mut d = Deployment::new(&DeploymentConfig::default()).unwrap();
    let who = d.app.api().addr_make("alice");
    let slot = SlotId(1_800_000_000);
    let big = u128::from(u64::MAX) + 1;
    let e = d
        .place_intent(&who, Side::Sell, slot, 1, big, 1, 1)
        .unwrap_err();
    assert_eq!(e.to_string(), format!("wh {big} does not fit an intent"));
    let e = d
        .place_intent(&who, Side::Buy, slot, 1, 1, big, 1)
        .unwrap_err();
    assert_eq!(e.to_string(), format!("price {big} does not fit an intent"));
}

#[test]
fn a_refused_place_names_the_step() {
    // A slot that began long before the chain's time: its intent expired.
    let mut d = Deployment::new(&DeploymentConfig::default()).unwrap();
    let who = d.app.api().addr_make("alice");
    let e = d
        .place_intent(&who, Side::Sell, SlotId(900), 1, 1_000, 100_000, 1)
        .unwrap_err();
    assert_eq!(e.to_string(), "place_intent");
    let cause = e.root_cause().to_string();
    assert!(
        cause.starts_with("the intent expired at 900 (now "),
        "{cause}"
    );
}
