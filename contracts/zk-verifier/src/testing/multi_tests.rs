use ark_bls12_381::Fr;
use cosmwasm_std::HexBinary;
use zk_kyc::prover::ProveError;

use super::suite::{
    err, fr_hex, hex, kyc, other_key, prove_for, prove_with, Lists, Published, Reg, Suite, EXPIRY,
    GRACE,
};
use crate::msg::{Eligibility, ExecuteMsg, RootKind};
use crate::ContractError;

#[test]
fn instantiate_sets_roles_policy_and_empty_lists() {
    let s = Suite::new();
    let c = s.config();
    assert_eq!(c.admin, s.admin.to_string());
    assert_eq!(c.provider, s.provider.to_string());
    assert_eq!(c.compliance, s.compliance.to_string());
    assert_eq!(c.grace_period, GRACE);
    assert_eq!(c.premium_max_age_days, 7);
    let ext: Fr = zk_kyc::external_nullifier(&c.chain_id, s.verifier.as_str());
    assert_eq!(c.external_nullifier, fr_hex(ext));
    let r = s.roots();
    assert_eq!(r.identity, None);
    assert_eq!(r.context, None);
    assert_eq!(r.sanctions, fr_hex(zk_kyc::set::empty_root()));
    assert_eq!(r.revocation, r.sanctions);
    assert_eq!(r.lists_generation, 0);
}

#[test]
fn a_clean_identity_registers_once_and_is_eligible() {
    let k = kyc();
    let mut s = Suite::ready();
    let alice = s.addr("alice");
    let clean = Published::everyone();
    let lists = clean.lists();
    let reg = s.prove(&k.alice, &alice, &lists);
    assert_eq!(Some(reg.context.clone()), s.roots().context);
    assert_eq!(s.eligibility(&alice).status, Eligibility::Unregistered);

    let res = s.register(&alice, &reg).unwrap();
    let wasm = res.events.iter().find(|e| e.ty == "wasm").unwrap();
    assert_eq!(wasm.attributes[1].key, "action");
    assert_eq!(wasm.attributes[1].value, "register");
    assert_eq!(s.minted(), vec![alice.to_string()]);
    let n = s.nullifier(&reg.nullifier_hash);
    assert!(n.used);
    assert_eq!(n.account, Some(alice.to_string()));
    let e = s.eligibility(&alice);
    assert_eq!(e.status, Eligibility::Eligible);
    assert!(e.eligible && e.premium);
    assert_eq!(e.proved_at, Some(s.now()));
    assert_eq!(e.valid_until, Some(EXPIRY));
    assert_eq!(e.reproof_by, None);
    let st = s.stats();
    assert_eq!((st.registered, st.eligible, st.premium), (1, 1, 1));

    // the same identity again, for carol's address: refused, nothing stored
    let carol = s.addr("carol");
    let for_carol = s.prove(&k.alice, &carol, &lists);
    assert_eq!(for_carol.nullifier_hash, reg.nullifier_hash);
    let e = s.refused(&carol, &for_carol);
    assert_eq!(
        e.to_string(),
        format!(
            "nullifier {} was already used by {alice}: this identity has registered another account",
            reg.nullifier_hash.to_hex()
        )
    );

    // another identity for alice's address: reputation refuses her second token
    let bob_for_alice = s.prove(&k.bob, &alice, &lists);
    let before = s.snapshot();
    let e = s.register(&alice, &bob_for_alice).unwrap_err();
    assert!(format!("{e:?}").contains("already has a token"), "{e:?}");
    assert_eq!(s.snapshot(), before);
    assert!(!s.nullifier(&bob_for_alice.nullifier_hash).used);
}

