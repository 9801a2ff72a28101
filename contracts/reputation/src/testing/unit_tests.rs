use aip_types::hooks::reputation::{
    ReputationExecuteHook, ReputationQueryHook, Ruling, TradeOutcome,
};
use aip_types::SlotId;
use cosmwasm_std::{from_json, to_json_vec, Uint128};

use crate::execute::validate_terms;
use crate::msg::{ExecuteMsg, QueryMsg, ScoreComponents, TierTerms};
use crate::score::{base_score, components, flagged_score, pair_contribution, tier};
use crate::state::Stats;
use aip_types::hooks::reputation::Tier;

/// Every hook variant of `aip-types` parses as this contract's message and
/// serializes back to the same JSON: the interface cannot drift.
#[test]
fn every_hook_variant_is_accepted_with_the_same_json() {
    let outcome = TradeOutcome {
        trade_id: 7,
        slot: SlotId(1_767_225_600),
        seller: "cosmwasm1seller".into(),
        buyer: "cosmwasm1buyer".into(),
        contracted_wh: Uint128::new(1500),
        delivered_wh: Uint128::new(1400),
    };
    let exec_hooks = vec![
        ReputationExecuteHook::RecordOutcomes {
            outcomes: vec![outcome.clone(), outcome],
        },
        ReputationExecuteHook::RecordRuling {
            trade_id: 9,
            seller: "s".into(),
            buyer: "b".into(),
            ruling: Ruling::Split { seller_bps: 2500 },
        },
        ReputationExecuteHook::RecordRuling {
            trade_id: 9,
            seller: "s".into(),
            buyer: "b".into(),
            ruling: Ruling::PaySeller,
        },
        ReputationExecuteHook::RecordRuling {
            trade_id: 9,
            seller: "s".into(),
            buyer: "b".into(),
            ruling: Ruling::RefundBuyer,
        },
        ReputationExecuteHook::MintFor {
            owner: "cosmwasm1owner".into(),
        },
    ];
    for hook in exec_hooks {
        let json = to_json_vec(&hook).unwrap();
        let ours: ExecuteMsg = from_json(&json).unwrap();
        assert_eq!(to_json_vec(&ours).unwrap(), json);
        let back: ReputationExecuteHook = from_json(to_json_vec(&ours).unwrap()).unwrap();
        assert_eq!(back, hook);
        match (&hook, &ours) {
            (ReputationExecuteHook::RecordOutcomes { .. }, ExecuteMsg::RecordOutcomes { .. })
            | (ReputationExecuteHook::RecordRuling { .. }, ExecuteMsg::RecordRuling { .. })
            | (ReputationExecuteHook::MintFor { .. }, ExecuteMsg::MintFor { .. }) => {}
            other => panic!("hook parsed as another variant: {other:?}"),
        }
    }
    let query_hooks = vec![
        ReputationQueryHook::TradingTerms {
            account: "cosmwasm1a".into(),
        },
        ReputationQueryHook::PriorityScores {
            accounts: vec!["cosmwasm1a".into(), "cosmwasm1b".into()],
        },
        ReputationQueryHook::TradingTermsBatch {
            accounts: vec!["cosmwasm1a".into(), "cosmwasm1b".into()],
        },
    ];
    for hook in query_hooks {
        let json = to_json_vec(&hook).unwrap();
        let ours: QueryMsg = from_json(&json).unwrap();
        assert_eq!(to_json_vec(&ours).unwrap(), json);
        match (&hook, &ours) {
            (ReputationQueryHook::TradingTerms { .. }, QueryMsg::TradingTerms { .. })
            | (ReputationQueryHook::PriorityScores { .. }, QueryMsg::PriorityScores { .. })
            | (ReputationQueryHook::TradingTermsBatch { .. }, QueryMsg::TradingTermsBatch { .. }) =>
                {}
            other => panic!("hook parsed as another variant: {other:?}"),
        }
    }
}

