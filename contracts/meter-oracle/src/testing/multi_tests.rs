//! Behaviour of the meter oracle on cw-multi-test: registry, operators,
//! readings (signatures, replay, quorum, median, outliers) and the settlement hook.

use aip_types::hooks::meter::{DeliveriesResponse, MeterQueryHook};
use aip_types::SlotId;
use cosmwasm_std::{from_json, to_json_binary, Binary, Uint128};

use super::suite::{attr, device, pubkey, Suite, SuiteBuilder, SLOT};
use crate::msg::{
    ConfigResponse, ExecuteMsg, MeterResponse, MeterStatus, MetersResponse, OperatorsResponse,
    QueryMsg, ReadingStatus, ReadingsResponse, ReportedResponse, Tolerance, MAX_BATCH,
    MAX_DELIVERIES_METERS,
};
use crate::ContractError;

fn err_msg(e: ContractError) -> String {
    e.to_string()
}

#[test]
fn owner_requests_and_grid_operator_approves_a_meter() {
    let mut s = SuiteBuilder::default().build();
    let alice = s.addr("alice");
    let key = device(1);
    let res = s
        .exec(
            &alice,
            &ExecuteMsg::RequestMeter {
                node: 7,
                pubkey: pubkey(&key),
            },
        )
        .unwrap();
    assert_eq!(attr(&res, "action"), "request_meter");
    assert_eq!(attr(&res, "meter"), "1");
    let m: MeterResponse = s.query(&QueryMsg::Meter { meter: 1 });
    assert_eq!(
        m,
        MeterResponse {
            meter: 1,
            owner: alice.to_string(),
            node: 7,
            pubkey: pubkey(&key),
            status: MeterStatus::Pending,
        }
    );

    // Readings of a pending meter are refused.
    let r = s.sign(&key, 1, SLOT, 100, 0);
    let err = s.submit(0, SLOT, vec![r]).unwrap_err();
    assert_eq!(err_msg(err), "meter 1 is pending, expected active");

    // Only the grid operator approves.
    let err = s.approve(&alice, 1).unwrap_err();
    assert_eq!(
        err_msg(err),
        format!("{alice} may not approve meters: only the grid operator")
    );
    let grid = s.grid.clone();
    let res = s.approve(&grid, 1).unwrap();
    assert_eq!(attr(&res, "action"), "approve_meter");
    let m: MeterResponse = s.query(&QueryMsg::Meter { meter: 1 });
    assert_eq!(m.status, MeterStatus::Active);

    // Approving twice, or an unknown meter, is refused.
    let err = s.approve(&grid, 1).unwrap_err();
    assert_eq!(err_msg(err), "meter 1 is active, expected pending");
    let err = s.approve(&grid, 9).unwrap_err();
    assert_eq!(err_msg(err), "meter 9 is not registered");
}

#[test]
fn registration_checks_role_and_key_length() {
    let mut s = SuiteBuilder::default().build();
    let alice = s.addr("alice");
    let err = s
        .exec(
            &alice,
            &ExecuteMsg::RegisterMeter {
                owner: alice.to_string(),
                node: 1,
                pubkey: pubkey(&device(1)),
            },
        )
        .unwrap_err();
    assert_eq!(
        err_msg(err),
        format!("{alice} may not register meters: only the grid operator")
    );
    let err = s
        .exec(
            &alice,
            &ExecuteMsg::RequestMeter {
                node: 1,
                pubkey: Binary::from(vec![1u8; 31]),
            },
        )
        .unwrap_err();
    assert_eq!(err_msg(err), "device public key must be 32 bytes, got 31");
    let cfg: ConfigResponse = s.query(&QueryMsg::Config {});
    assert_eq!(cfg.meters, 0);

    let id = s.register("bob", 3, &device(2));
    assert_eq!(id, 1);
    let m: MeterResponse = s.query(&QueryMsg::Meter { meter: 1 });
    assert_eq!(m.status, MeterStatus::Active);
    assert_eq!(m.owner, s.addr("bob").to_string());
}

