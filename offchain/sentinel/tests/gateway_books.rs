//! The sentinel's gateway input against the real gateway (`aip-gateway`,
//! in process, on a loopback port, its clock held by the test): wallets post
//! signed intents over HTTP, the gateway freezes each slot's book at its
//! gate closure, and the sentinel reads the frozen book as the orders of the
//! intents' proven owners. A book not frozen, tampered with, bound to
//! another contract or sent for another slot is skipped whole with the
//! reason; a gateway that cannot be reached is an error (the block is read
//! again).
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking

#[path = "../../gateway/tests/common/mod.rs"]
mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use aip_matcher::verify::{fetch, FrozenBook};
use aip_sentinel::event::{Event, Side};
use aip_sentinel::gateway::{orders, Book, GatewayBooks};
use aip_sentinel::Error;
use aip_types::intent::{IntentDomain, Side as IntentSide};
use common::*;
use gateway::{Config, FixedBalance, Gateway};

/// A slot start (aligned to 900 s).
const S: u64 = 1_800_000_000;

struct Running {
    gw: Arc<Gateway>,
    clock: Arc<AtomicU64>,
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _dir: std::path::PathBuf,
}

impl Running {
    async fn start(tag: &str) -> Running {
        let dir = std::env::temp_dir().join(format!("sentinel-gw-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut cfg = Config {
            contract: domain().contract,
            database: dir.join("gateway.sqlite"),
            ..Config::default()
        };
        cfg.chain.chain_id = CHAIN.to_string();
        let clock = Arc::new(AtomicU64::new((S - 3_600) * 1000));
        let c = clock.clone();
        let gw = Gateway::new(
            cfg,
            Arc::new(FixedBalance::new(1_000_000_000)),
            Arc::new(move || c.load(Ordering::SeqCst)),
        )
        .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(gateway::serve(listener, gw.clone(), async move {
            let _ = stopped.await;
        }));
        Running {
            gw,
            clock,
            url,
            stop: Some(stop),
            server: Some(server),
            _dir: dir,
        }
    }

    async fn post(&self, s: &aip_types::intent::SignedIntent) {
        let mut h = Http::connect(self.url.trim_start_matches("http://"))
            .await
            .unwrap();
        let (status, body) = h
            .request(
                "POST",
                "/v1/intents",
                Some(&serde_json::to_string(s).unwrap()),
            )
            .await
            .unwrap();
        assert_eq!(status, 201, "{body}");
    }

    /// Moves the gateway's clock past `slot`'s gate closure and freezes.
    async fn close_gate(&self, slot: u64) {
        self.clock.store((slot - 300 + 1) * 1000, Ordering::SeqCst);
        self.gw.freeze_due().await.unwrap();
    }

    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.server.take().unwrap().await.unwrap().unwrap();
        let _ = std::fs::remove_dir_all(&self._dir);
    }
}

fn order(account: &str, slot: u64, side: Side, wh: u64, price: u64) -> Event {
    Event::Order {
        account: account.into(),
        slot,
        side,
        wh,
        price,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frozen_books_become_orders_of_their_signed_owners() {
    let g = Running::start("orders").await;
    let (ka, kb) = (key("sentinel gw alice"), key("sentinel gw bob"));
    let (a, b) = (address_of(&ka), address_of(&kb));
    // Alice bids twice in slot S; Bob offers over S and the slot after.
    g.post(&sign_cosmos(&ka, &bid(&a, 1, S))).await;
    let mut second = bid(&a, 2, S);
    second.wh = 400;
    second.limit_price = 250_000;
    g.post(&sign_cosmos(&ka, &second)).await;
    let mut offer = bid(&b, 1, S);
    offer.side = IntentSide::Sell;
    offer.slot_until = S + 1_800;
    offer.expires = S + 1_800;
    offer.wh = 3_000;
    offer.limit_price = 180_000;
    g.post(&sign_eth(&kb, &offer)).await;

    let books = GatewayBooks::new(&g.url, domain()).unwrap();
    // Before the gate closes: no book yet, skipped with the gateway's answer.
    match books.book(S).await.unwrap() {
        Book::Skipped(why) => {
            assert!(
                why.starts_with(&format!(
                    "book of slot {S}: GET {}/v1/book/{S}/frozen: HTTP 404",
                    g.url
                )),
                "{why}"
            );
            assert!(why.contains("not_frozen"), "{why}");
        }
        other => panic!("{other:?}"),
    }
    g.close_gate(S).await;
    assert_eq!(
        books.book(S).await.unwrap(),
        Book::Orders(vec![
            order(&a, S, Side::Bid, 1_000, 200_000),
            order(&a, S, Side::Bid, 400, 250_000),
            order(&b, S, Side::Offer, 3_000, 180_000),
        ])
    );
    // The next slot's book holds Bob's offer alone.
    g.close_gate(S + 900).await;
    assert_eq!(
        books.book(S + 900).await.unwrap(),
        Book::Orders(vec![order(&b, S + 900, Side::Offer, 3_000, 180_000)])
    );
    g.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_or_foreign_book_is_skipped_whole_with_the_reason() {
    let g = Running::start("tampered").await;
    let ka = key("sentinel gw carol");
    let a = address_of(&ka);
    g.post(&sign_cosmos(&ka, &bid(&a, 1, S))).await;
    g.post(&sign_cosmos(&ka, &bid(&a, 2, S))).await;
    g.close_gate(S).await;
    let url = format!("{}/v1/book/{S}/frozen", g.url);
    let text = tokio::task::spawn_blocking(move || fetch(&url))
        .await
        .unwrap()
        .unwrap();
    let frozen: FrozenBook = serde_json::from_str(&text).unwrap();
    assert!(matches!(orders(&frozen, S, &domain()), Book::Orders(o) if o.len() == 2));

    // One intent's quantity raised after signing: its signature fails.
    let mut forged = frozen.clone();
    forged.intents[1].signed.intent.wh = 9_000;
    match orders(&forged, S, &domain()) {
        Book::Skipped(why) => assert!(
            why.starts_with(&format!("book of slot {S} refused: entry 1: ")),
            "{why}"
        ),
        other => panic!("{other:?}"),
    }
    // An entry dropped: the book hash no longer matches.
    let mut short = frozen.clone();
    short.intents.pop();
    match orders(&short, S, &domain()) {
        Book::Skipped(why) => assert!(
            why.starts_with(&format!("book of slot {S} refused: book hash ")),
            "{why}"
        ),
        other => panic!("{other:?}"),
    }
    // Intents bound to another settlement contract.
    let other = IntentDomain {
        contract: contract_address("another settlement"),
        ..domain()
    };
    match orders(&frozen, S, &other) {
        Book::Skipped(why) => assert!(
            why.starts_with(&format!("book of slot {S} refused: entry 0: ")),
            "{why}"
        ),
        other => panic!("{other:?}"),
    }
    // The book of another slot than the one asked for.
    assert_eq!(
        orders(&frozen, S + 900, &domain()),
        Book::Skipped(format!(
            "book of slot {}: the gateway sent slot {S}",
            S + 900
        ))
    );
    g.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_gateway_is_an_error_to_retry() {
    // A port nobody listens on: bind, note it, close.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let books = GatewayBooks::new(&format!("http://127.0.0.1:{port}"), domain()).unwrap();
    let e = books.book(S).await.unwrap_err();
    assert!(matches!(e, Error::Gateway { .. }), "{e:?}");
    assert!(
        e.to_string().starts_with(&format!(
            "gateway http://127.0.0.1:{port}/v1/book/{S}/frozen: "
        )),
        "{e}"
    );
}
