use aip_types::hooks::reputation::{PriorityScoresResponse, Ruling, Tier};
use cosmwasm_std::{to_json_binary, Addr, Empty};
use cw721::msg::{
    AllNftInfoResponse, CollectionInfoMsg, NftInfoResponse, NumTokensResponse, OwnerOfResponse,
    TokensResponse,
};
use cw721::Expiration;

use cw_multi_test::Executor;

use super::suite::Suite;
use crate::msg::{
    ContractConfigResponse, ExecuteMsg, PairReviewsResponse, QueryMsg, ReputationMetadata,
    TierTerms,
};

fn owner_of(s: &Suite, token_id: &str) -> String {
    let r: OwnerOfResponse = s.query(&QueryMsg::OwnerOf {
        token_id: token_id.into(),
        include_expired: None,
    });
    r.owner
}

// ---------------------------------------------------------------- soulbound

#[test]
fn transfers_sends_and_approvals_are_refused() {
    let mut s = Suite::new();
    let alice = s.addr("alice");
    let bob = s.addr("bob");
    s.mint(&alice);
    let id = alice.to_string();
    let cases = [
        (
            ExecuteMsg::TransferNft {
                recipient: bob.to_string(),
                token_id: id.clone(),
            },
            "transfer_nft",
        ),
        (
            ExecuteMsg::SendNft {
                contract: bob.to_string(),
                token_id: id.clone(),
                msg: to_json_binary(&Empty {}).unwrap(),
            },
            "send_nft",
        ),
        (
            ExecuteMsg::Approve {
                spender: bob.to_string(),
                token_id: id.clone(),
                expires: Some(Expiration::Never {}),
            },
            "approve",
        ),
        (
            ExecuteMsg::Revoke {
                spender: bob.to_string(),
                token_id: id.clone(),
            },
            "revoke",
        ),
        (
            ExecuteMsg::ApproveAll {
                operator: bob.to_string(),
                expires: None,
            },
            "approve_all",
        ),
        (
            ExecuteMsg::RevokeAll {
                operator: bob.to_string(),
            },
            "revoke_all",
        ),
    ];
    for (msg, action) in cases {
        // Neither the owner nor the admin can move the token.
        for sender in [alice.clone(), s.admin.clone()] {
            assert_eq!(
                s.err(&sender, &msg),
                format!("reputation tokens are soulbound: {action} is not allowed")
            );
        }
    }
    assert_eq!(owner_of(&s, &id), alice.to_string());
    let r: cw721::msg::ApprovalsResponse = s.query(&QueryMsg::Approvals {
        token_id: id,
        include_expired: Some(true),
    });
    assert!(r.approvals.is_empty());
}

// ---------------------------------------------------------------- minting

#[test]
fn admin_mints_until_a_verifier_is_set_then_only_the_verifier() {
    let mut s = Suite::new();
    let alice = s.addr("alice");
    let bob = s.addr("bob");
    let carol = s.addr("carol");
    let verifier = s.addr("zk-verifier");
    let stranger = s.addr("stranger");

    assert_eq!(
        s.err(
            &stranger,
            &ExecuteMsg::MintFor {
                owner: alice.to_string()
            }
        ),
        format!("{stranger} may not mint: only the admin (no zk-verifier is set)")
    );
    s.mint(&alice);
    assert_eq!(owner_of(&s, alice.as_str()), alice.to_string());

    let admin = s.admin.clone();
    s.exec(
        &admin,
        &ExecuteMsg::UpdateConfig {
            admin: None,
            settlement: None,
            zk_verifier: Some(verifier.to_string()),
            guardian: None,
            review_window_secs: None,
        },
    )
    .unwrap();
    assert_eq!(
        s.err(
            &admin,
            &ExecuteMsg::MintFor {
                owner: bob.to_string()
            }
        ),
        format!("{admin} may not mint: only the zk-verifier")
    );
    let res = s
        .exec(
            &verifier,
            &ExecuteMsg::MintFor {
                owner: bob.to_string(),
            },
        )
        .unwrap();
    let wasm = res.events.iter().find(|e| e.ty == "wasm").unwrap();
    assert_eq!(wasm.attributes[1].key, "action");
    assert_eq!(wasm.attributes[1].value, "mint");

    // The cw721 mint message follows the same rules, with the derived id.
    assert_eq!(
        s.err(
            &verifier,
            &ExecuteMsg::Mint {
                token_id: "carol-token".into(),
                owner: carol.to_string(),
                token_uri: None,
                extension: None,
            }
        ),
        format!("the token id of {carol} is its address, not carol-token")
    );
    assert_eq!(
        s.err(
            &verifier,
            &ExecuteMsg::Mint {
                token_id: carol.to_string(),
                owner: carol.to_string(),
                token_uri: None,
                extension: Some(Empty {}),
            }
        ),
        "reputation metadata is computed from the record and cannot be set at mint"
    );
    assert_eq!(
        s.err(
            &verifier,
            &ExecuteMsg::Mint {
                token_id: carol.to_string(),
                owner: carol.to_string(),
                token_uri: Some("https://aipchain.example/my rep.json".into()),
                extension: None,
            }
        ),
        "token_uri must be at most 512 bytes without whitespace"
    );
    s.exec(
        &verifier,
        &ExecuteMsg::Mint {
            token_id: carol.to_string(),
            owner: carol.to_string(),
            token_uri: Some("https://aipchain.example/rep.json".into()),
            extension: None,
        },
    )
    .unwrap();
    let info: NftInfoResponse<ReputationMetadata> = s.query(&QueryMsg::NftInfo {
        token_id: carol.to_string(),
    });
    assert_eq!(
        info.token_uri.as_deref(),
        Some("https://aipchain.example/rep.json")
    );
    let n: NumTokensResponse = s.query(&QueryMsg::NumTokens {});
    assert_eq!(n.count, 3);
    let t: TokensResponse = s.query(&QueryMsg::Tokens {
        owner: carol.to_string(),
        start_after: None,
        limit: None,
    });
    assert_eq!(t.tokens, vec![carol.to_string()]);
}