#[test]
fn proof_for_another_address_or_contract_is_rejected() {
    let k = kyc();
    let mut s = Suite::ready();
    let (bob, carol) = (s.addr("bob"), s.addr("carol"));
    let clean = Published::everyone();
    let lists = clean.lists();
    let before = s.snapshot();
    // bob's proof, sent by carol
    let for_bob = s.prove(&k.bob, &bob, &lists);
    let e = err(s.register(&carol, &for_bob));
    assert_eq!(
        e,
        ContractError::InvalidProof {
            sender: carol.to_string(),
            context: for_bob.context.to_hex(),
            nullifier_hash: for_bob.nullifier_hash.to_hex(),
            valid_until: EXPIRY,
        }
    );
    assert!(e.to_string().starts_with(
        "proof rejected: it does not prove an unexpired, unsanctioned, unrevoked credential under context"
    ));
    // a proof for another verifier contract: its context is unknown here ...
    let other: Fr = zk_kyc::external_nullifier(&s.config().chain_id, "wasm1otherverifier");
    let elsewhere = prove_for(&k.bob, &bob, &lists, other, EXPIRY).unwrap();
    let e = err(s.register(&bob, &elsewhere));
    assert_eq!(
        e.to_string(),
        format!(
            "unknown context {}: it was never this verifier's (roots not published here, or a proof for another verifier or chain); prove against the current roots (query `roots`)",
            elsewhere.context.to_hex()
        )
    );
    // ... and with this verifier's context named instead, it does not verify
    let renamed = Reg {
        context: for_bob.context.clone(),
        ..elsewhere
    };
    assert!(matches!(
        err(s.register(&bob, &renamed)),
        ContractError::InvalidProof { .. }
    ));
    // another valid_until than the proof's
    let later = Reg {
        valid_until: EXPIRY - 1,
        ..for_bob.clone()
    };
    assert!(matches!(
        err(s.register(&bob, &later)),
        ContractError::InvalidProof { .. }
    ));
    assert_eq!(s.snapshot(), before);
    s.register(&bob, &for_bob).unwrap();
}

#[test]
fn random_bytes_and_malformed_values_are_refused() {
    let k = kyc();
    let mut s = Suite::ready();
    let alice = s.addr("alice");
    let clean = Published::everyone();
    let lists = clean.lists();
    let good = s.prove(&k.alice, &alice, &lists);
    let before = s.snapshot();

    let with_proof = |p: Vec<u8>| Reg {
        proof: hex(&p),
        ..good.clone()
    };
    let e = err(s.register(&alice, &with_proof(good.proof[..191].to_vec())));
    assert_eq!(
        e.to_string(),
        "malformed proof: expected 192 bytes (compressed A|B|C), got 191"
    );
    // random bytes: either not curve points or a proof that does not verify
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..4 {
        let bytes: Vec<u8> = (0..192)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        match err(s.register(&alice, &with_proof(bytes))) {
            ContractError::ProofPoints { reason } => assert!(
                reason.starts_with("A, B or C is not a valid compressed curve point"),
                "{reason}"
            ),
            ContractError::InvalidProof { .. } => {}
            other => panic!("unexpected {other}"),
        }
    }
    // valid points that are not a proof: A, B, C of the real proof shuffled
    let mut swapped = good.proof.to_vec();
    swapped.copy_within(0..48, 144);
    let e = err(s.register(&alice, &with_proof(swapped)));
    assert!(matches!(e, ContractError::InvalidProof { .. }), "{e}");

    let e = err(s.register(
        &alice,
        &Reg {
            context: hex(&[1u8; 31]),
            ..good.clone()
        },
    ));
    assert_eq!(
        e.to_string(),
        "malformed context: expected 32 bytes encoding a BLS12-381 scalar below the modulus (little-endian), got 31 bytes"
    );
    let e = err(s.register(
        &alice,
        &Reg {
            nullifier_hash: hex(&[0xff; 32]),
            ..good.clone()
        },
    ));
    assert_eq!(
        e,
        ContractError::MalformedScalar {
            field: "nullifier_hash".into(),
            len: 32
        }
    );
    assert_eq!(s.snapshot(), before);
    assert_eq!(s.eligibility(&alice).status, Eligibility::Unregistered);
}

