use ark_bls12_381::{Bls12_381, Fr};
use cosmwasm_std::HexBinary;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use zk_kyc::prover::{self, Identity};
use zk_kyc::IdentityTree;

use super::suite::{err, fixture, Fixture, ProofFixture, Suite, FIXTURE_PATH};
use crate::msg::{ExecuteMsg, MAX_ROOT_HISTORY};
use crate::ContractError;

fn hex(b: &[u8]) -> HexBinary {
    HexBinary::from(b)
}

/// Regenerates `testdata/fixture.json` for this suite's chain id and contract address:
/// `cargo test -p zk-verifier -- --ignored write_fixture`.
#[test]
#[ignore]
fn write_fixture() {
    let s = Suite::new();
    let cfg = s.config();
    let ext = zk_kyc::fr_from_bytes::<Fr>(cfg.external_nullifier.as_slice()).unwrap();
    assert_eq!(
        ext,
        zk_kyc::external_nullifier::<Fr>(&cfg.chain_id, s.verifier.as_str())
    );
    let mut rng = ChaCha20Rng::seed_from_u64(2026);
    let (pk, vk) = prover::setup::<Bls12_381, _>(&mut rng);
    let alice = Identity::<Fr>::random(&mut rng);
    let bob = Identity::<Fr>::random(&mut rng);
    let mut tree = IdentityTree::new();
    tree.insert(Identity::<Fr>::random(&mut rng).commitment())
        .unwrap();
    let ia = tree.insert(alice.commitment()).unwrap();
    let ib = tree.insert(bob.commitment()).unwrap();
    let mut proof = |id: &Identity<Fr>, index: u32, who: &str| {
        let path = tree.path(index).unwrap();
        let signal = zk_kyc::signal::<Fr>(s.addr(who).as_str());
        let (p, st) = prover::prove(&pk, id, &path, ext, signal, &mut rng);
        assert!(prover::verify(&prover::prepare(&vk), &p, &st));
        ProofFixture {
            proof: hex(&prover::to_bytes(&p)),
            nullifier_hash: hex(&zk_kyc::fr_to_bytes(st.nullifier_hash)),
        }
    };
    let f = Fixture {
        verifying_key: hex(&prover::to_bytes(&vk)),
        root: hex(&zk_kyc::fr_to_bytes(tree.root())),
        alice: proof(&alice, ia, "alice"),
        bob: proof(&bob, ib, "bob"),
        alice_for_carol: proof(&alice, ia, "carol"),
        bob_for_carol: proof(&bob, ib, "carol"),
    };
    std::fs::write(
        FIXTURE_PATH,
        serde_json::to_string_pretty(&f).unwrap() + "\n",
    )
    .unwrap();
}

#[test]
fn fixture_matches_this_suite() {
    // the committed proofs are bound to this chain id and contract address
    let f = fixture();
    let s = Suite::new();
    let cfg = s.config();
    assert_eq!(cfg.chain_id, "cosmos-testnet-14002");
    let ext: Fr = zk_kyc::external_nullifier(&cfg.chain_id, s.verifier.as_str());
    assert_eq!(cfg.external_nullifier, hex(&zk_kyc::fr_to_bytes(ext)));
    assert_eq!(f.alice.nullifier_hash, f.alice_for_carol.nullifier_hash);
    assert_ne!(f.alice.nullifier_hash, f.bob.nullifier_hash);
}

#[test]
fn instantiate_sets_roles_and_external_nullifier() {
    let s = Suite::new();
    let c = s.config();
    assert_eq!(c.admin, s.admin.to_string());
    assert_eq!(c.provider, s.provider.to_string());
    assert_eq!(c.reputation, Some(s.reputation.to_string()));
    assert_eq!(c.root_history, 2);
    assert!(!c.verifying_key_set);
    assert_eq!(s.roots().current, None);
    assert_eq!(s.verifying_key().verifying_key, None);
    let v = cw2::query_contract_info(&s.app.wrap(), s.verifier.to_string()).unwrap();
    assert_eq!(v.contract, "crates.io:zk-verifier");
}