#[test]
fn at_most_one_token_per_address() {
    let (mut s, [alice]) = Suite::members(["alice"]);
    let admin = s.admin.clone();
    assert_eq!(
        s.err(
            &admin,
            &ExecuteMsg::MintFor {
                owner: alice.to_string()
            }
        ),
        format!("{alice} already holds a reputation token")
    );
    assert!(s
        .exec(
            &admin,
            &ExecuteMsg::MintFor {
                owner: "not-an-address".into()
            }
        )
        .is_err());
    let n: NumTokensResponse = s.query(&QueryMsg::NumTokens {});
    assert_eq!(n.count, 1);
}

#[test]
fn owner_or_admin_burns_and_history_survives_a_burn() {
    let (mut s, [alice, bob]) = Suite::members(["alice", "bob"]);
    let stranger = s.addr("stranger");
    s.trades(&alice, &bob, 5, 1000, 400);
    let before = s.rep_of(&alice);
    assert!(before.registered);

    assert_eq!(
        s.err(
            &stranger,
            &ExecuteMsg::Burn {
                token_id: alice.to_string()
            }
        ),
        format!("{stranger} may not burn: only the token's owner or the admin")
    );
    assert_eq!(
        s.err(
            &stranger,
            &ExecuteMsg::Burn {
                token_id: "nope".into()
            }
        ),
        "no reputation token nope"
    );
    s.exec(
        &alice,
        &ExecuteMsg::Burn {
            token_id: alice.to_string(),
        },
    )
    .unwrap();
    let admin = s.admin.clone();
    s.exec(
        &admin,
        &ExecuteMsg::Burn {
            token_id: bob.to_string(),
        },
    )
    .unwrap();
    let n: NumTokensResponse = s.query(&QueryMsg::NumTokens {});
    assert_eq!(n.count, 0);

    let after = s.rep_of(&alice);
    assert!(!after.registered);
    assert_eq!(after.score, 0);
    assert_eq!(after.history, before.history);
    // Re-minting brings the old record back: a burn cannot wash a bad score.
    s.mint(&alice);
    assert_eq!(s.rep_of(&alice).score, before.score);
}