#[test]
fn expired_credentials_are_refused_and_registrations_expire() {
    let k = kyc();
    let mut s = Suite::ready();
    let alice = s.addr("alice");
    let clean = Published::everyone();
    let lists = clean.lists();
    // a proof valid until a moment already past
    let past = s.now() - 1;
    let old = prove_for(&k.alice, &alice, &lists, s.external_nullifier(), past).unwrap();
    let e = s.refused(&alice, &old);
    assert_eq!(
        e.to_string(),
        format!(
            "credential expired: the proof is valid until {past}, block time is {}; renew the credential with the provider and prove again",
            s.now()
        )
    );
    // the prover cannot claim a valid_until after the credential's expiry
    assert_eq!(
        prove_for(&k.alice, &alice, &lists, s.external_nullifier(), EXPIRY + 1).unwrap_err(),
        ProveError::Expired {
            expiry: EXPIRY,
            valid_until: EXPIRY + 1
        }
    );

    // registered until EXPIRY, then expired
    s.register(&alice, &s.prove(&k.alice, &alice, &lists))
        .unwrap();
    s.advance(EXPIRY - s.now() - 1);
    assert_eq!(s.eligibility(&alice).status, Eligibility::Eligible);
    s.advance(1);
    let e = s.eligibility(&alice);
    assert_eq!(e.status, Eligibility::Expired);
    assert!(!e.eligible && !e.premium);
    let st = s.stats();
    assert_eq!((st.registered, st.eligible, st.expired), (1, 0, 1));

    // the provider renews her credential: she proves again and is eligible
    let renewed = k.alice.renewed(EXPIRY + 365 * 86_400);
    let tree2 = k.tree(&[&renewed, &k.bob]);
    s.publish_root(&tree2).unwrap();
    let lists2 = Lists {
        tree: &tree2,
        sanctions: &clean.sanctions,
        revocations: &clean.revocations,
    };
    let reg = prove_for(
        &renewed,
        &alice,
        &lists2,
        s.external_nullifier(),
        EXPIRY + 30 * 86_400,
    )
    .unwrap();
    let res = s.register(&alice, &reg).unwrap();
    let wasm = res.events.iter().find(|e| e.ty == "wasm").unwrap();
    assert_eq!(wasm.attributes[1].value, "renew");
    assert_eq!(s.minted(), vec![alice.to_string()], "no second token");
    let e = s.eligibility(&alice);
    assert_eq!(e.status, Eligibility::Eligible);
    assert_eq!(e.valid_until, Some(EXPIRY + 30 * 86_400));
}

#[test]
fn replaced_sanctions_root_is_accepted_for_the_grace_period_then_refused() {
    let k = kyc();
    let mut s = Suite::ready();
    let (alice, bob, mallory) = (s.addr("alice"), s.addr("bob"), s.addr("mallory"));
    let clean = Published::everyone();
    let before_lists = clean.lists();
    let old_alice = s.prove(&k.alice, &alice, &before_lists);
    let old_bob = s.prove(&k.bob, &bob, &before_lists);
    let old_mallory = s.prove(&k.mallory, &mallory, &before_lists);
    s.register(&alice, &old_alice).unwrap();

    // the compliance role sanctions mallory
    let sanctions = k.set(&[&k.mallory]);
    let t0 = s.now();
    s.publish_sanctions(&sanctions).unwrap();
    let r = s.roots();
    assert_eq!(r.sanctions, fr_hex(sanctions.root()));
    assert_eq!(r.lists_generation, 1);
    assert_ne!(r.context, Some(old_alice.context.clone()));
    let c = s.context(&old_alice.context);
    assert!(c.known && !c.current);
    assert_eq!(c.replaced_by, Some(RootKind::Sanctions));
    assert_eq!(c.accepted_until, Some(t0 + GRACE));

    // in the grace period the old context still registers, and alice is eligible
    s.advance(GRACE - 1);
    s.register(&bob, &old_bob).unwrap();
    let e = s.eligibility(&alice);
    assert_eq!(e.status, Eligibility::Eligible);
    assert_eq!(e.reproof_by, Some(t0 + GRACE));

    // after it: refused with the reason, and accounts on the old lists must prove again
    s.advance(1);
    let e = s.refused(&mallory, &old_mallory);
    assert_eq!(
        e.to_string(),
        format!(
            "stale context {}: its sanctions root was replaced at {t0} and proofs against it were accepted until {}; prove again against the current roots (query `roots`)",
            old_mallory.context.to_hex(),
            t0 + GRACE
        )
    );
    let e = s.eligibility(&alice);
    assert_eq!(e.status, Eligibility::NeedsReproof);
    assert!(!e.eligible);
    let st = s.stats();
    assert_eq!((st.registered, st.eligible, st.needs_reproof), (2, 0, 2));

    // mallory cannot prove against the new list; alice can, and is eligible again
    let now_lists = Lists {
        tree: &clean.tree,
        sanctions: &sanctions,
        revocations: &clean.revocations,
    };
    assert_eq!(
        prove_for(
            &k.mallory,
            &mallory,
            &now_lists,
            s.external_nullifier(),
            EXPIRY
        )
        .unwrap_err(),
        ProveError::Sanctioned
    );
    s.register(&alice, &s.prove(&k.alice, &alice, &now_lists))
        .unwrap();
    assert_eq!(s.eligibility(&alice).status, Eligibility::Eligible);
    assert_eq!(s.eligibility(&alice).reproof_by, None);
    assert!(s.minted().len() == 2 && !s.minted().contains(&mallory.to_string()));

    // a context that never existed
    let e = err(s.register(
        &alice,
        &Reg {
            context: fr_hex(Fr::from(7u64)),
            ..old_alice
        },
    ));
    assert!(matches!(e, ContractError::UnknownContext { .. }));
}

