//! The committed ML scorer (`models/iforest.onnx`) through ONNX Runtime:
//! a wash pair stands out from households trading with the market.
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking

use aip_sentinel::detect::DetectConfig;
use aip_sentinel::event::Event;
use aip_sentinel::evidence::Code;
use aip_sentinel::features::FEATURES;
use aip_sentinel::ledger::Ledger;
use aip_sentinel::ml::MlScorer;

fn model() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/iforest.onnx")
}

fn threshold() -> f32 {
    let m: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(model().with_file_name("iforest.metrics.json")).unwrap(),
    )
    .unwrap();
    m["threshold"].as_f64().unwrap() as f32
}

/// 30 households each selling to 4 neighbours and buying from 4 others
/// (buyers review by delivery), and a wash pair funded by one of them
/// trading only with each other, back and forth, rating each other 5.
fn market() -> Ledger {
    let mut l = Ledger::default();
    let mut id = 0;
    let mut trade = |l: &mut Ledger, s: String, b: String, price: u64, delivered: u64| {
        id += 1;
        l.ingest(&Event::Trade {
            id,
            slot: 1_473_033_600 + (id % 96) * 900,
            seller: s,
            buyer: b,
            wh: 300,
            price,
            delivered_wh: delivered,
        })
        .unwrap();
        id
    };
    for round in 0..6u64 {
        for i in 0..30 {
            for j in [1, 7, 13, 19] {
                let delivered = if (i + round as usize).is_multiple_of(3) {
                    200
                } else {
                    300
                };
                let t = trade(
                    &mut l,
                    format!("h{i}"),
                    format!("h{}", (i + j) % 30),
                    200_000,
                    delivered,
                );
                if t.is_multiple_of(4) {
                    l.ingest(&Event::Review {
                        trade_id: t,
                        reviewer: format!("h{}", (i + j) % 30),
                        reviewed: format!("h{i}"),
                        rating: if delivered == 300 { 5 } else { 3 },
                    })
                    .unwrap();
                }
            }
        }
    }
    l.ingest(&Event::Transfer {
        from: "w0".into(),
        to: "w1".into(),
        amount: 100,
    })
    .unwrap();
    for k in 0..12 {
        let (s, b) = if k % 2 == 0 {
            ("w0", "w1")
        } else {
            ("w1", "w0")
        };
        let t = trade(&mut l, s.into(), b.into(), 600_000, 300);
        l.ingest(&Event::Review {
            trade_id: t,
            reviewer: b.into(),
            reviewed: s.into(),
            rating: 5,
        })
        .unwrap();
        l.ingest(&Event::Review {
            trade_id: t,
            reviewer: s.into(),
            reviewed: b.into(),
            rating: 5,
        })
        .unwrap();
    }
    l
}

#[test]
fn the_committed_model_isolates_a_wash_pair() {
    let l = market();
    let cfg = DetectConfig::default();
    let mut s = MlScorer::load(&model(), threshold()).unwrap();
    let f = aip_sentinel::features::features(&l, &cfg);
    let rows: Vec<_> = f.values().copied().collect();
    let scores = s.scores(&rows).unwrap();
    let by: std::collections::BTreeMap<&String, f32> = f.keys().zip(scores).collect();
    let mut honest: Vec<f32> = by
        .iter()
        .filter(|(a, _)| a.starts_with('h'))
        .map(|(_, &v)| v)
        .collect();
    honest.sort_by(f32::total_cmp);
    let median = honest[honest.len() / 2];
    assert!(by[&"w0".to_string()] < median, "{by:?}");
    assert!(by[&"w1".to_string()] < median, "{by:?}");
    // below-threshold accounts become `ml` findings naming every feature
    for x in s.findings(&l, &cfg).unwrap() {
        assert_eq!(x.code, Code::Ml);
        assert_eq!(
            x.evidence["features"].as_object().unwrap().len(),
            FEATURES.len()
        );
        assert!(x.evidence["score"].as_f64().unwrap() < f64::from(threshold()));
    }
}

#[test]
fn a_missing_model_is_an_error_naming_it() {
    let e = MlScorer::load(std::path::Path::new("/nonexistent/iforest.onnx"), 0.0)
        .err()
        .unwrap();
    assert_eq!(
        e.to_string(),
        "onnx: /nonexistent/iforest.onnx: no such model file"
    );
}