/// The statistics carry whether the account holds its token, so the
/// trading-terms queries need not read the token: minting sets the flag,
/// burning clears it, and an account minted before the flag existed is
/// still registered (its token is read) and gets the flag at its next outcome.
#[test]
fn the_token_flag_follows_mint_and_burn_and_reaches_older_accounts() {
    let (mut s, [alice, bob]) = Suite::members(["alice", "bob"]);
    let stats = |s: &Suite, who: &Addr| {
        let st = s.app.contract_storage(&s.rep);
        crate::state::load_stats(st.as_ref(), s.app.api(), who).unwrap()
    };
    assert!(stats(&s, &alice).token && stats(&s, &bob).token);
    // Alice as an earlier version left her: a token, statistics without the flag.
    let rep = s.rep.clone();
    let api = *s.app.api();
    {
        let mut st = s.app.contract_storage_mut(&rep);
        let old = crate::state::Stats {
            token: false,
            ..crate::state::load_stats(st.as_ref(), &api, &alice).unwrap()
        };
        crate::state::save_stats(st.as_mut(), &api, &alice, &old).unwrap();
    }
    assert!(!stats(&s, &alice).token);
    assert!(s.terms(&alice).registered, "her token is read instead");
    assert!(s.rep_of(&alice).registered);
    let o = s.outcome(&alice, &bob, 1_000, 1_000);
    s.record(vec![o]).unwrap();
    assert!(stats(&s, &alice).token, "set at her next outcome");
    // A burn clears it: no longer registered, though the history stays.
    s.exec(
        &alice,
        &ExecuteMsg::Burn {
            token_id: alice.to_string(),
        },
    )
    .unwrap();
    assert!(!stats(&s, &alice).token);
    assert!(!s.terms(&alice).registered);
    assert_eq!(stats(&s, &alice).trades, 1);
    // An account that never held a token is not registered, and an outcome
    // (a trade committed before its token was burned) does not make it so.
    let carol = s.addr("carol");
    let o = s.outcome(&carol, &bob, 1_000, 1_000);
    s.record(vec![o]).unwrap();
    assert!(!stats(&s, &carol).token);
    assert!(!s.terms(&carol).registered);
    s.mint(&carol);
    assert!(stats(&s, &carol).token && s.terms(&carol).registered);
}

// ---------------------------------------------------------------- outcomes

#[test]
fn only_settlement_records_outcomes_and_rulings() {
    let mut s = Suite::new();
    let alice = s.addr("alice");
    let bob = s.addr("bob");
    let o = s.outcome(&alice, &bob, 1000, 1000);
    assert_eq!(
        s.err(&alice, &ExecuteMsg::RecordOutcomes { outcomes: vec![o] }),
        format!("{alice} may not record outcomes: only the settlement contract")
    );
    assert_eq!(
        s.err(
            &alice,
            &ExecuteMsg::RecordRuling {
                trade_id: 1,
                seller: alice.to_string(),
                buyer: bob.to_string(),
                ruling: Ruling::PaySeller
            }
        ),
        format!("{alice} may not record rulings: only the settlement contract")
    );
    assert_eq!(s.rep_of(&alice).history.trades, 0);

    let mut unset = Suite::with(false, None);
    let o = unset.outcome(&alice, &bob, 1000, 1000);
    let admin = unset.admin.clone();
    assert_eq!(
        unset.err(&admin, &ExecuteMsg::RecordOutcomes { outcomes: vec![o] }),
        "no settlement contract is configured"
    );
}

#[test]
fn malformed_and_replayed_outcomes_change_nothing() {
    let mut s = Suite::new();
    let alice = s.addr("alice");
    let bob = s.addr("bob");
    let good = s.outcome(&alice, &bob, 1000, 1000);
    s.record(vec![good.clone()]).unwrap();
    let snapshot = (s.rep_of(&alice), s.rep_of(&bob));

    let settlement = s.settlement.clone();
    let check = |s: &mut Suite, outcomes, msg: String| {
        assert_eq!(
            s.err(&settlement, &ExecuteMsg::RecordOutcomes { outcomes }),
            msg
        );
    };
    let fresh = s.outcome(&alice, &bob, 1000, 900);
    // A replay, even behind a fresh outcome in the same batch, rolls back the whole batch.
    check(
        &mut s,
        vec![fresh.clone(), good.clone()],
        format!("trade {}: outcome already recorded", good.trade_id),
    );
    check(
        &mut s,
        vec![fresh.clone(), fresh.clone()],
        format!("trade {}: outcome already recorded", fresh.trade_id),
    );
    let mut selfie = s.outcome(&alice, &alice, 1000, 1000);
    selfie.buyer = alice.to_string();
    check(
        &mut s,
        vec![selfie.clone()],
        format!(
            "trade {}: seller and buyer are the same account",
            selfie.trade_id
        ),
    );
    let empty = s.outcome(&alice, &bob, 0, 0);
    check(
        &mut s,
        vec![empty.clone()],
        format!("trade {}: nothing was contracted", empty.trade_id),
    );
    let over = s.outcome(&alice, &bob, 1000, 1001);
    check(
        &mut s,
        vec![over.clone()],
        format!(
            "trade {}: delivered 1001 Wh exceeds contracted 1000 Wh",
            over.trade_id
        ),
    );
    let huge = s.outcome(&alice, &bob, u128::MAX, 5);
    check(&mut s, vec![huge], "contracted Wh overflows".to_string());
    assert_eq!((s.rep_of(&alice), s.rep_of(&bob)), snapshot);
}

