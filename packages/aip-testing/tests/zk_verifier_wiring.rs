//! The deployment wires the zk-verifier to reputation in both directions.
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking

use aip_testing::{Deployment, DeploymentConfig};

#[test]
fn zk_verifier_is_reputations_minter_and_points_at_it() {
    let mut d = Deployment::new(&DeploymentConfig::default()).unwrap();
    let zk: zk_verifier::msg::ConfigResponse = d
        .app
        .wrap()
        .query_wasm_smart(&d.zk_verifier, &zk_verifier::msg::QueryMsg::Config {})
        .unwrap();
    assert_eq!(zk.reputation, Some(d.reputation.to_string()));
    assert_eq!(zk.admin, d.admin.to_string());
    assert_eq!(
        zk.provider,
        d.addr(aip_testing::deployment::roles::KYC_PROVIDER)
            .to_string()
    );
    let rep: reputation::msg::ContractConfigResponse = d
        .app
        .wrap()
        .query_wasm_smart(&d.reputation, &reputation::msg::QueryMsg::Config {})
        .unwrap();
    assert_eq!(rep.zk_verifier, Some(d.zk_verifier.clone()));
    // the register helper mints as the configured zk-verifier
    let alice = d.addr("alice");
    d.register(&alice).unwrap();
    assert!(d.trading_terms(&alice).unwrap().registered);
}