#[test]
fn cw721_messages_keep_their_json() {
    let m: ExecuteMsg = from_json(br#"{"transfer_nft":{"recipient":"x","token_id":"y"}}"#).unwrap();
    assert!(matches!(m, ExecuteMsg::TransferNft { .. }));
    let q: QueryMsg = from_json(br#"{"nft_info":{"token_id":"y"}}"#).unwrap();
    assert!(matches!(q, QueryMsg::NftInfo { .. }));
}

#[test]
fn a_newcomer_starts_from_the_priors() {
    let c = components(&Stats::default());
    assert_eq!(
        c,
        ScoreComponents {
            success_rate: 500,
            delivery_accuracy: 500,
            peer_reviews: 500,
            participation: 0,
            dispute_record: 1000,
        }
    );
    assert_eq!(base_score(&Stats::default()), 550);
    assert_eq!(tier(&TierTerms::default(), 0, 0, 1000), Tier::Newcomer);
}

/// The README's worked examples.
#[test]
fn readme_examples() {
    // Five well-delivered 1 kWh sales in five slots.
    let good = Stats {
        trades: 5,
        successful: 5,
        sold: 5,
        contracted_wh: 5000,
        delivered_wh: 5000,
        active_slots: 5,
        ..Stats::default()
    };
    assert_eq!(
        components(&good),
        ScoreComponents {
            success_rate: 666,
            delivery_accuracy: 666,
            peer_reviews: 500,
            participation: 52,
            dispute_record: 1000,
        }
    );
    assert_eq!(base_score(&good), 646);
    assert_eq!(tier(&TierTerms::default(), 5, 5_000, 646), Tier::Silver);

    // The same five sales delivering half.
    let short = Stats {
        successful: 0,
        delivered_wh: 2500,
        ..good
    };
    assert_eq!(components(&short).success_rate, 333);
    assert_eq!(components(&short).delivery_accuracy, 500);
    assert_eq!(base_score(&short), 513);
    assert_eq!(tier(&TierTerms::default(), 5, 5_000, 513), Tier::Bronze);

    // ... and a fully lost dispute on top.
    let disputed = Stats {
        disputes: 1,
        dispute_loss_bps: 10_000,
        ..short
    };
    assert_eq!(components(&disputed).dispute_record, 334);
    assert_eq!(base_score(&disputed), 380);

    // Fifty well-delivered 1 kWh sales in fifty slots.
    let gold = Stats {
        trades: 50,
        successful: 50,
        sold: 50,
        contracted_wh: 50_000,
        delivered_wh: 50_000,
        active_slots: 50,
        ..Stats::default()
    };
    let c = components(&gold);
    assert_eq!(
        (c.success_rate, c.delivery_accuracy, c.participation),
        (916, 916, 520)
    );
    assert_eq!(base_score(&gold), 830);
    assert_eq!(tier(&TierTerms::default(), 50, 50_000, 830), Tier::Gold);

    // M3: six 1 Wh purchases in six slots: buying raises neither S nor the
    // tier (before, every purchase counted as a success: S 687, score 602, silver).
    let buyer = Stats {
        trades: 6,
        active_slots: 6,
        ..Stats::default()
    };
    let c = components(&buyer);
    assert_eq!((c.success_rate, c.participation), (500, 62));
    assert_eq!(base_score(&buyer), 556);
    assert_eq!(tier(&TierTerms::default(), 0, 0, 556), Tier::Newcomer);

    // M3: five 1 Wh sales, fully delivered: the count is there, the volume is not.
    let tiny = Stats {
        trades: 5,
        successful: 5,
        sold: 5,
        contracted_wh: 5,
        delivered_wh: 5,
        active_slots: 5,
        ..Stats::default()
    };
    assert_eq!(base_score(&tiny), 596);
    assert_eq!(tier(&TierTerms::default(), 5, 5, 596), Tier::Newcomer);

    // Flagged at 720: halved, and frozen there.
    assert_eq!(flagged_score(720, 720), 360);
    assert_eq!(flagged_score(900, 720), 360);
    assert_eq!(flagged_score(500, 720), 250);
}

#[test]
fn extreme_histories_stay_in_bounds() {
    let max = Stats {
        trades: u64::MAX,
        successful: u64::MAX,
        sold: u64::MAX,
        contracted_wh: u64::MAX,
        delivered_wh: u64::MAX,
        active_slots: u64::MAX,
        last_slot: u64::MAX,
        disputes: u64::MAX,
        dispute_loss_bps: u64::MAX,
        reviews_received: u64::MAX,
        review_weight: u64::MAX,
        review_weighted_sum: u64::MAX,
        mutual_review_weight: u64::MAX,
        mutual_review_weighted_sum: u64::MAX,
        token: true,
    };
    assert!(base_score(&max) <= 1000);
    let half = Stats {
        mutual_review_weight: u64::MAX / 2,
        ..max
    };
    assert!(base_score(&half) <= 1000);
    let worst = Stats {
        trades: 1,
        sold: 1,
        contracted_wh: u64::MAX,
        dispute_loss_bps: u64::MAX,
        review_weight: u64::MAX / 5,
        review_weighted_sum: u64::MAX / 5,
        ..Stats::default()
    };
    let c = components(&worst);
    assert_eq!(c.dispute_record, 0);
    assert_eq!(c.peer_reviews, 0);
    assert_eq!(c.delivery_accuracy, 0);
    assert_eq!(base_score(&worst), 113); // only the success prior is left
}

#[test]
fn pair_contributions_are_capped() {
    assert_eq!(pair_contribution(0, 0), (0, 0));
    assert_eq!(pair_contribution(700, 3500), (700, 3500));
    assert_eq!(pair_contribution(9000, 45_000), (3000, 15_000));
    assert_eq!(pair_contribution(6000, 18_000), (3000, 9_000));
}

#[test]
fn reciprocated_pairs_count_together_as_one_pair() {
    use crate::score::counted_reviews;
    // No reciprocated pairs, or within one pair's cap: unchanged.
    assert_eq!(counted_reviews(9_000, 45_000, 0, 0), (9_000, 45_000));
    assert_eq!(
        counted_reviews(9_000, 45_000, 3_000, 15_000),
        (9_000, 45_000)
    );
    // The README's 4-account ring: three reciprocated pairs count as one.
    assert_eq!(
        counted_reviews(9_000, 45_000, 9_000, 45_000),
        (3_000, 15_000)
    );
    // An outsider's pair (3,000 at rating 4) on top of a 3-ring (6,000 at 5).
    assert_eq!(
        counted_reviews(9_000, 42_000, 6_000, 30_000),
        (6_000, 27_000)
    );
    // The average rating of the reciprocated part is kept, rounded down.
    assert_eq!(
        counted_reviews(7_000, 20_000, 7_000, 20_000),
        (3_000, 8_571)
    );
    // Inconsistent parts (larger than the totals) are bounded by them.
    assert_eq!(counted_reviews(1_000, 5_000, 9_000, 45_000), (1_000, 5_000));
    let ring = Stats {
        review_weight: 9_000,
        review_weighted_sum: 45_000,
        mutual_review_weight: 9_000,
        mutual_review_weighted_sum: 45_000,
        ..Stats::default()
    };
    assert_eq!(components(&ring).peer_reviews, 750);
    let honest = Stats {
        mutual_review_weight: 0,
        mutual_review_weighted_sum: 0,
        ..ring
    };
    assert_eq!(components(&honest).peer_reviews, 875);
}

#[test]
fn default_terms_are_valid() {
    validate_terms(&TierTerms::default()).unwrap();
}

#[test]
fn migration_refuses_another_contract_and_downgrades() {
    use crate::contract::{instantiate, migrate};
    use crate::msg::{InstantiateMsg, MigrateMsg};
    use cosmwasm_std::testing::{message_info, mock_dependencies, mock_env};

    let mut deps = mock_dependencies();
    let admin = deps.api.addr_make("admin");
    instantiate(
        deps.as_mut(),
        mock_env(),
        message_info(&admin, &[]),
        InstantiateMsg {
            name: "rep".into(),
            symbol: "REP".into(),
            admin: None,
            settlement: None,
            zk_verifier: None,
            guardian: None,
            terms: None,
            review_window_secs: None,
        },
    )
    .unwrap();
    migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap();
    cw2::set_contract_version(&mut deps.storage, "crates.io:reputation", "99.0.0").unwrap();
    assert_eq!(
        migrate(deps.as_mut(), mock_env(), MigrateMsg {})
            .unwrap_err()
            .to_string(),
        format!(
            "cannot migrate from version 99.0.0 to the older {}",
            env!("CARGO_PKG_VERSION")
        )
    );
    cw2::set_contract_version(&mut deps.storage, "crates.io:cw721-base", "0.22.0").unwrap();
    assert_eq!(
        migrate(deps.as_mut(), mock_env(), MigrateMsg {})
            .unwrap_err()
            .to_string(),
        "cannot migrate from crates.io:cw721-base (this is crates.io:reputation)"
    );
}