#[test]
fn good_deliveries_raise_the_score_and_the_tier_lowers_collateral() {
    let (mut s, [alice, bob]) = Suite::members(["alice", "bob"]);

    let t = s.terms(&alice);
    assert_eq!((t.registered, t.tier, t.score), (true, Tier::Newcomer, 550));
    assert_eq!(t.collateral_ratio_bps, 5_000);
    assert!(!t.premium_eligible);

    let mut last = s.score(&alice);
    for _ in 0..4 {
        s.trades(&alice, &bob, 1, 1000, 1000);
        let now = s.score(&alice);
        assert!(now > last, "{now} > {last}");
        last = now;
    }
    assert_eq!(s.terms(&alice).tier, Tier::Newcomer); // 4 trades: too little history
    s.trades(&alice, &bob, 1, 1000, 1000);
    let t = s.terms(&alice);
    assert_eq!((t.tier, t.score), (Tier::Silver, 646));
    assert_eq!(t.collateral_ratio_bps, 3_000);
    assert!(t.premium_eligible);

    s.trades(&alice, &bob, 45, 1000, 1000);
    let t = s.terms(&alice);
    assert_eq!((t.tier, t.score), (Tier::Gold, 830));
    assert_eq!(t.collateral_ratio_bps, 1_500);
}

#[test]
fn shortfalls_and_lost_disputes_lower_the_score() {
    let (mut s, [alice, bob]) = Suite::members(["alice", "bob"]);
    s.trades(&alice, &bob, 5, 1000, 500);
    let r = s.rep_of(&alice);
    assert_eq!((r.tier, r.score), (Tier::Bronze, 513));
    assert_eq!(r.components.success_rate, 333);
    assert_eq!(r.components.delivery_accuracy, 500);
    assert_eq!(r.history.delivered_wh, 2500);
    // Buying counts for participation, not as a success (M3): the buyer's
    // success rate stays at the prior, and it is still a newcomer.
    let bob_rep = s.rep_of(&bob);
    assert_eq!(bob_rep.components.success_rate, 500);
    assert_eq!(bob_rep.tier, Tier::Newcomer);

    let ids = s.trades(&alice, &bob, 1, 1000, 1000);
    let before = s.score(&alice);
    let bob_before = s.score(&bob);
    s.ruling(ids[0], &alice, &bob, Ruling::RefundBuyer).unwrap();
    let after = s.rep_of(&alice);
    assert!(after.score < before, "{} < {before}", after.score);
    assert_eq!(after.history.disputes, 1);
    assert_eq!(after.history.dispute_loss_bps, 10_000);
    assert_eq!(s.score(&bob), bob_before);

    // A split shares the loss; the buyer loses what the seller keeps.
    s.ruling(
        ids[0] + 1000,
        &alice,
        &bob,
        Ruling::Split { seller_bps: 2_500 },
    )
    .unwrap();
    assert_eq!(s.rep_of(&alice).history.dispute_loss_bps, 17_500);
    assert_eq!(s.rep_of(&bob).history.dispute_loss_bps, 2_500);
    assert!(s.score(&bob) < bob_before);

    assert_eq!(
        s.ruling(ids[0], &alice, &bob, Ruling::PaySeller)
            .unwrap_err()
            .root_cause()
            .to_string(),
        format!("trade {}: ruling already recorded", ids[0])
    );
    assert_eq!(
        s.ruling(77, &alice, &bob, Ruling::Split { seller_bps: 10_001 })
            .unwrap_err()
            .root_cause()
            .to_string(),
        "split ruling gives the seller 10001 bps, more than 10000"
    );
    assert_eq!(
        s.ruling(78, &alice, &alice, Ruling::PaySeller)
            .unwrap_err()
            .root_cause()
            .to_string(),
        "trade 78: seller and buyer are the same account"
    );
    assert_eq!(s.rep_of(&alice).history.disputes, 2);
}