#[test]
fn meters_are_listed_by_owner_and_status_across_pages() {
    let mut s = SuiteBuilder::default().build();
    for i in 0..70u32 {
        let owner = if i % 2 == 0 { "alice" } else { "bob" };
        s.register(owner, i, &device(1));
    }
    let grid = s.grid.clone();
    s.deactivate(&grid, 40).unwrap();
    let all: MetersResponse = s.query(&QueryMsg::Meters {
        owner: None,
        status: None,
        start_after: None,
        limit: Some(100),
    });
    assert_eq!(all.meters.len(), 70);
    assert_eq!(all.meters[69].meter, 70);
    let page: MetersResponse = s.query(&QueryMsg::Meters {
        owner: None,
        status: None,
        start_after: Some(30),
        limit: Some(5),
    });
    let ids: Vec<u32> = page.meters.iter().map(|m| m.meter).collect();
    assert_eq!(ids, vec![31, 32, 33, 34, 35]);
    let bobs: MetersResponse = s.query(&QueryMsg::Meters {
        owner: Some(s.addr("bob").to_string()),
        status: Some(MeterStatus::Active),
        start_after: None,
        limit: Some(100),
    });
    // Bob owns the even ids; meter 40 is deactivated.
    assert_eq!(bobs.meters.len(), 34);
    assert!(bobs
        .meters
        .iter()
        .all(|m| m.meter % 2 == 0 && m.meter != 40));
}

#[test]
fn two_agreeing_operators_finalize_the_median() {
    let mut s = SuiteBuilder::default().build();
    let key = device(1);
    let m = s.register("alice", 4, &key);

    let r0 = s.sign(&key, m, SLOT, 1200, 3);
    let res = s.submit(0, SLOT, vec![r0]).unwrap();
    assert_eq!(attr(&res, "action"), "submit_readings");
    assert_eq!(attr(&res, "finalized"), "0");
    let st = s.reading(SLOT, m);
    assert_eq!(st.status, ReadingStatus::Pending);
    assert_eq!(st.reports.len(), 1);
    assert_eq!(st.reports[0].exported_wh, Uint128::new(1200));

    // The device signed a slightly different value (within tolerance 20 Wh).
    let r1 = s.sign(&key, m, SLOT, 1210, 3);
    let res = s.submit(1, SLOT, vec![r1]).unwrap();
    assert_eq!(attr(&res, "finalized"), "1");
    assert_eq!(attr(&res, "outliers"), "0");
    let st = s.reading(SLOT, m);
    assert_eq!(st.status, ReadingStatus::Finalized);
    // Lower median of [1200, 1210].
    assert_eq!(st.exported_wh, Uint128::new(1200));
    assert_eq!(st.imported_wh, Uint128::new(3));
    assert_eq!(
        st.reporters,
        vec![s.operators[0].to_string(), s.operators[1].to_string()]
    );
    assert!(st.outliers.is_empty());

    // A late agreeing report is recorded but changes nothing.
    let r2 = s.sign(&key, m, SLOT, 1205, 3);
    let res = s.submit(2, SLOT, vec![r2]).unwrap();
    assert_eq!(attr(&res, "finalized"), "0");
    let st = s.reading(SLOT, m);
    assert_eq!(st.exported_wh, Uint128::new(1200));
    assert_eq!(st.reporters.len(), 3);
    let ops: OperatorsResponse = s.query(&QueryMsg::Operators {});
    assert!(ops
        .operators
        .iter()
        .all(|o| o.reports == 1 && o.outliers == 0));
}

