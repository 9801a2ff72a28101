//! Client behaviour that needs no running node.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use chain_client::{ChainClient, ChainConfig, Error, RetryPolicy};

fn unreachable_cfg(attempts: u32) -> ChainConfig {
    ChainConfig {
        // Port 9 (discard) on loopback: nothing listens, the connection is refused.
        rpc_url: "http://127.0.0.1:9".into(),
        retry: RetryPolicy {
            attempts,
            initial_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_millis(100),
        },
        ..ChainConfig::localnet()
    }
}

#[tokio::test]
async fn a_down_node_is_retried_with_backoff_then_reported() {
    let start = Instant::now();
    let err = ChainClient::connect(unreachable_cfg(3)).await.unwrap_err();
    match &err {
        Error::NodeUnreachable { url, attempts, .. } => {
            assert_eq!(url, "http://127.0.0.1:9");
            assert_eq!(*attempts, 3);
        }
        other => panic!("expected NodeUnreachable, got {other:?}"),
    }
    // Two backoffs happened: 50 ms then 100 ms.
    assert!(start.elapsed() >= Duration::from_millis(150));
    assert!(err.is_transient());
    assert!(err
        .to_string()
        .starts_with("node http://127.0.0.1:9 unreachable after 3 attempts"));
}

#[tokio::test]
async fn an_invalid_configuration_is_refused_before_any_request() {
    let cfg = ChainConfig {
        rpc_url: "not a url".into(),
        ..ChainConfig::localnet()
    };
    let err = ChainClient::connect(cfg).await.unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert!(err.to_string().contains("invalid rpc_url"), "{err}");
}

#[tokio::test]
async fn every_endpoint_is_tried_before_the_node_is_reported_unreachable() {
    // Two endpoints, neither answers: the client fails over between them on
    // each retry and names both in the error.
    let cfg = ChainConfig {
        fallback_rpc_urls: vec!["http://127.0.0.1:7".into()],
        ..unreachable_cfg(4)
    };
    let err = ChainClient::connect(cfg).await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("node http://127.0.0.1:9,http://127.0.0.1:7 unreachable after 4 attempts"),
        "{err}"
    );
}

#[test]
fn the_preferred_endpoint_comes_first_then_the_fallbacks_in_order() {
    let cfg = ChainConfig {
        rpc_url: "http://a:1".into(),
        fallback_rpc_urls: vec!["http://b:2".into(), "http://c:3".into()],
        ..ChainConfig::localnet()
    };
    assert_eq!(
        cfg.rpc_urls().collect::<Vec<_>>(),
        ["http://a:1", "http://b:2", "http://c:3"]
    );
}