#[test]
fn unregistered_accounts_get_newcomer_terms_and_zero_priority() {
    let mut s = Suite::new();
    let alice = s.addr("alice");
    let ghost = s.addr("ghost");
    s.mint(&alice);
    s.trades(&ghost, &alice, 10, 1000, 1000);
    let t = s.terms(&ghost);
    assert!(!t.registered);
    assert_eq!((t.tier, t.score), (Tier::Newcomer, 0));
    assert_eq!(t.collateral_ratio_bps, 5_000);
    assert!(!t.premium_eligible);

    let r: PriorityScoresResponse = s.query(&QueryMsg::PriorityScores {
        accounts: vec![alice.to_string(), ghost.to_string()],
    });
    assert_eq!(r.scores.len(), 2);
    assert_eq!(r.scores[0].account, alice.to_string());
    assert_eq!(r.scores[0].score, s.score(&alice));
    // Alice only bought: buying earns no tier (M3).
    assert_eq!(r.scores[0].tier, Tier::Newcomer);
    assert_eq!((r.scores[1].score, r.scores[1].tier), (0, Tier::Newcomer));

    let too_many = vec![alice.to_string(); 1001];
    assert!(s
        .query_err(&QueryMsg::PriorityScores { accounts: too_many })
        .contains("at most 1000 accounts per query, got 1001"));
}

#[test]
fn nft_metadata_is_the_live_reputation() {
    let (mut s, [alice, bob]) = Suite::members(["alice", "bob"]);
    s.trades(&alice, &bob, 6, 2000, 2000);
    let r = s.rep_of(&alice);
    let info: NftInfoResponse<ReputationMetadata> = s.query(&QueryMsg::NftInfo {
        token_id: alice.to_string(),
    });
    assert_eq!(
        info.extension,
        ReputationMetadata {
            score: r.score,
            tier: r.tier,
            flagged: false,
            components: r.components,
            trades: 6,
        }
    );
    let all: AllNftInfoResponse<ReputationMetadata> = s.query(&QueryMsg::AllNftInfo {
        token_id: alice.to_string(),
        include_expired: None,
    });
    assert_eq!(all.access.owner, alice.to_string());
    assert_eq!(all.info.extension, info.extension);
}

// ---------------------------------------------------------------- reviews

#[test]
fn review_rules() {
    let (mut s, [alice, bob, carol]) = Suite::members(["alice", "bob", "carol"]);
    let ids = s.trades(&alice, &bob, 2, 1000, 1000);
    let (t1, t2) = (ids[0], ids[1]);

    let e = |r: anyhow::Result<_>| r.unwrap_err().root_cause().to_string();
    assert_eq!(
        e(s.review(&bob, t1, &alice, 0)),
        "rating must be 1..=5, got 0"
    );
    assert_eq!(
        e(s.review(&bob, t1, &alice, 6)),
        "rating must be 1..=5, got 6"
    );
    assert_eq!(
        e(s.review(&alice, t1, &alice, 5)),
        "an account cannot review itself"
    );
    assert_eq!(
        e(s.review(&bob, 999, &alice, 5)),
        "trade 999 is unknown (no settled outcome recorded)"
    );
    assert_eq!(
        e(s.review(&carol, t1, &alice, 5)),
        format!("trade {t1}: {carol} and {alice} are not its seller and buyer")
    );
    assert_eq!(
        e(s.review(&bob, t1, &carol, 1)),
        format!("trade {t1}: {bob} and {carol} are not its seller and buyer")
    );

    let before = s.rep_of(&alice);
    let weight = s.score(&bob) as u64;
    s.review(&bob, t1, &alice, 5).unwrap();
    assert_eq!(
        e(s.review(&bob, t1, &alice, 5)),
        format!("trade {t1}: {bob} has already reviewed it")
    );
    // The seller may review the buyer on the same trade, once.
    s.review(&alice, t1, &bob, 4).unwrap();
    assert_eq!(
        e(s.review(&alice, t1, &bob, 4)),
        format!("trade {t1}: {alice} has already reviewed it")
    );
    let after = s.rep_of(&alice);
    assert_eq!(after.history.reviews_received, 1);
    assert_eq!(after.history.counted_review_weight, weight);
    assert_eq!(after.history.counted_review_weighted_sum, weight * 5);
    assert!(after.components.peer_reviews > before.components.peer_reviews);
    assert!(after.score > before.score);

    // Reviews close with the window (30 days by default).
    s.advance(30 * 24 * 3600 + 1);
    assert!(e(s.review(&bob, t2, &alice, 5)).contains("the review window closed at"));
}