#[test]
fn quorum_not_reached_leaves_the_reading_pending() {
    let mut s = SuiteBuilder::default().build();
    let key = device(1);
    let m = s.register("alice", 4, &key);
    let r = s.sign(&key, m, SLOT, 500, 0);
    s.submit(0, SLOT, vec![r]).unwrap();
    let d: DeliveriesResponse = s.query(&QueryMsg::Deliveries {
        slot: SLOT,
        meters: vec![m],
    });
    assert!(!d.deliveries[0].finalized);
    assert_eq!(d.deliveries[0].exported_wh, Uint128::zero());
    assert_eq!(s.reading(SLOT, m).status, ReadingStatus::Pending);
    // Another slot has no reading at all.
    assert_eq!(
        s.reading(SlotId(SLOT.0 - 900), m).status,
        ReadingStatus::None
    );
}

#[test]
fn disagreeing_operators_take_the_median_and_record_the_outlier() {
    let mut s = SuiteBuilder::default().build();
    let key = device(1);
    let m = s.register("alice", 4, &key);
    // A faulty device signed three different values; each operator forwards one.
    let low = s.sign(&key, m, SLOT, 1000, 0);
    let high = s.sign(&key, m, SLOT, 5000, 0);
    let mid = s.sign(&key, m, SLOT, 1010, 0);
    s.submit(0, SLOT, vec![low]).unwrap();
    let res = s.submit(1, SLOT, vec![high]).unwrap();
    // Two reports, but they disagree: no quorum yet.
    assert_eq!(attr(&res, "finalized"), "0");
    assert_eq!(s.reading(SLOT, m).status, ReadingStatus::Pending);
    let res = s.submit(2, SLOT, vec![mid]).unwrap();
    assert_eq!(attr(&res, "finalized"), "1");
    assert_eq!(attr(&res, "outliers"), "1");
    let st = s.reading(SLOT, m);
    assert_eq!(st.status, ReadingStatus::Finalized);
    assert_eq!(st.exported_wh, Uint128::new(1010));
    assert_eq!(st.outliers, vec![s.operators[1].to_string()]);
    let ops: OperatorsResponse = s.query(&QueryMsg::Operators {});
    let outliers: Vec<u64> = ops.operators.iter().map(|o| o.outliers).collect();
    assert_eq!(outliers, vec![0, 1, 0]);
}

#[test]
fn a_late_disagreeing_report_is_an_outlier() {
    let mut s = SuiteBuilder::default().tolerance(0, 100).build();
    let key = device(1);
    let m = s.register("alice", 4, &key);
    let a = s.sign(&key, m, SLOT, 10_000, 0);
    s.submit(0, SLOT, vec![a.clone()]).unwrap();
    s.submit(1, SLOT, vec![a]).unwrap();
    // 1 % of 10,000 is 100 Wh: 10,100 agrees, 10,101 does not.
    let late = s.sign(&key, m, SLOT, 10_101, 0);
    let res = s.submit(2, SLOT, vec![late]).unwrap();
    assert_eq!(attr(&res, "outliers"), "1");
    let st = s.reading(SLOT, m);
    assert_eq!(st.exported_wh, Uint128::new(10_000));
    assert_eq!(st.outliers, vec![s.operators[2].to_string()]);
}

#[test]
fn bad_signature_is_rejected_and_changes_nothing() {
    let mut s = SuiteBuilder::default().build();
    let key = device(1);
    let m1 = s.register("alice", 4, &key);
    let m2 = s.register("bob", 4, &device(2));
    let good = s.sign(&device(2), m2, SLOT, 10, 0);
    let mut bad = s.sign(&key, m1, SLOT, 100, 0);
    let mut sig = bad.signature.to_vec();
    sig[5] ^= 1;
    bad.signature = Binary::from(sig);
    let err = s.submit(0, SLOT, vec![good, bad]).unwrap_err();
    assert_eq!(err_msg(err), "invalid device signature for meter 1");
    assert_eq!(s.reading(SLOT, m1).status, ReadingStatus::None);
    assert_eq!(s.reading(SLOT, m2).status, ReadingStatus::None);

    // Values changed after signing.
    let mut tampered = s.sign(&key, m1, SLOT, 100, 0);
    tampered.exported_wh = Uint128::new(1000);
    let err = s.submit(0, SLOT, vec![tampered]).unwrap_err();
    assert_eq!(err_msg(err), "invalid device signature for meter 1");

    // A signature for another slot.
    let mut other_slot = s.sign(&key, m1, SlotId(SLOT.0 - 900), 100, 0);
    other_slot.meter = m1;
    let err = s.submit(0, SLOT, vec![other_slot]).unwrap_err();
    assert_eq!(err_msg(err), "invalid device signature for meter 1");

    // A signature of the wrong length.
    let mut short = s.sign(&key, m1, SLOT, 100, 0);
    short.signature = Binary::from(vec![0u8; 63]);
    let err = s.submit(0, SLOT, vec![short]).unwrap_err();
    assert_eq!(
        err_msg(err),
        "signature of meter 1 must be 64 bytes, got 63"
    );
}