#[test]
fn a_revoked_identity_loses_eligibility_and_cannot_prove_again() {
    let k = kyc();
    let mut s = Suite::ready();
    let (alice, trudy) = (s.addr("alice"), s.addr("trudy"));
    let clean = Published::everyone();
    let lists = clean.lists();
    s.register(&trudy, &s.prove(&k.trudy, &trudy, &lists))
        .unwrap();
    s.register(&alice, &s.prove(&k.alice, &alice, &lists))
        .unwrap();

    // the provider revokes trudy's identity
    let revoked = k.set(&[&k.trudy]);
    s.publish_revocations(&revoked).unwrap();
    assert_eq!(
        s.context(&s.prove(&k.alice, &alice, &lists).context)
            .replaced_by,
        Some(RootKind::Revocation)
    );
    assert!(s.eligibility(&trudy).eligible, "grace period");
    s.advance(GRACE);
    let e = s.eligibility(&trudy);
    assert_eq!(e.status, Eligibility::NeedsReproof);
    assert!(!e.eligible && !e.premium);

    let now_lists = Lists {
        tree: &clean.tree,
        sanctions: &clean.sanctions,
        revocations: &revoked,
    };
    assert_eq!(
        prove_for(&k.trudy, &trudy, &now_lists, s.external_nullifier(), EXPIRY).unwrap_err(),
        ProveError::Revoked
    );
    // her old proof is stale
    let e = err(s.register(&trudy, &s.prove(&k.trudy, &trudy, &lists)));
    assert!(matches!(
        e,
        ContractError::StaleContext {
            replaced_by: RootKind::Revocation,
            ..
        }
    ));
    // alice renews against the new lists; trudy stays out
    s.register(&alice, &s.prove(&k.alice, &alice, &now_lists))
        .unwrap();
    assert!(s.eligibility(&alice).eligible);
    let st = s.stats();
    assert_eq!((st.registered, st.eligible, st.needs_reproof), (2, 1, 1));
}

#[test]
fn premium_needs_a_proof_younger_than_the_limit() {
    let k = kyc();
    let mut s = Suite::ready();
    let alice = s.addr("alice");
    let clean = Published::everyone();
    let lists = clean.lists();
    s.register(&alice, &s.prove(&k.alice, &alice, &lists))
        .unwrap();
    let t0 = s.now();
    assert_eq!(s.eligibility(&alice).premium_until, Some(t0 + 7 * 86_400));
    s.advance(7 * 86_400 - 1);
    assert!(s.eligibility(&alice).premium);
    s.advance(1);
    let e = s.eligibility(&alice);
    assert!(e.eligible && !e.premium);
    assert_eq!(s.stats().premium, 0);
    // a fresh proof (the same identity renews) restores premium
    s.register(&alice, &s.prove(&k.alice, &alice, &lists))
        .unwrap();
    assert!(s.eligibility(&alice).premium);
}

#[test]
fn stats_page_over_accounts_without_naming_identities() {
    let k = kyc();
    let mut s = Suite::ready();
    let clean = Published::everyone();
    let lists = clean.lists();
    for (name, p) in [("alice", &k.alice), ("bob", &k.bob), ("carol", &k.carol)] {
        let a = s.addr(name);
        s.register(&a, &s.prove(p, &a, &lists)).unwrap();
    }
    let page = |s: &Suite, start_after: Option<String>| -> crate::msg::StatsResponse {
        s.query(&crate::msg::QueryMsg::Stats {
            start_after,
            limit: Some(2),
        })
    };
    let p1 = page(&s, None);
    assert_eq!(p1.registered, 2);
    let p2 = page(&s, p1.next.clone());
    assert_eq!(p2.registered, 1);
    assert_eq!(p2.next, None);
    assert_eq!(s.stats().registered, 3);
}