#[test]
fn reviews_are_weighted_by_the_reviewers_score() {
    let mut s = Suite::new();
    let good = s.addr("good");
    let poor = s.addr("poor");
    let seller = s.addr("seller");
    let ghost = s.addr("ghost");
    for a in [&good, &poor, &seller] {
        s.mint(a);
    }
    // good sells well, poor sells badly: different weights as reviewers.
    s.trades(&good, &seller, 20, 1000, 1000);
    s.trades(&poor, &seller, 20, 1000, 100);
    let t_good = s.trades(&seller, &good, 1, 1000, 1000)[0];
    let t_poor = s.trades(&seller, &poor, 1, 1000, 1000)[0];
    let t_ghost = s.trades(&seller, &ghost, 1, 1000, 1000)[0];
    let (wg, wp) = (s.score(&good) as u64, s.score(&poor) as u64);
    assert!(wg > wp);
    s.review(&good, t_good, &seller, 5).unwrap();
    s.review(&poor, t_poor, &seller, 1).unwrap();
    // An account without a token weighs nothing.
    s.review(&ghost, t_ghost, &seller, 1).unwrap();
    let h = s.rep_of(&seller).history;
    assert_eq!(h.reviews_received, 3);
    assert_eq!(h.counted_review_weight, wg + wp);
    assert_eq!(h.counted_review_weighted_sum, wg * 5 + wp);
}

#[test]
fn a_ring_of_friends_is_capped_per_pair() {
    let (mut s, [alice, bob]) = Suite::members(["alice", "bob"]);
    // 30 trades between the same two friends, each rating the other 5 every time.
    let ids = s.trades(&alice, &bob, 30, 1000, 1000);
    for id in &ids {
        s.review(&bob, *id, &alice, 5).unwrap();
    }
    let pair: PairReviewsResponse = s.query(&QueryMsg::PairReviews {
        reviewer: bob.to_string(),
        reviewed: alice.to_string(),
    });
    assert_eq!(pair.count, 30);
    assert!(pair.total_weight > 3_000);
    assert_eq!(pair.counted_weight, 3_000);
    let h = s.rep_of(&alice).history;
    assert_eq!(h.counted_review_weight, 3_000);
    assert_eq!(h.counted_review_weighted_sum, 15_000);
    // With the prior (rating 3 at weight 3000) the pair can lift R to 750 at most.
    assert_eq!(s.rep_of(&alice).components.peer_reviews, 750);
}

/// `m` accounts that trade with each other and review each other at 5 after
/// every trade, enough to fill every pair's cap.
fn review_ring(s: &mut Suite, names: &[&str]) -> Vec<Addr> {
    let ring: Vec<Addr> = names.iter().map(|n| s.addr(n)).collect();
    for a in &ring {
        s.mint(a);
    }
    for (i, x) in ring.iter().enumerate() {
        for y in &ring[i + 1..] {
            for id in s.trades(x, y, 8, 1000, 1000) {
                s.review(x, id, y, 5).unwrap();
                s.review(y, id, x, 5).unwrap();
            }
        }
    }
    ring
}

#[test]
fn review_rings_of_three_and_four_lift_no_more_than_one_pair() {
    for names in [&["r1", "r2", "r3"][..], &["r1", "r2", "r3", "r4"][..]] {
        let mut s = Suite::new();
        let ring = review_ring(&mut s, names);
        let k = names.len() as u64 - 1;
        for a in &ring {
            let r = s.rep_of(a);
            // Every pair filled its cap: k capped pairs, all reciprocated...
            assert_eq!(r.history.counted_review_weight, 3_000 * k);
            assert_eq!(r.history.counted_review_weighted_sum, 15_000 * k);
            // ...the query shows what the score counts after the ring cap...
            assert_eq!(r.history.scored_review_weight, 3_000);
            assert_eq!(r.history.scored_review_weighted_sum, 15_000);
            // ...which the pair cap alone would have counted in full (833 for
            // three accounts, 875 for four)...
            let uncapped = crate::state::Stats {
                review_weight: 3_000 * k,
                review_weighted_sum: 15_000 * k,
                ..Default::default()
            };
            let before = crate::score::components(&uncapped).peer_reviews;
            assert_eq!(before, if k == 2 { 833 } else { 875 });
            // ...and now count together as one pair: R = 750.
            assert_eq!(r.components.peer_reviews, 750, "{a} in a ring of {}", k + 1);
        }
    }
}