#[test]
fn signature_by_the_wrong_key_is_rejected() {
    let mut s = SuiteBuilder::default().build();
    let m1 = s.register("alice", 4, &device(1));
    let m2 = s.register("bob", 4, &device(2));
    // Meter 2's device signs a reading claiming to be meter 1.
    let r = s.sign(&device(2), m1, SLOT, 100, 0);
    let err = s.submit(0, SLOT, vec![r]).unwrap_err();
    assert_eq!(err_msg(err), "invalid device signature for meter 1");
    // Meter 2's reading moved to meter 1 keeps its signature over meter 2.
    let mut moved = s.sign(&device(2), m2, SLOT, 100, 0);
    moved.meter = m1;
    let err = s.submit(0, SLOT, vec![moved]).unwrap_err();
    assert_eq!(err_msg(err), "invalid device signature for meter 1");
}

#[test]
fn a_signature_for_another_deployment_is_rejected() {
    let mut s = SuiteBuilder::default().build();
    let key = device(1);
    let m = s.register("alice", 4, &key);
    let payload = crate::reading_payload("another-chain", s.contract.as_str(), m, SLOT.0, 100, 0);
    use ed25519_dalek::Signer;
    let r = crate::msg::SignedReading {
        meter: m,
        exported_wh: Uint128::new(100),
        imported_wh: Uint128::zero(),
        signature: Binary::from(key.sign(&payload).to_bytes().to_vec()),
    };
    let err = s.submit(0, SLOT, vec![r]).unwrap_err();
    assert_eq!(err_msg(err), "invalid device signature for meter 1");
}

#[test]
fn unknown_meter_is_rejected() {
    let mut s = SuiteBuilder::default().build();
    let key = device(1);
    s.register("alice", 4, &key);
    let r = s.sign(&key, 99, SLOT, 100, 0);
    let err = s.submit(0, SLOT, vec![r]).unwrap_err();
    assert_eq!(err_msg(err), "meter 99 is not registered");
}

#[test]
fn replay_by_the_same_operator_is_rejected() {
    let mut s = SuiteBuilder::default().build();
    let key = device(1);
    let m = s.register("alice", 4, &key);
    let m2 = s.register("bob", 4, &device(2));
    let r = s.sign(&key, m, SLOT, 100, 0);
    s.submit(0, SLOT, vec![r.clone()]).unwrap();
    let op0 = s.operators[0].to_string();
    let err = s.submit(0, SLOT, vec![r.clone()]).unwrap_err();
    assert_eq!(
        err_msg(err),
        format!(
            "operator {op0} already reported meter 1 for slot {}",
            SLOT.0
        )
    );
    // Also inside a batch with a fresh reading: nothing of the batch is kept.
    let fresh = s.sign(&device(2), m2, SLOT, 7, 0);
    let err = s.submit(0, SLOT, vec![fresh, r.clone()]).unwrap_err();
    assert!(matches!(
        err,
        ContractError::AlreadyReported { meter: 1, .. }
    ));
    assert_eq!(s.reading(SLOT, m2).status, ReadingStatus::None);
    // And after finalization.
    s.submit(1, SLOT, vec![r.clone()]).unwrap();
    let err = s.submit(1, SLOT, vec![r.clone()]).unwrap_err();
    assert!(matches!(
        err,
        ContractError::AlreadyReported { meter: 1, .. }
    ));
    // The same meter twice in one batch.
    let other = s.sign(&key, m, SlotId(SLOT.0 + 900), 100, 0);
    let err = s
        .submit(2, SlotId(SLOT.0 + 900), vec![other.clone(), other])
        .unwrap_err();
    assert_eq!(err_msg(err), "meter 1 appears twice in the batch");
    let reported: ReportedResponse = s.query(&QueryMsg::Reported {
        slot: SLOT,
        operator: op0,
        meters: vec![1, 2],
    });
    assert_eq!(reported.meters, vec![1]);
}

