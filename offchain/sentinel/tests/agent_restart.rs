//! The agent around its seams: a scripted event source and a recording
//! guardian (the chain itself is exercised by the e2e test). Restarts must
//! neither miss a block nor flag twice; unavailable blocks are skipped with
//! a reason; a failed flag is retried; an appeal clears for good.
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use aip_sentinel::agent::{Agent, Guardian, Posted};
use aip_sentinel::detect::DetectConfig;
use aip_sentinel::event::Event;
use aip_sentinel::source::{Block, EventSource};
use aip_sentinel::store::Store;
use aip_sentinel::watch::{RateLimit, Watch};
use aip_sentinel::{Error, Result};

#[derive(Clone, Default)]
struct Script {
    blocks: BTreeMap<u64, Vec<Event>>,
    latest: u64,
    /// Heights the node has pruned.
    pruned: BTreeSet<u64>,
    /// Heights that fail once with a transient error.
    flaky: Rc<RefCell<BTreeSet<u64>>>,
    /// Every height served.
    served: Rc<RefCell<Vec<u64>>>,
}

impl EventSource for Script {
    async fn latest(&mut self) -> Result<u64> {
        Ok(self.latest)
    }
    async fn block(&mut self, height: u64) -> Result<Block> {
        if self.pruned.contains(&height) {
            return Err(Error::Unavailable {
                height,
                reason: "height is not available; lowest height is 9".into(),
            });
        }
        if self.flaky.borrow_mut().remove(&height) {
            return Err(Error::Rpc("connection reset".into()));
        }
        self.served.borrow_mut().push(height);
        Ok(Block {
            height,
            time: 1_473_033_600 + height * 900,
            events: self.blocks.get(&height).cloned().unwrap_or_default(),
            skipped: vec![],
        })
    }
}

#[derive(Clone, Default)]
struct Recorder {
    calls: Rc<RefCell<Vec<(String, String)>>>,
    down: Rc<RefCell<bool>>,
}

impl Guardian for Recorder {
    async fn flag(&mut self, account: &str, reason: &str) -> Result<Posted> {
        if *self.down.borrow() {
            return Err(Error::Guardian {
                action: "flag",
                account: account.into(),
                reason: "node down".into(),
            });
        }
        self.calls
            .borrow_mut()
            .push((format!("flag {account}"), reason.into()));
        Ok(Posted::Now)
    }
    async fn unflag(&mut self, account: &str) -> Result<()> {
        self.calls
            .borrow_mut()
            .push((format!("unflag {account}"), String::new()));
        Ok(())
    }
}

fn trade(id: u64, s: &str, b: &str) -> Event {
    Event::Trade {
        id,
        slot: 1_473_033_600 + id * 900,
        seller: s.into(),
        buyer: b.into(),
        wh: 300,
        price: 200_000,
        delivered_wh: 300,
    }
}

/// Blocks 1..=8: funding at 1 (w0 funds w1), honest trades throughout, the
/// wash pair's third round trip completes at block 6.
fn script() -> Script {
    let mut blocks: BTreeMap<u64, Vec<Event>> = BTreeMap::new();
    blocks.insert(
        1,
        vec![
            Event::Transfer {
                from: "minter".into(),
                to: "w0".into(),
                amount: 1_000,
            },
            Event::Transfer {
                from: "w0".into(),
                to: "w1".into(),
                amount: 500,
            },
        ],
    );
    let mut id = 0;
    for h in 2..=8 {
        let v = blocks.entry(h).or_default();
        for (s, b) in [("h1", "h2"), ("h3", "h4")] {
            id += 1;
            v.push(trade(id, s, b));
        }
        if (2..=7).contains(&h) {
            id += 1;
            let (s, b) = if h % 2 == 0 {
                ("w0", "w1")
            } else {
                ("w1", "w0")
            };
            v.push(trade(id, s, b));
        }
    }
    // a malformed event: skipped, not fatal
    blocks.get_mut(&3).unwrap().push(Event::Review {
        trade_id: 999,
        reviewer: "h1".into(),
        reviewed: "h2".into(),
        rating: 5,
    });
    Script {
        blocks,
        ..Script::default()
    }
}

fn agent(src: Script, g: Recorder, db: &std::path::Path) -> Agent<Script, Recorder> {
    let cfg = DetectConfig {
        infrastructure: ["minter".to_string()].into(),
        ..DetectConfig::default()
    };
    let limit = RateLimit {
        max_share: 1.0,
        ..RateLimit::default()
    };
    Agent::new(src, g, Store::open(db).unwrap(), Watch::new(cfg, limit)).unwrap()
}