#[test]
fn honest_reviewers_still_count_in_full() {
    let mut s = Suite::new();
    // A seller reviewed by three buyers it does not review back: three
    // capped pairs, R = 875 as before the ring cap.
    let seller = s.addr("seller");
    s.mint(&seller);
    for b in ["b1", "b2", "b3"] {
        let buyer = s.addr(b);
        s.mint(&buyer);
        for id in s.trades(&seller, &buyer, 8, 1000, 1000) {
            s.review(&buyer, id, &seller, 5).unwrap();
        }
    }
    let r = s.rep_of(&seller);
    assert_eq!(r.history.counted_review_weight, 9_000);
    assert_eq!(r.history.scored_review_weight, 9_000);
    assert_eq!(r.components.peer_reviews, 875);

    // A ring member reviewed by an outsider it does not review back: the
    // ring counts as one pair, the outsider's pair on top (two pairs: 833).
    let ring = review_ring(&mut s, &["r1", "r2", "r3"]);
    let outsider = s.addr("outsider");
    s.mint(&outsider);
    for id in s.trades(&ring[0], &outsider, 8, 1000, 1000) {
        s.review(&outsider, id, &ring[0], 5).unwrap();
    }
    assert_eq!(s.rep_of(&ring[0]).components.peer_reviews, 833);
    assert_eq!(s.rep_of(&ring[1]).components.peer_reviews, 750);

    // Flagging a ring member removes its pairs, reciprocated part included;
    // unflagging restores them.
    let before_flag = s.rep_of(&ring[1]).history;
    s.flag(&ring[2]).unwrap();
    let h = s.rep_of(&ring[1]).history;
    assert_eq!(h.counted_review_weight, 3_000);
    assert_eq!(s.rep_of(&ring[1]).components.peer_reviews, 750);
    s.unflag(&ring[2]).unwrap();
    assert_eq!(s.rep_of(&ring[1]).history, before_flag);
}

// ---------------------------------------------------------------- flags

#[test]
fn flags_freeze_and_penalize_and_suspend_reviews_until_unflagged() {
    let (mut s, [alice, bob, carol]) = Suite::members(["alice", "bob", "carol"]);
    let ids = s.trades(&alice, &bob, 10, 1000, 1000);
    let cids = s.trades(&carol, &bob, 10, 1000, 1000);
    // Bob sells too: a tier is earned by selling.
    s.trades(&bob, &carol, 10, 1000, 1000);
    s.review(&bob, ids[0], &alice, 5).unwrap();
    s.review(&bob, cids[0], &carol, 1).unwrap();
    let alice_reviewed = s.rep_of(&alice);
    let carol_reviewed = s.rep_of(&carol);
    let bob_before = s.rep_of(&bob);
    assert_eq!(bob_before.tier, Tier::Silver);

    let e = |r: anyhow::Result<_>| r.unwrap_err().root_cause().to_string();
    let stranger = s.addr("stranger");
    assert_eq!(
        s.err(
            &stranger,
            &ExecuteMsg::Flag {
                account: bob.to_string(),
                reason: "x".into()
            }
        ),
        format!("{stranger} may not flag accounts: only the guardian")
    );
    s.flag(&bob).unwrap();
    assert_eq!(e(s.flag(&bob)), format!("{bob} is already flagged"));

    // Bob: score frozen at flagging time and halved; no premium.
    let flagged = s.rep_of(&bob);
    assert_eq!(flagged.score, bob_before.base_score / 2);
    assert_eq!(
        flagged.flag.as_ref().unwrap().score_at_flag,
        bob_before.base_score
    );
    let t = s.terms(&bob);
    assert!(t.flagged);
    assert!(!t.premium_eligible);
    assert_eq!(t.tier, Tier::Bronze);
    // Good trades while flagged do not lift the frozen score.
    s.trades(&alice, &bob, 20, 1000, 1000);
    assert_eq!(s.score(&bob), bob_before.base_score / 2);
    assert!(s.rep_of(&bob).base_score > bob_before.base_score);

    // Bob's reviews stop counting: alice and carol are as if never reviewed by him.
    let a = s.rep_of(&alice).history;
    assert_eq!((a.counted_review_weight, a.reviews_received), (0, 1));
    assert_eq!(s.rep_of(&carol).history.counted_review_weight, 0);
    assert!(s.rep_of(&carol).score > carol_reviewed.score);
    // A review while flagged is recorded but does not count.
    s.review(&bob, ids[1], &alice, 5).unwrap();
    assert_eq!(s.rep_of(&alice).history.counted_review_weight, 0);

    // Unflag restores everything, including the review made while flagged.
    assert_eq!(e(s.unflag(&alice)), format!("{alice} is not flagged"));
    s.unflag(&bob).unwrap();
    let b = s.rep_of(&bob);
    assert!(b.flag.is_none());
    assert_eq!(b.score, b.base_score);
    assert_eq!(s.rep_of(&carol).history, carol_reviewed.history);
    let pair: PairReviewsResponse = s.query(&QueryMsg::PairReviews {
        reviewer: bob.to_string(),
        reviewed: alice.to_string(),
    });
    assert_eq!(pair.count, 2);
    assert_eq!(
        s.rep_of(&alice).history.counted_review_weight,
        pair.counted_weight
    );
    assert!(pair.counted_weight > alice_reviewed.history.counted_review_weight);
}