#[test]
fn deactivated_meter_is_refused() {
    let mut s = SuiteBuilder::default().build();
    let key = device(1);
    let m = s.register("alice", 4, &key);
    let mallory = s.addr("mallory");
    let err = s.deactivate(&mallory, m).unwrap_err();
    assert_eq!(
        err_msg(err),
        format!("{mallory} may not manage meter 1: only its owner or the grid operator")
    );
    let alice = s.addr("alice");
    let res = s.deactivate(&alice, m).unwrap();
    assert_eq!(attr(&res, "action"), "deactivate_meter");
    let r = s.sign(&key, m, SLOT, 100, 0);
    let err = s.submit(0, SLOT, vec![r]).unwrap_err();
    assert_eq!(err_msg(err), "meter 1 is deactivated, expected active");
    let err = s.deactivate(&alice, m).unwrap_err();
    assert_eq!(err_msg(err), "meter 1 is deactivated");
    let err = s.rotate(&alice, m, pubkey(&device(3))).unwrap_err();
    assert_eq!(err_msg(err), "meter 1 is deactivated");
}

#[test]
fn key_rotation_by_grid_operator_is_immediate_and_by_owner_needs_approval() {
    let mut s = SuiteBuilder::default().build();
    let old = device(1);
    let m = s.register("alice", 4, &old);
    let grid = s.grid.clone();
    let new = device(2);
    let res = s.rotate(&grid, m, pubkey(&new)).unwrap();
    assert_eq!(attr(&res, "status"), "active");
    let r = s.sign(&old, m, SLOT, 100, 0);
    let err = s.submit(0, SLOT, vec![r]).unwrap_err();
    assert_eq!(err_msg(err), "invalid device signature for meter 1");
    let r = s.sign(&new, m, SLOT, 100, 0);
    s.submit(0, SLOT, vec![r]).unwrap();

    // The owner rotates: pending until approved.
    let alice = s.addr("alice");
    let newer = device(3);
    let res = s.rotate(&alice, m, pubkey(&newer)).unwrap();
    assert_eq!(attr(&res, "status"), "pending");
    let slot2 = SlotId(SLOT.0 + 900);
    let r = s.sign(&newer, m, slot2, 100, 0);
    let err = s.submit(0, slot2, vec![r.clone()]).unwrap_err();
    assert_eq!(err_msg(err), "meter 1 is pending, expected active");
    s.approve(&grid, m).unwrap();
    s.submit(0, slot2, vec![r]).unwrap();

    let err = s
        .rotate(&alice, m, Binary::from(vec![0u8; 33]))
        .unwrap_err();
    assert_eq!(err_msg(err), "device public key must be 32 bytes, got 33");
    let bob = s.addr("bob");
    let err = s.rotate(&bob, m, pubkey(&device(4))).unwrap_err();
    assert_eq!(
        err_msg(err),
        format!("{bob} may not manage meter 1: only its owner or the grid operator")
    );
}