#[test]
fn registered_identity_gets_the_token_once() {
    let f = fixture();
    let mut s = Suite::ready(&f);
    let alice = s.addr("alice");
    let res = s.register(&alice, &f.alice, &f.root).unwrap();
    let wasm = res.events.iter().find(|e| e.ty == "wasm").unwrap();
    assert_eq!(wasm.attributes[1].key, "action");
    assert_eq!(wasm.attributes[1].value, "register");
    assert!(wasm
        .attributes
        .iter()
        .any(|a| a.key == "account" && a.value == alice.as_str()));
    assert_eq!(s.minted(), vec![alice.to_string()]);
    let n = s.nullifier(&f.alice.nullifier_hash);
    assert!(n.used);
    assert_eq!(n.account, Some(alice.to_string()));

    // the same identity for another address: the nullifier is spent
    let carol = s.addr("carol");
    let before = s.snapshot(&f);
    let e = err(s.register(&carol, &f.alice_for_carol, &f.root));
    assert_eq!(
        e,
        ContractError::NullifierUsed {
            nullifier_hash: f.alice.nullifier_hash.to_hex()
        }
    );
    assert_eq!(
        e.to_string(),
        format!(
            "nullifier {} was already used: this identity has registered",
            f.alice.nullifier_hash.to_hex()
        )
    );
    // replaying alice's own proof: same
    let e = err(s.register(&alice, &f.alice, &f.root));
    assert!(matches!(e, ContractError::NullifierUsed { .. }));
    assert_eq!(s.snapshot(&f), before);

    // a second identity registers independently
    let bob = s.addr("bob");
    s.register(&bob, &f.bob, &f.root).unwrap();
    assert_eq!(s.minted().len(), 2);
}

#[test]
fn identity_unused_elsewhere_can_register_another_address() {
    // alice's identity has not been used yet: its proof made for carol registers carol
    let f = fixture();
    let mut s = Suite::ready(&f);
    let carol = s.addr("carol");
    s.register(&carol, &f.alice_for_carol, &f.root).unwrap();
    assert_eq!(s.minted(), vec![carol.to_string()]);
    // and then alice cannot use the same identity again
    let e = err(s.register(&s.addr("alice"), &f.alice, &f.root));
    assert!(matches!(e, ContractError::NullifierUsed { .. }));
    // nor can carol register a second time with another identity (valid proof
    // for her address): reputation refuses a second token and the whole call
    // reverts, so bob's identity stays unspent
    let before = s.snapshot(&f);
    let e = s
        .register(&carol, &f.bob_for_carol, &f.root)
        .expect_err("a second token for carol");
    assert!(
        format!("{e:#}").contains(&format!("{carol} already has a token")),
        "{e:#}"
    );
    assert_eq!(s.snapshot(&f), before);
    assert!(!s.nullifier(&f.bob.nullifier_hash).used);
    // bob's identity still registers bob
    s.register(&s.addr("bob"), &f.bob, &f.root).unwrap();
}

#[test]
fn proof_for_another_address_is_rejected() {
    let f = fixture();
    let mut s = Suite::ready(&f);
    let before = s.snapshot(&f);
    // mallory front-runs alice's proof
    let mallory = s.addr("mallory");
    let e = err(s.register(&mallory, &f.alice, &f.root));
    let expected = ContractError::InvalidProof {
        sender: mallory.to_string(),
        root: f.root.to_hex(),
        nullifier_hash: f.alice.nullifier_hash.to_hex(),
    };
    assert_eq!(e, expected);
    assert_eq!(
        e.to_string(),
        format!(
            "proof rejected: it does not prove membership under root {} for sender {mallory} with nullifier {}",
            f.root.to_hex(),
            f.alice.nullifier_hash.to_hex()
        )
    );
    assert_eq!(s.snapshot(&f), before);
    // alice can still use it afterwards
    s.register(&s.addr("alice"), &f.alice, &f.root).unwrap();
}

