//! Regenerates the Poseidon round constants and MDS matrices embedded in
//! `src/params/*.rs` with arkworks' Grain LFSR (`find_poseidon_ark_and_mds`):
//!
//! ```text
//! cargo run -p zk-kyc --example poseidon-constants -- bls12-381 > packages/zk-kyc/src/params/bls12_381.rs
//! cargo run -p zk-kyc --example poseidon-constants -- bn254     > packages/zk-kyc/src/params/bn254.rs
//! ```
//!
//! The test `params_match_grain_lfsr` checks the committed files against the same generator.
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking

fn main() {
    let curve = std::env::args().nth(1).unwrap_or_default();
    let text = match curve.as_str() {
        "bls12-381" => {
            zk_kyc::params::render::<ark_bls12_381::Fr>("ark_bls12_381::Fr", "BLS12-381")
        }
        "bn254" => zk_kyc::params::render::<ark_bn254::Fr>("ark_bn254::Fr", "BN254"),
        _ => {
            eprintln!("usage: poseidon-constants bls12-381|bn254");
            std::process::exit(2);
        }
    };
    print!("{text}");
}