#[test]
fn batch_shape_and_slot_are_checked() {
    let mut s = SuiteBuilder::default().build();
    let key = device(1);
    let m = s.register("alice", 4, &key);
    let stranger = s.addr("stranger");
    let r = s.sign(&key, m, SLOT, 100, 0);
    let err = s
        .exec(
            &stranger,
            &ExecuteMsg::SubmitReadings {
                slot: SLOT,
                readings: vec![r.clone()],
            },
        )
        .unwrap_err();
    assert_eq!(
        err_msg(err),
        format!("{stranger} is not an active oracle operator")
    );
    let err = s
        .submit(0, SlotId(SLOT.0 + 1), vec![r.clone()])
        .unwrap_err();
    assert_eq!(
        err_msg(err),
        format!("slot {} is not aligned to 900 s", SLOT.0 + 1)
    );
    let now = s.app.block_info().time.seconds();
    let current = SlotId::containing(now);
    let err = s.submit(0, current, vec![r.clone()]).unwrap_err();
    assert_eq!(
        err_msg(err),
        format!(
            "slot {} has not ended: it ends at {}, block time is {now}",
            current.0,
            current.0 + 900
        )
    );
    let err = s.submit(0, SLOT, vec![]).unwrap_err();
    assert_eq!(err_msg(err), "a batch needs at least one reading");
    let err = s
        .submit(0, SLOT, vec![r.clone(); MAX_BATCH + 1])
        .unwrap_err();
    assert_eq!(
        err_msg(err),
        format!(
            "batch of {} readings exceeds the maximum of {MAX_BATCH}",
            MAX_BATCH + 1
        )
    );
    let mut huge = r;
    huge.exported_wh = Uint128::new(u128::from(u64::MAX) + 1);
    let err = s.submit(0, SLOT, vec![huge]).unwrap_err();
    assert_eq!(
        err_msg(err),
        "reading of meter 1: energy does not fit in 64 bits"
    );
}

#[test]
fn a_large_batch_spanning_pages_finalizes_every_meter() {
    let mut s = SuiteBuilder::default().build();
    let keys: Vec<_> = (0..200u32).map(|i| device((i % 250) as u8)).collect();
    let ids: Vec<u32> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| s.register(&format!("h{i}"), i as u32, k))
        .collect();
    let batch: Vec<_> = ids
        .iter()
        .zip(&keys)
        .map(|(m, k)| s.sign(k, *m, SLOT, u128::from(*m) * 10, 5))
        .collect();
    s.submit(0, SLOT, batch.clone()).unwrap();
    // The second operator sends the same readings in reverse order.
    let mut rev = batch;
    rev.reverse();
    let res = s.submit(1, SLOT, rev).unwrap();
    assert_eq!(attr(&res, "finalized"), "200");
    let page: ReadingsResponse = s.query(&QueryMsg::Readings {
        slot: SLOT,
        start_after: Some(60),
        limit: Some(10),
    });
    let got: Vec<(u32, u128)> = page
        .readings
        .iter()
        .map(|r| (r.meter, r.exported_wh.u128()))
        .collect();
    let want: Vec<(u32, u128)> = (61..71).map(|m| (m, u128::from(m) * 10)).collect();
    assert_eq!(got, want);
    assert!(page
        .readings
        .iter()
        .all(|r| r.status == ReadingStatus::Finalized));
    let all: ReadingsResponse = s.query(&QueryMsg::Readings {
        slot: SLOT,
        start_after: None,
        limit: Some(500),
    });
    assert_eq!(all.readings.len(), 200);
}