#[test]
fn tampered_public_values_are_rejected() {
    let f = fixture();
    let mut s = Suite::ready(&f);
    let alice = s.addr("alice");
    let before = s.snapshot(&f);
    // bob's nullifier with alice's proof
    let wrong_nullifier = ProofFixture {
        proof: f.alice.proof.clone(),
        nullifier_hash: f.bob.nullifier_hash.clone(),
    };
    let e = err(s.register(&alice, &wrong_nullifier, &f.root));
    assert!(matches!(e, ContractError::InvalidProof { .. }), "{e}");
    // bob's proof submitted by alice
    let e = err(s.register(&alice, &f.bob, &f.root));
    assert!(matches!(e, ContractError::InvalidProof { .. }), "{e}");
    // a root the provider published that the proof was not made against
    let mut other_root = f.root.to_vec();
    other_root[0] ^= 1;
    let other_root = hex(&other_root);
    s.publish_root(&s.provider.clone(), other_root.clone())
        .unwrap();
    let mid = s.snapshot(&f);
    let e = err(s.register(&alice, &f.alice, &other_root));
    assert!(matches!(e, ContractError::InvalidProof { .. }), "{e}");
    assert_eq!(s.snapshot(&f), mid);
    assert_ne!(mid, before);
    // and proof bytes changed in A, B or C
    for at in [10usize, 100, 170] {
        let mut p = f.alice.proof.to_vec();
        p[at] ^= 0x01;
        let t = ProofFixture {
            proof: hex(&p),
            nullifier_hash: f.alice.nullifier_hash.clone(),
        };
        let e = err(s.register(&alice, &t, &f.root));
        assert!(
            matches!(
                e,
                ContractError::InvalidProof { .. } | ContractError::ProofPoints { .. }
            ),
            "byte {at}: {e}"
        );
    }
    assert_eq!(s.snapshot(&f), mid);
}

#[test]
fn malformed_inputs_are_refused() {
    let f = fixture();
    let mut s = Suite::ready(&f);
    let alice = s.addr("alice");
    let before = s.snapshot(&f);

    let short = ProofFixture {
        proof: hex(&f.alice.proof[..191]),
        nullifier_hash: f.alice.nullifier_hash.clone(),
    };
    let e = err(s.register(&alice, &short, &f.root));
    assert_eq!(
        e.to_string(),
        "malformed proof: expected 192 bytes (compressed A|B|C), got 191"
    );

    // A is not a point: compressed flag, then an x coordinate above the base field modulus
    let mut p = f.alice.proof.to_vec();
    p[..48].copy_from_slice(&[0xff; 48]);
    p[0] = 0x9f;
    let bad_point = ProofFixture {
        proof: hex(&p),
        nullifier_hash: f.alice.nullifier_hash.clone(),
    };
    let e = err(s.register(&alice, &bad_point, &f.root));
    assert!(
        e.to_string()
            .starts_with("malformed proof: A, B or C is not a valid compressed curve point"),
        "{e}"
    );

    let e = err(s.register(&alice, &f.alice, &hex(&[1u8; 31])));
    assert_eq!(
        e.to_string(),
        "malformed root: expected 32 bytes encoding a BLS12-381 scalar below the modulus (little-endian), got 31 bytes"
    );
    // 0xff.. is above the modulus
    let e = err(s.register(&alice, &f.alice, &hex(&[0xff; 32])));
    assert_eq!(
        e,
        ContractError::MalformedScalar {
            field: "root".into(),
            len: 32
        }
    );
    let bad_nul = ProofFixture {
        proof: f.alice.proof.clone(),
        nullifier_hash: hex(&[0xff; 32]),
    };
    let e = err(s.register(&alice, &bad_nul, &f.root));
    assert_eq!(
        e.to_string(),
        "malformed nullifier_hash: expected 32 bytes encoding a BLS12-381 scalar below the modulus (little-endian), got 32 bytes"
    );
    assert_eq!(s.snapshot(&f), before);
}