fn db(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sentinel-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("s.db")
}

#[tokio::test(flavor = "current_thread")]
async fn restarts_neither_miss_a_block_nor_flag_twice() {
    let path = db("restart");
    let g = Recorder::default();
    let mut s = script();
    s.latest = 4;
    s.flaky.borrow_mut().insert(6);
    let served = s.served.clone();
    {
        let mut a = agent(s.clone(), g.clone(), &path);
        let p = a.step().await.unwrap();
        assert_eq!(p.blocks, 4);
        assert_eq!(p.skipped, 1, "the review of an unknown trade");
        assert!(p.flagged.is_empty(), "one round trip is not wash trading");
        assert_eq!(a.store.cursor().unwrap(), Some(4));
    } // the agent stops
    s.latest = 8;
    {
        let mut a = agent(s.clone(), g.clone(), &path);
        // block 6 fails once: the step stops before it, nothing lost
        let e = a.step().await.unwrap_err();
        assert_eq!(e.to_string(), "rpc: connection reset");
        assert_eq!(a.store.cursor().unwrap(), Some(5));
        let p = a.step().await.unwrap();
        assert_eq!(p.blocks, 3);
        let mut who: Vec<&str> = p.flagged.iter().map(|f| f.account.as_str()).collect();
        who.sort();
        assert_eq!(who, vec!["w0", "w1"]);
        assert!(p.flagged[0].reason.starts_with("wash:sha256:"));
    }
    // every block read exactly once, in order
    assert_eq!(*served.borrow(), (1..=8).collect::<Vec<_>>());
    {
        let mut a = agent(s.clone(), g.clone(), &path);
        let p = a.step().await.unwrap();
        assert_eq!(p.blocks, 0);
        assert!(p.flagged.is_empty());
    }
    let calls = g.calls.borrow();
    assert_eq!(calls.len(), 2, "{calls:?}");
}

#[tokio::test(flavor = "current_thread")]
async fn a_pruned_block_is_skipped_with_a_reason_and_the_cursor_moves_on() {
    let path = db("pruned");
    let mut s = script();
    s.latest = 8;
    s.pruned.insert(2);
    let mut a = agent(s, Recorder::default(), &path);
    let p = a.step().await.unwrap();
    assert_eq!(p.unavailable, 1);
    assert_eq!(p.blocks, 7);
    assert_eq!(a.store.cursor().unwrap(), Some(8));
}

#[tokio::test(flavor = "current_thread")]
async fn a_flag_the_node_refused_is_posted_after_a_restart() {
    let path = db("retry");
    let g = Recorder::default();
    *g.down.borrow_mut() = true;
    let mut s = script();
    s.latest = 8;
    {
        let mut a = agent(s.clone(), g.clone(), &path);
        let p = a.step().await.unwrap();
        assert!(p.flagged.is_empty());
        assert_eq!(a.store.unposted().unwrap().len(), 2);
    }
    *g.down.borrow_mut() = false;
    let mut a = agent(s, g.clone(), &path);
    let p = a.step().await.unwrap();
    assert_eq!(p.flagged.len(), 2);
    assert!(a.store.unposted().unwrap().is_empty());
    assert_eq!(g.calls.borrow().len(), 2);
}

#[tokio::test(flavor = "current_thread")]
async fn an_appeal_unflags_on_chain_and_survives_a_restart() {
    let path = db("appeal");
    let g = Recorder::default();
    let mut s = script();
    s.latest = 8;
    {
        let mut a = agent(s.clone(), g.clone(), &path);
        a.step().await.unwrap();
        let f = a.clear("w1").await.unwrap();
        assert!(f.reason.starts_with("wash:"));
        let e = a.clear("h1").await.unwrap_err();
        assert_eq!(e.to_string(), "h1 is not flagged by the sentinel");
    }
    let mut a = agent(s, g.clone(), &path);
    assert!(!a.watch.flagged.contains_key("w1"));
    assert!(a.watch.flagged.contains_key("w0"));
    let p = a.step().await.unwrap();
    assert!(p.flagged.is_empty());
    // the same evidence does not flag again
    assert!(a.watch.review(1_473_033_600 + 9 * 900).flags.is_empty());
    let calls: Vec<String> = g.calls.borrow().iter().map(|c| c.0.clone()).collect();
    assert_eq!(
        calls.iter().filter(|c| c.as_str() == "unflag w1").count(),
        1
    );
}