#[test]
fn deliveries_hook_answers_settlement() {
    let mut s = SuiteBuilder::default().build();
    let k1 = device(1);
    let k2 = device(2);
    let m1 = s.register("alice", 4, &k1);
    let m2 = s.register("bob", 9, &k2);
    for op in 0..2 {
        let batch = vec![
            s.sign(&k1, m1, SLOT, 1500, 20),
            s.sign(&k2, m2, SLOT, 0, 900),
        ];
        s.submit(op, SLOT, batch).unwrap();
    }
    // Settlement sends the aip-types hook message; this contract must parse it.
    let hook = MeterQueryHook::Deliveries {
        slot: SLOT,
        meters: vec![m2, m1],
    };
    let parsed: QueryMsg = from_json(to_json_binary(&hook).unwrap()).unwrap();
    assert_eq!(
        parsed,
        QueryMsg::Deliveries {
            slot: SLOT,
            meters: vec![m2, m1]
        }
    );
    let d: DeliveriesResponse = s.app.wrap().query_wasm_smart(&s.contract, &hook).unwrap();
    assert_eq!(d.slot, SLOT);
    assert_eq!(d.deliveries.len(), 2);
    let bob = &d.deliveries[0];
    assert_eq!(bob.meter, m2);
    assert_eq!(bob.status, MeterStatus::Active);
    assert_eq!(bob.owner, s.addr("bob").to_string());
    assert_eq!(bob.node, 9);
    assert!(bob.finalized);
    assert_eq!(bob.imported_wh, Uint128::new(900));
    assert_eq!(d.deliveries[1].exported_wh, Uint128::new(1500));

    // Unknown ids are left out of the answer.
    let d: DeliveriesResponse = s.query(&QueryMsg::Deliveries {
        slot: SLOT,
        meters: vec![0, 5, m1, u32::MAX],
    });
    assert_eq!(d.deliveries.len(), 1);
    assert_eq!(d.deliveries[0].meter, m1);
    // A meter id is a JSON number: strings and other spellings do not parse.
    for spelling in [r#""1""#, "01", "+1", "1.0", "-1", "4294967296"] {
        let raw = format!(
            r#"{{"deliveries":{{"slot":{},"meters":[{spelling}]}}}}"#,
            SLOT.0
        );
        assert!(
            from_json::<QueryMsg>(raw.as_bytes()).is_err(),
            "{spelling} parsed as a meter id"
        );
    }
    // The status is reported, so settlement can refuse inactive meters.
    let k3 = device(3);
    let carol = s.addr("carol");
    let r = s
        .exec(
            &carol,
            &ExecuteMsg::RequestMeter {
                node: 4,
                pubkey: pubkey(&k3),
            },
        )
        .unwrap();
    let m3: u32 = attr(&r, "meter").parse().unwrap();
    let d: DeliveriesResponse = s.query(&QueryMsg::Deliveries {
        slot: SLOT,
        meters: vec![m3],
    });
    assert_eq!(d.deliveries[0].status, MeterStatus::Pending);
    // At most MAX_DELIVERIES_METERS ids per query.
    let err = s
        .app
        .wrap()
        .query_wasm_smart::<DeliveriesResponse>(
            &s.contract,
            &QueryMsg::Deliveries {
                slot: SLOT,
                meters: vec![1; MAX_DELIVERIES_METERS + 1],
            },
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("at most 2000 meters per deliveries query, got 2001"),
        "{err}"
    );
    let err = s
        .app
        .wrap()
        .query_wasm_smart::<MeterResponse>(&s.contract, &QueryMsg::Meter { meter: 5 })
        .unwrap_err();
    assert!(
        err.to_string().contains("meter 5 is not registered"),
        "{err}"
    );
}