#[test]
fn unknown_and_expired_roots_are_refused() {
    let f = fixture();
    let mut s = Suite::ready(&f);
    let alice = s.addr("alice");
    let provider = s.provider.clone();
    let mut other = f.root.to_vec();
    other[5] ^= 0x10;
    let e = err(s.register(&alice, &f.alice, &hex(&other)));
    assert_eq!(
        e.to_string(),
        format!(
            "root {} is neither the provider's current root nor one of the last 2 roots",
            hex(&other).to_hex()
        )
    );
    // history 2: the fixture root survives two newer roots, not three
    let newer: Vec<HexBinary> = (1u8..=3).map(|i| hex(&[i; 32])).collect();
    s.publish_root(&provider, newer[0].clone()).unwrap();
    s.publish_root(&provider, newer[1].clone()).unwrap();
    let r = s.roots();
    assert_eq!(r.current, Some(newer[1].clone()));
    assert_eq!(r.previous, vec![newer[0].clone(), f.root.clone()]);
    let before = s.snapshot(&f);
    s.publish_root(&provider, newer[2].clone()).unwrap();
    assert_eq!(s.roots().previous, vec![newer[1].clone(), newer[0].clone()]);
    let e = err(s.register(&alice, &f.alice, &f.root));
    assert_eq!(
        e,
        ContractError::UnknownRoot {
            root: f.root.to_hex(),
            history: 2
        }
    );
    assert_ne!(s.snapshot(&f), before);
    // republishing the old root makes it current again
    s.publish_root(&provider, f.root.clone()).unwrap();
    s.register(&alice, &f.alice, &f.root).unwrap();
}

#[test]
fn only_the_provider_publishes_roots() {
    let f = fixture();
    let mut s = Suite::ready(&f);
    let admin = s.admin.clone();
    let before = s.snapshot(&f);
    let e = err(s.publish_root(&admin, hex(&[7; 32])));
    assert_eq!(
        e.to_string(),
        format!("{admin} may not publish a root: only the provider may")
    );
    let provider = s.provider.clone();
    let e = err(s.publish_root(&provider, f.root.clone()));
    assert_eq!(
        e.to_string(),
        format!("root {} is already the current root", f.root.to_hex())
    );
    let e = err(s.publish_root(&provider, hex(&[0xff; 32])));
    assert!(matches!(e, ContractError::MalformedScalar { .. }));
    assert_eq!(s.snapshot(&f), before);
    let res = s.publish_root(&provider, hex(&[7; 32])).unwrap();
    let wasm = res.events.iter().find(|e| e.ty == "wasm").unwrap();
    assert_eq!(wasm.attributes[1].value, "publish_root");
}

