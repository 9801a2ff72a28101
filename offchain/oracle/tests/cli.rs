//! The `aip-oracle` binary: keygen, status, and config errors.
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking

use std::process::Command;

use aip_oracle::keys::DeviceKeys;
use aip_oracle::Config;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_aip-oracle"))
}

#[test]
fn the_example_config_parses() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("oracle.example.toml");
    let cfg = Config::load(&path).expect("example config");
    assert_eq!(cfg.submit.batch_size, 200);
    assert_eq!(cfg.sources.len(), 1);
}

#[test]
fn keygen_writes_keys_and_prints_public_keys() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("keys.toml");
    let o = bin()
        .args(["keygen", "--first", "5", "--count", "3", "--out"])
        .arg(&out)
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8(o.stdout).expect("utf8");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3);
    let keys = DeviceKeys::load(&out).expect("keys");
    for ((id, pk), line) in keys.public_keys().iter().zip(&lines) {
        assert_eq!(*line, format!("{id} {}", hex::encode(pk)));
    }
    assert_eq!(keys.public_keys()[0].0, 5);
}

#[test]
fn status_reports_queue_counts_and_bad_configs_fail_clearly() {
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = dir.path().join("oracle.toml");
    std::fs::write(
        &cfg,
        format!(
            "contract = \"c\"\n[queue]\npath = \"{}\"\n",
            dir.path().join("q.sqlite").display()
        ),
    )
    .expect("write");
    let o = bin()
        .args(["status", "--config"])
        .arg(&cfg)
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "queued 0 sending 0 done 0 rejected 0"
    );

    std::fs::write(&cfg, "contract = \"c\"\n[submit]\nbatch = 1\n").expect("write");
    let o = bin()
        .args(["run", "--config"])
        .arg(&cfg)
        .output()
        .expect("run");
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("unknown field `batch`"), "{err}");

    let o = bin()
        .args(["run", "--config"])
        .arg(dir.path().join("missing.toml"))
        .output()
        .expect("run");
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("reading config"));
}