#[test]
fn flags_need_a_guardian() {
    let mut s = Suite::new();
    let admin = s.admin.clone();
    let bob = s.addr("bob");
    // A second instance without a guardian: a clear error, for anyone.
    let no_guardian = s
        .app
        .instantiate_contract(
            1,
            admin.clone(),
            &crate::msg::InstantiateMsg {
                name: "rep".into(),
                symbol: "REP".into(),
                admin: None,
                settlement: None,
                zk_verifier: None,
                guardian: None,
                terms: None,
                review_window_secs: None,
            },
            &[],
            "rep2",
            None,
        )
        .unwrap();
    let e = s
        .app
        .execute_contract(
            admin.clone(),
            no_guardian,
            &ExecuteMsg::Flag {
                account: bob.to_string(),
                reason: "x".into(),
            },
            &[],
        )
        .unwrap_err()
        .root_cause()
        .to_string();
    assert_eq!(e, "no guardian is configured");
    assert_eq!(
        s.err(
            &admin,
            &ExecuteMsg::Unflag {
                account: bob.to_string()
            }
        ),
        format!("{admin} may not unflag accounts: only the guardian")
    );
}

// ---------------------------------------------------------------- admin

#[test]
fn only_the_admin_configures_and_terms_are_validated() {
    let mut s = Suite::new();
    let admin = s.admin.clone();
    let stranger = s.addr("stranger");
    let new_admin = s.addr("new-admin");
    assert_eq!(
        s.err(
            &stranger,
            &ExecuteMsg::UpdateTerms {
                terms: TierTerms::default()
            }
        ),
        format!("{stranger} may not update the tier terms: only the admin")
    );
    let bad = [
        (
            TierTerms {
                gold_min_score: 1001,
                ..TierTerms::default()
            },
            "invalid tier terms: gold_min_score is above 1000",
        ),
        (
            TierTerms {
                silver_min_score: 800,
                ..TierTerms::default()
            },
            "invalid tier terms: silver_min_score must be below gold_min_score",
        ),
        (
            TierTerms {
                gold: crate::msg::TermsEntry {
                    collateral_ratio_bps: 10_001,
                    premium_eligible: true,
                },
                ..TierTerms::default()
            },
            "invalid tier terms: a collateral ratio is above 10000 bps",
        ),
    ];
    for (terms, msg) in bad {
        assert_eq!(s.err(&admin, &ExecuteMsg::UpdateTerms { terms }), msg);
    }
    // New terms apply at once.
    let alice = s.addr("alice");
    s.mint(&alice);
    let mut terms = TierTerms::default();
    terms.newcomer.collateral_ratio_bps = 7_000;
    s.exec(&admin, &ExecuteMsg::UpdateTerms { terms }).unwrap();
    assert_eq!(s.terms(&alice).collateral_ratio_bps, 7_000);
    let t: TierTerms = s.query(&QueryMsg::Terms {});
    assert_eq!(t, terms);

    let update = ExecuteMsg::UpdateConfig {
        admin: Some(new_admin.to_string()),
        settlement: None,
        zk_verifier: None,
        guardian: None,
        review_window_secs: Some(3600),
    };
    assert_eq!(
        s.err(&stranger, &update),
        format!("{stranger} may not update the config: only the admin")
    );
    s.exec(&admin, &update).unwrap();
    let c: ContractConfigResponse = s.query(&QueryMsg::Config {});
    assert_eq!(c.admin, new_admin);
    assert_eq!(c.review_window_secs, 3600);
    assert_eq!(c.settlement, Some(s.settlement.clone()));
    // The cw721 creator follows the admin: only it edits the collection info.
    let rename = ExecuteMsg::UpdateCollectionInfo {
        collection_info: CollectionInfoMsg {
            name: Some("AIP reputation".into()),
            symbol: None,
            extension: None,
        },
    };
    assert_eq!(
        s.err(&admin, &rename),
        format!("{admin} may not update the collection info: only the admin")
    );
    s.exec(&new_admin, &rename).unwrap();
    let info: cw721::msg::CollectionInfoAndExtensionResponse<
        cw721::EmptyOptionalCollectionExtension,
    > = s.query(&QueryMsg::GetCollectionInfoAndExtension {});
    assert_eq!(info.name, "AIP reputation");
    let creator: cw721::Ownership<Addr> = s.query(&QueryMsg::GetCreatorOwnership {});
    assert_eq!(creator.owner, Some(new_admin));
    let minter: cw721::Ownership<Addr> = s.query(&QueryMsg::GetMinterOwnership {});
    assert_eq!(minter.owner, Some(s.rep.clone()));
}