#[test]
fn verifying_key_is_admin_only_and_validated() {
    let f = fixture();
    let mut s = Suite::new();
    let alice = s.addr("alice");
    let provider = s.provider.clone();
    s.publish_root(&provider, f.root.clone()).unwrap();
    let e = err(s.register(&alice, &f.alice, &f.root));
    assert_eq!(e.to_string(), "no verifying key has been set");

    let e = err(s.exec(
        &alice,
        &ExecuteMsg::SetVerifyingKey {
            verifying_key: f.verifying_key.clone(),
        },
    ));
    assert_eq!(
        e.to_string(),
        format!("{alice} may not set the verifying key: only the admin may")
    );
    let vk = f.verifying_key.to_vec();
    let admin = s.admin.clone();
    let set = |s: &mut Suite, bytes: Vec<u8>| {
        err(s.exec(
            &admin,
            &ExecuteMsg::SetVerifyingKey {
                verifying_key: hex(&bytes),
            },
        ))
        .to_string()
    };
    assert_eq!(
        set(&mut s, vk[..100].to_vec()),
        "malformed verifying key: expected at least 344 bytes, got 100"
    );
    let mut bad_alpha = vk.clone();
    bad_alpha[..48].copy_from_slice(&[0xff; 48]);
    bad_alpha[0] = 0x9f; // compressed, x above the modulus
    assert!(set(&mut s, bad_alpha).starts_with("malformed verifying key: alpha_g1:"));
    let mut bad_gamma = vk.clone();
    bad_gamma[48 + 96..48 + 192].copy_from_slice(&[0xff; 96]);
    bad_gamma[48 + 96] = 0x9f;
    assert!(set(&mut s, bad_gamma).starts_with("malformed verifying key: gamma_g2:"));
    let mut bad_ic1 = vk.clone();
    let n = bad_ic1.len();
    bad_ic1[n - 48..].copy_from_slice(&[0xff; 48]);
    bad_ic1[n - 48] = 0x9f;
    assert!(set(&mut s, bad_ic1).starts_with("malformed verifying key: IC1:"));
    assert_eq!(
        set(&mut s, vk[..vk.len() - 1].to_vec()),
        "malformed verifying key: 2 IC points announced, 95 bytes follow"
    );
    // a key with two public inputs: count 3, one more IC point
    let mut two = vk.clone();
    two[344 - 8] = 3;
    two.extend_from_slice(&vk[vk.len() - 48..]);
    assert_eq!(
        set(&mut s, two),
        "the verifying key must have exactly 1 public input(s), this one has 2"
    );
    assert!(!s.config().verifying_key_set);

    s.exec(
        &s.admin.clone(),
        &ExecuteMsg::SetVerifyingKey {
            verifying_key: f.verifying_key.clone(),
        },
    )
    .unwrap();
    assert_eq!(
        s.verifying_key().verifying_key,
        Some(f.verifying_key.clone())
    );
    s.register(&alice, &f.alice, &f.root).unwrap();
}

#[test]
fn admin_updates_config() {
    let f = fixture();
    let mut s = Suite::ready(&f);
    let alice = s.addr("alice");
    let update = |h: Option<u32>, reputation: Option<String>| ExecuteMsg::UpdateConfig {
        admin: None,
        provider: None,
        reputation,
        root_history: h,
    };
    let e = err(s.exec(&alice, &update(Some(1), None)));
    assert_eq!(
        e.to_string(),
        format!("{alice} may not update the config: only the admin may")
    );
    let admin = s.admin.clone();
    let e = err(s.exec(&admin, &update(Some(MAX_ROOT_HISTORY + 1), None)));
    assert_eq!(
        e.to_string(),
        "root_history must be between 0 and 64, got 65"
    );
    let provider = s.provider.clone();
    s.publish_root(&provider, hex(&[1; 32])).unwrap();
    s.exec(&admin, &update(Some(0), None)).unwrap();
    assert_eq!(s.roots().previous, Vec::<HexBinary>::new());
    assert_eq!(s.config().root_history, 0);
    // hand the provider role and the admin role over
    let new_admin = s.addr("new-admin");
    s.exec(
        &admin,
        &ExecuteMsg::UpdateConfig {
            admin: Some(new_admin.to_string()),
            provider: Some(alice.to_string()),
            reputation: None,
            root_history: None,
        },
    )
    .unwrap();
    let c = s.config();
    assert_eq!(c.admin, new_admin.to_string());
    assert_eq!(c.provider, alice.to_string());
    s.publish_root(&alice, f.root.clone()).unwrap();
    assert!(err(s.publish_root(&provider, hex(&[2; 32])))
        .to_string()
        .contains("only the provider may"));
}