#[test]
fn only_the_roles_publish_roots() {
    let mut s = Suite::new();
    let alice = s.addr("alice");
    let (provider, compliance) = (s.provider.clone(), s.compliance.clone());
    let root = fr_hex(Fr::from(5u64));
    let msgs = [
        (
            ExecuteMsg::PublishRoot { root: root.clone() },
            "publish an identity root: only the provider",
        ),
        (
            ExecuteMsg::PublishRevocationRoot { root: root.clone() },
            "publish a revocation root: only the provider",
        ),
        (
            ExecuteMsg::PublishSanctionsRoot { root: root.clone() },
            "publish a sanctions root: only the compliance role",
        ),
    ];
    let before = s.snapshot();
    for (m, text) in &msgs {
        assert_eq!(
            err(s.exec(&alice, m)).to_string(),
            format!("{alice} may not {text}")
        );
    }
    // the provider may not publish sanctions, nor compliance identities
    assert!(err(s.exec(&provider, &msgs[2].0))
        .to_string()
        .ends_with("only the compliance role"));
    assert!(err(s.exec(&compliance, &msgs[0].0))
        .to_string()
        .ends_with("only the provider"));
    let e = err(s.exec(
        &provider,
        &ExecuteMsg::PublishRoot {
            root: hex(&[0xff; 32]),
        },
    ));
    assert_eq!(
        e,
        ContractError::MalformedScalar {
            field: "root".into(),
            len: 32
        }
    );
    assert_eq!(s.snapshot(), before);
    s.exec(&provider, &msgs[0].0).unwrap();
    let e = err(s.exec(&provider, &msgs[0].0));
    assert_eq!(
        e.to_string(),
        format!("identity root {} is already the current one", root.to_hex())
    );
    // the empty sanctions set is already current
    let e = err(s.exec(
        &compliance,
        &ExecuteMsg::PublishSanctionsRoot {
            root: s.roots().sanctions,
        },
    ));
    assert!(matches!(
        e,
        ContractError::RootAlreadyCurrent {
            kind: RootKind::Sanctions,
            ..
        }
    ));
    s.exec(&compliance, &msgs[2].0).unwrap();
    assert_eq!(s.roots().lists_generation, 1);
}