#[test]
fn admin_manages_operators_and_quorum() {
    let mut s = SuiteBuilder::default().build();
    let admin = s.admin.clone();
    let op0 = s.operators[0].clone();
    let new = s.addr("oracle9");
    let err = s.update_operators(&op0, &[&new], &[], None).unwrap_err();
    assert_eq!(
        err_msg(err),
        format!("{op0} may not update the operators: only the admin")
    );
    let err = s.update_operators(&admin, &[&op0], &[], None).unwrap_err();
    assert_eq!(
        err_msg(err),
        format!("{op0} is already an active oracle operator")
    );
    let err = s.update_operators(&admin, &[], &[&new], None).unwrap_err();
    assert_eq!(
        err_msg(err),
        format!("{new} is not an active oracle operator")
    );
    let err = s.update_operators(&admin, &[], &[], Some(4)).unwrap_err();
    assert_eq!(
        err_msg(err),
        "quorum 4 must be between 1 and the 3 active operators"
    );
    let err = s.update_operators(&admin, &[], &[], Some(0)).unwrap_err();
    assert_eq!(
        err_msg(err),
        "quorum 0 must be between 1 and the 3 active operators"
    );
    // Swap operator 0 for a new one, quorum 3 of 3.
    let res = s
        .update_operators(&admin, &[&new], &[&op0], Some(3))
        .unwrap();
    assert_eq!(attr(&res, "action"), "update_operators");
    let ops: OperatorsResponse = s.query(&QueryMsg::Operators {});
    assert_eq!(ops.quorum, 3);
    assert_eq!(ops.operators.len(), 4);
    assert!(!ops.operators[0].active);
    assert_eq!(ops.operators[3].address, new.to_string());
    assert_eq!(ops.operators[3].index, 3);

    let key = device(1);
    let m = s.register("alice", 4, &key);
    let r = s.sign(&key, m, SLOT, 100, 0);
    let err = s.submit(0, SLOT, vec![r.clone()]).unwrap_err();
    assert_eq!(
        err_msg(err),
        format!("{op0} is not an active oracle operator")
    );
    s.submit(1, SLOT, vec![r.clone()]).unwrap();
    s.submit(2, SLOT, vec![r.clone()]).unwrap();
    assert_eq!(s.reading(SLOT, m).status, ReadingStatus::Pending);
    s.exec(
        &new,
        &ExecuteMsg::SubmitReadings {
            slot: SLOT,
            readings: vec![r],
        },
    )
    .unwrap();
    assert_eq!(s.reading(SLOT, m).status, ReadingStatus::Finalized);

    // A re-added operator gets its old index back.
    s.update_operators(&admin, &[&op0], &[], None).unwrap();
    let ops: OperatorsResponse = s.query(&QueryMsg::Operators {});
    assert_eq!(ops.operators.len(), 4);
    assert!(ops.operators[0].active);
}

#[test]
fn admin_updates_roles_and_tolerance() {
    let mut s = SuiteBuilder::default().build();
    let admin = s.admin.clone();
    let grid = s.grid.clone();
    let err = s
        .exec(
            &grid,
            &ExecuteMsg::UpdateConfig {
                admin: None,
                grid_operator: None,
                tolerance: None,
            },
        )
        .unwrap_err();
    assert_eq!(
        err_msg(err),
        format!("{grid} may not update the config: only the admin")
    );
    let err = s
        .exec(
            &admin,
            &ExecuteMsg::UpdateConfig {
                admin: None,
                grid_operator: None,
                tolerance: Some(Tolerance {
                    wh: Uint128::zero(),
                    bps: 10_001,
                }),
            },
        )
        .unwrap_err();
    assert_eq!(err_msg(err), "tolerance of 10001 bps exceeds 10000");
    let dso2 = s.addr("dso2");
    s.exec(
        &admin,
        &ExecuteMsg::UpdateConfig {
            admin: None,
            grid_operator: Some(dso2.to_string()),
            tolerance: Some(Tolerance {
                wh: Uint128::new(5),
                bps: 50,
            }),
        },
    )
    .unwrap();
    let cfg: ConfigResponse = s.query(&QueryMsg::Config {});
    assert_eq!(cfg.grid_operator, dso2.to_string());
    assert_eq!(cfg.tolerance.bps, 50);
    assert_eq!(cfg.active_operators, 3);
    let _: Suite = s;
}

#[test]
fn a_single_operator_with_quorum_one_finalizes_at_once() {
    let mut s = SuiteBuilder::default().operators(1, 1).build();
    let key = device(1);
    let m = s.register("alice", 4, &key);
    let r = s.sign(&key, m, SLOT, 42, 1);
    let res = s.submit(0, SLOT, vec![r]).unwrap();
    assert_eq!(attr(&res, "finalized"), "1");
    assert_eq!(s.reading(SLOT, m).exported_wh, Uint128::new(42));
}