#[test]
fn registration_needs_a_reputation_contract() {
    let f = fixture();
    let mut app = cw_multi_test::App::default();
    let admin = app.api().addr_make("admin");
    let code = app.store_code(super::suite::zk_verifier());
    // a different address than the suite's: the fixture proofs would not verify anyway,
    // the reputation check comes first
    let v = cw_multi_test::Executor::instantiate_contract(
        &mut app,
        code,
        admin.clone(),
        &crate::msg::InstantiateMsg {
            admin: None,
            provider: admin.to_string(),
            reputation: None,
            verifying_key: Some(f.verifying_key.clone()),
            root_history: None,
        },
        &[],
        "zk",
        None,
    )
    .unwrap();
    cw_multi_test::Executor::execute_contract(
        &mut app,
        admin.clone(),
        v.clone(),
        &ExecuteMsg::PublishRoot {
            root: f.root.clone(),
        },
        &[],
    )
    .unwrap();
    let e = err(cw_multi_test::Executor::execute_contract(
        &mut app,
        admin,
        v,
        &ExecuteMsg::Register {
            proof: f.alice.proof.clone(),
            root: f.root.clone(),
            nullifier_hash: f.alice.nullifier_hash.clone(),
        },
        &[],
    ));
    assert_eq!(e.to_string(), "no reputation contract has been configured");
}

#[test]
fn instantiate_refuses_bad_history_and_key() {
    let mut app = cw_multi_test::App::default();
    let admin = app.api().addr_make("admin");
    let code = app.store_code(super::suite::zk_verifier());
    let msg = |h: Option<u32>, vk: Option<HexBinary>| crate::msg::InstantiateMsg {
        admin: None,
        provider: admin.to_string(),
        reputation: None,
        verifying_key: vk,
        root_history: h,
    };
    let e = cw_multi_test::Executor::instantiate_contract(
        &mut app,
        code,
        admin.clone(),
        &msg(Some(65), None),
        &[],
        "zk",
        None,
    )
    .unwrap_err()
    .downcast::<ContractError>()
    .unwrap();
    assert_eq!(
        e.to_string(),
        "root_history must be between 0 and 64, got 65"
    );
    let e = cw_multi_test::Executor::instantiate_contract(
        &mut app,
        code,
        admin.clone(),
        &msg(None, Some(hex(&[0; 10]))),
        &[],
        "zk",
        None,
    )
    .unwrap_err()
    .downcast::<ContractError>()
    .unwrap();
    assert_eq!(
        e.to_string(),
        "malformed verifying key: expected at least 344 bytes, got 10"
    );
}

#[test]
fn migrating_from_the_json_key_layout_prepares_the_raw_key() {
    // Earlier versions stored the prepared key as JSON under "vk": after the
    // migration the key is read from the raw layout and proofs still verify.
    use cw_multi_test::Executor;
    let f = fixture();
    let mut s = Suite::ready(&f);
    let verifier = s.verifier.clone();
    {
        let mut st = s.app.contract_storage_mut(&verifier);
        st.remove(crate::state::VK_KEY);
        st.set(b"vk", b"{\"old\":\"layout\"}");
    }
    let e = err(s.register(&s.addr("alice"), &f.alice, &f.root));
    assert_eq!(e, ContractError::NoVerifyingKey);
    let code_id = s
        .app
        .wrap()
        .query_wasm_contract_info(&verifier)
        .unwrap()
        .code_id;
    s.app
        .migrate_contract(
            s.admin.clone(),
            verifier.clone(),
            &crate::msg::MigrateMsg {},
            code_id,
        )
        .unwrap();
    let st = s.app.contract_storage(&verifier);
    assert_eq!(st.get(b"vk"), None);
    assert!(st.get(crate::state::VK_KEY).is_some());
    drop(st);
    s.register(&s.addr("alice"), &f.alice, &f.root).unwrap();
    assert_eq!(s.minted(), vec![s.addr("alice").to_string()]);
}