#[test]
fn verifying_key_is_admin_only_and_validated() {
    let k = kyc();
    let mut s = Suite::new();
    let alice = s.addr("alice");
    let clean = Published::everyone();
    s.publish_root(&clean.tree).unwrap();
    let lists = clean.lists();
    let reg = s.prove(&k.alice, &alice, &lists);
    let e = err(s.register(&alice, &reg));
    assert_eq!(e.to_string(), "no verifying key has been set");
    let f = k;
    let e = err(s.exec(
        &alice,
        &ExecuteMsg::SetVerifyingKey {
            verifying_key: f.verifying_key.clone(),
        },
    ));
    assert_eq!(
        e.to_string(),
        format!("{alice} may not set the verifying key: only the admin")
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
    s.register(&alice, &reg).unwrap();
}

#[test]
fn admin_updates_roles_and_policy() {
    let mut s = Suite::ready();
    let alice = s.addr("alice");
    let update = |grace: Option<u64>, days: Option<u32>| ExecuteMsg::UpdateConfig {
        admin: None,
        provider: None,
        compliance: None,
        reputation: None,
        grace_period: grace,
        premium_max_age_days: days,
    };
    let before = s.snapshot();
    let e = err(s.exec(&alice, &update(Some(1), None)));
    assert_eq!(
        e.to_string(),
        format!("{alice} may not update the config: only the admin")
    );
    let admin = s.admin.clone();
    let e = err(s.exec(&admin, &update(Some(30 * 86_400 + 1), None)));
    assert_eq!(
        e.to_string(),
        "grace_period must be at most 2592000 seconds, got 2592001"
    );
    let e = err(s.exec(&admin, &update(None, Some(0))));
    assert_eq!(
        e.to_string(),
        "premium_max_age_days must be at least 1, got 0"
    );
    assert_eq!(s.snapshot(), before);
    s.exec(&admin, &update(Some(60), Some(3))).unwrap();
    let c = s.config();
    assert_eq!((c.grace_period, c.premium_max_age_days), (60, 3));
    // hand the roles over
    let new_admin = s.addr("new-admin");
    s.exec(
        &admin,
        &ExecuteMsg::UpdateConfig {
            admin: Some(new_admin.to_string()),
            provider: Some(alice.to_string()),
            compliance: Some(alice.to_string()),
            reputation: None,
            grace_period: None,
            premium_max_age_days: None,
        },
    )
    .unwrap();
    let c = s.config();
    assert_eq!(c.admin, new_admin.to_string());
    assert_eq!(
        (c.provider.clone(), c.compliance),
        (alice.to_string(), alice.to_string())
    );
    s.exec(
        &alice,
        &ExecuteMsg::PublishSanctionsRoot {
            root: fr_hex(Fr::from(3u64)),
        },
    )
    .unwrap();
}

#[test]
fn registration_needs_a_reputation_contract() {
    use cw_multi_test::Executor;
    let k = kyc();
    let mut app = cw_multi_test::App::default();
    let admin = app.api().addr_make("admin");
    let code = app.store_code(super::suite::zk_verifier());
    let v = app
        .instantiate_contract(
            code,
            admin.clone(),
            &Suite::instantiate_msg(&app, Some(k.verifying_key.clone())),
            &[],
            "zk",
            None,
        )
        .unwrap();
    let clean = Published::everyone();
    let provider = app.api().addr_make("provider");
    app.execute_contract(
        provider,
        v.clone(),
        &ExecuteMsg::PublishRoot {
            root: fr_hex(clean.tree.root()),
        },
        &[],
    )
    .unwrap();
    let ext: Fr = zk_kyc::external_nullifier(&app.block_info().chain_id, v.as_str());
    let lists = clean.lists();
    let reg = prove_for(&k.alice, &admin, &lists, ext, EXPIRY).unwrap();
    let e = err(app.execute_contract(
        admin,
        v,
        &ExecuteMsg::Register {
            proof: reg.proof,
            context: reg.context,
            nullifier_hash: reg.nullifier_hash,
            valid_until: reg.valid_until,
        },
        &[],
    ));
    assert_eq!(e.to_string(), "no reputation contract has been configured");
}

#[test]
fn instantiate_refuses_bad_policy_and_key() {
    use cw_multi_test::Executor;
    let mut app = cw_multi_test::App::default();
    let admin = app.api().addr_make("admin");
    let code = app.store_code(super::suite::zk_verifier());
    let base = Suite::instantiate_msg(&app, None);
    let mut inst = |m: &crate::msg::InstantiateMsg| {
        app.instantiate_contract(code, admin.clone(), m, &[], "zk", None)
            .unwrap_err()
            .downcast::<ContractError>()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        inst(&crate::msg::InstantiateMsg {
            grace_period: Some(u64::MAX),
            ..base.clone()
        }),
        format!(
            "grace_period must be at most 2592000 seconds, got {}",
            u64::MAX
        )
    );
    assert_eq!(
        inst(&crate::msg::InstantiateMsg {
            premium_max_age_days: Some(0),
            ..base.clone()
        }),
        "premium_max_age_days must be at least 1, got 0"
    );
    assert_eq!(
        inst(&crate::msg::InstantiateMsg {
            verifying_key: Some(HexBinary::from(&[0u8; 10])),
            ..base
        }),
        "malformed verifying key: expected at least 344 bytes, got 10"
    );
}

#[test]
fn the_compiled_key_and_a_stored_key_both_verify_their_own_proofs_only() {
    let k = kyc();
    let other = other_key();
    // a key this code does not compile in: prepared and stored
    let mut s = Suite::with_key(Some(other.verifying_key.clone()));
    let clean = Published::everyone();
    s.publish_root(&clean.tree).unwrap();
    let c = s.config();
    assert!(c.verifying_key_set && !c.verifying_key_in_code);
    let lists = clean.lists();
    let (alice, bob) = (s.addr("alice"), s.addr("bob"));
    let ext = s.external_nullifier();
    let by_other = prove_with(&other.pk, &k.alice, &alice, &lists, ext, EXPIRY).unwrap();
    let by_dev = s.prove(&k.bob, &bob, &lists);
    // a proof under the compiled key does not verify under the stored one
    let e = s.refused(&bob, &by_dev);
    assert!(e.to_string().starts_with("proof rejected:"), "{e}");
    s.register(&alice, &by_other).unwrap();
    assert!(s.eligibility(&alice).eligible);

    // the admin switches to the compiled key: the attribute and config say so
    let admin = s.admin.clone();
    let res = s
        .exec(
            &admin,
            &ExecuteMsg::SetVerifyingKey {
                verifying_key: k.verifying_key.clone(),
            },
        )
        .unwrap();
    let wasm = res.events.iter().find(|e| e.ty == "wasm").unwrap();
    assert_eq!(wasm.attributes[1].value, "set_verifying_key");
    assert_eq!(wasm.attributes[2].key, "in_code");
    assert_eq!(wasm.attributes[2].value, "true");
    assert!(s.config().verifying_key_in_code);
    assert_eq!(
        s.verifying_key().verifying_key,
        Some(k.verifying_key.clone())
    );
    // alice's renewal under the old key is now refused, bob's proof accepted
    let e = s.refused(&alice, &by_other);
    assert!(e.to_string().starts_with("proof rejected:"), "{e}");
    s.register(&bob, &by_dev).unwrap();
    let mut minted = s.minted();
    minted.sort();
    let mut want = vec![alice.to_string(), bob.to_string()];
    want.sort();
    assert_eq!(minted, want);

    // a new reputation contract keeps the key where it is
    let carol = s.addr("carol");
    let rep2 = s.reputation.clone();
    s.exec(
        &admin,
        &ExecuteMsg::UpdateConfig {
            admin: None,
            provider: None,
            compliance: None,
            reputation: Some(rep2.to_string()),
            grace_period: None,
            premium_max_age_days: None,
        },
    )
    .unwrap();
    assert!(s.config().verifying_key_in_code);
    let by_dev = s.prove(&k.carol, &carol, &lists);
    s.register(&carol, &by_dev).unwrap();
    assert!(s.eligibility(&carol).eligible);
}

#[test]
fn migrate_rederives_where_the_key_is_and_drops_the_old_layout() {
    use cw_multi_test::Executor;
    let k = kyc();
    let mut s = Suite::ready();
    let clean = Published::everyone();
    let lists = clean.lists();
    let alice = s.addr("alice");
    let reg = s.prove(&k.alice, &alice, &lists);
    let verifier = s.verifier.clone();
    let code_id = s.app.contract_data(&verifier).unwrap().code_id;
    let migrate = |s: &mut Suite| {
        let admin = s.admin.clone();
        s.app
            .migrate_contract(admin, verifier.clone(), &crate::msg::MigrateMsg {}, code_id)
            .unwrap()
    };

    // a record naming a compiled key this code lacks (code that dropped it):
    // refused with a clear error, nothing stored; migrate falls back to storage
    s.app.contract_storage_mut(&verifier).set(b"r", &[1, 5, 0]);
    let e = s.refused(&alice, &reg);
    assert!(
        e.to_string()
            .contains("the register record names compiled key 5, which this code lacks"),
        "{e}"
    );
    let res = migrate(&mut s);
    let wasm = res.events.iter().find(|e| e.ty == "wasm").unwrap();
    assert_eq!(wasm.attributes[1].value, "migrate");
    assert!(s.config().verifying_key_in_code);

    // the layout before the register record: reputation and prepared key
    // under their own keys, no record
    {
        let mut st = s.app.contract_storage_mut(&verifier);
        st.remove(b"r");
        st.set(b"rep", b"\"old\"");
        st.set(b"vkp", &[7u8; 1104]);
    }
    let e = err(s.register(&alice, &reg));
    assert_eq!(e.to_string(), "no verifying key has been set");
    migrate(&mut s);
    {
        let st = s.app.contract_storage(&verifier);
        assert_eq!(st.get(b"rep"), None);
        assert_eq!(st.get(b"vkp"), None);
        assert!(st.get(b"r").is_some());
    }
    s.register(&alice, &reg).unwrap();
    assert_eq!(s.minted(), vec![alice.to_string()]);
}

#[test]
fn settlement_checks_a_batch_of_accounts_in_one_query() {
    use aip_types::hooks::{AccountEligibility, EligibilitiesResponse, KycQueryHook};
    let k = kyc();
    let mut s = Suite::ready();
    let clean = Published::everyone();
    let lists = clean.lists();
    let [alice, bob, carol, dave, erin] =
        ["alice", "bob", "carol", "dave", "erin"].map(|n| s.addr(n));
    let ext = s.external_nullifier();
    // alice and carol until EXPIRY, bob only for 1,000 s; dave and erin never
    s.register(&alice, &s.prove(&k.alice, &alice, &lists))
        .unwrap();
    s.register(&carol, &s.prove(&k.carol, &carol, &lists))
        .unwrap();
    let short = prove_for(&k.bob, &bob, &lists, ext, s.now() + 1_000).unwrap();
    s.register(&bob, &short).unwrap();
    // eight days later (premium lasts 7): the compliance role sanctions
    // mallory; after the grace period everyone registered must prove again
    s.advance(8 * 86_400);
    let sanctions = k.set(&[&k.mallory]);
    s.publish_sanctions(&sanctions).unwrap();
    s.advance(GRACE);
    // alice proves against the new lists: eligible and premium again
    let new_lists = Lists {
        tree: &clean.tree,
        sanctions: &sanctions,
        revocations: &clean.revocations,
    };
    s.register(&alice, &s.prove(&k.alice, &alice, &new_lists))
        .unwrap();

    // settlement's message, as aip-types serializes it, and its answer type
    let batch = vec![&alice, &bob, &carol, &dave, &alice, &erin]
        .into_iter()
        .map(|a| a.to_string())
        .collect::<Vec<_>>();
    let res: EligibilitiesResponse = s
        .app
        .wrap()
        .query_wasm_smart(
            &s.verifier,
            &KycQueryHook::Eligibilities {
                accounts: batch.clone(),
            },
        )
        .unwrap();
    let row = |account: &cosmwasm_std::Addr, eligible, premium, reason| AccountEligibility {
        account: account.to_string(),
        eligible,
        premium_eligible: premium,
        reason,
    };
    assert_eq!(
        res.eligibilities,
        vec![
            row(&alice, true, true, Eligibility::Eligible),
            row(&bob, false, false, Eligibility::Expired),
            row(&carol, false, false, Eligibility::NeedsReproof),
            row(&dave, false, false, Eligibility::Unregistered),
            row(&alice, true, true, Eligibility::Eligible),
            row(&erin, false, false, Eligibility::Unregistered),
        ]
    );
    // the same rule as the single query
    for (a, e) in batch.iter().zip(&res.eligibilities) {
        let one = s.eligibility(&cosmwasm_std::Addr::unchecked(a));
        assert_eq!(
            (one.eligible, one.premium, one.status),
            (e.eligible, e.premium_eligible, e.reason),
            "{a}"
        );
    }
    // a week later alice is still eligible, no longer premium
    s.advance(7 * 86_400);
    let res: EligibilitiesResponse = s.query(&crate::msg::QueryMsg::Eligibilities {
        accounts: vec![alice.to_string()],
    });
    assert_eq!(
        res.eligibilities,
        vec![row(&alice, true, false, Eligibility::Eligible)]
    );
    // nothing asked, nothing answered
    let res: EligibilitiesResponse =
        s.query(&crate::msg::QueryMsg::Eligibilities { accounts: vec![] });
    assert!(res.eligibilities.is_empty());
}

#[test]
fn batch_eligibility_refuses_long_lists_and_invalid_addresses() {
    use crate::msg::{QueryMsg, MAX_ELIGIBILITY_ACCOUNTS};
    let s = Suite::ready();
    let alice = s.addr("alice").to_string();
    let ask = |accounts: Vec<String>| {
        s.app
            .wrap()
            .query_wasm_smart::<crate::msg::EligibilitiesResponse>(
                &s.verifier,
                &QueryMsg::Eligibilities { accounts },
            )
            .unwrap_err()
            .to_string()
    };
    let e = ask(vec![alice.clone(); MAX_ELIGIBILITY_ACCOUNTS + 1]);
    assert!(
        e.contains("eligibilities: at most 1000 accounts per query, got 1001; split the batch"),
        "{e}"
    );
    let e = ask(vec![alice.clone(), alice.clone(), "wasm1nope".into()]);
    assert!(
        e.contains("eligibilities: account 2 (\"wasm1nope\") is not a valid address:"),
        "{e}"
    );
    // the limit itself is accepted
    let ok: crate::msg::EligibilitiesResponse = s.query(&QueryMsg::Eligibilities {
        accounts: vec![alice; MAX_ELIGIBILITY_ACCOUNTS],
    });
    assert_eq!(ok.eligibilities.len(), MAX_ELIGIBILITY_ACCOUNTS);
    assert!(ok
        .eligibilities
        .iter()
        .all(|e| e.reason == Eligibility::Unregistered));
}
