//! Offline: the detectors (and the ML scorer) over an events file (JSON
//! lines, e.g. `aip-sim --attack`'s `events.jsonl`), and the per-account
//! feature table the scorer is trained on.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::Path;

use crate::detect::{self, DetectConfig};
use crate::event::Event;
use crate::features::{features, FEATURES};
use crate::ledger::Ledger;
use crate::ml::MlScorer;
use crate::{Error, Result};

fn io(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Reads events from `path` into a ledger; malformed lines and events are
/// reported on stderr and skipped.
pub fn load(path: &Path) -> Result<Ledger> {
    let f = std::fs::File::open(path).map_err(io(path))?;
    let mut l = Ledger::default();
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.map_err(io(path))?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Event>(&line) {
            Ok(e) => {
                if let Err(s) = l.ingest(&e) {
                    eprintln!("line {}: skipped: {}", i + 1, s.0);
                }
            }
            Err(e) => eprintln!("line {}: skipped: {e}", i + 1),
        }
    }
    Ok(l)
}

/// Runs every detector (and the scorer, if given) over the events in
/// `path`; writes one line per finding: `<reason> <account> <canonical
/// evidence>`. Returns the number of findings.
pub fn replay_file(
    path: &Path,
    cfg: &DetectConfig,
    scorer: Option<&mut MlScorer>,
    out: &mut impl Write,
) -> Result<usize> {
    let l = load(path)?;
    let mut findings = detect::run_all(&l, cfg);
    if let Some(s) = scorer {
        findings.extend(s.findings(&l, cfg)?);
    }
    for f in &findings {
        writeln!(out, "{} {} {}", f.reason(), f.account, f.canonical()).map_err(io(path))?;
    }
    Ok(findings.len())
}

/// Writes the feature table of the accounts in `path` as CSV
/// (`account,label,<features>`); `labels` name the adversaries (others are
/// `honest`).
pub fn feature_table(
    path: &Path,
    cfg: &DetectConfig,
    labels: &BTreeMap<String, String>,
    out: &mut impl Write,
) -> Result<usize> {
    let l = load(path)?;
    let f = features(&l, cfg);
    let w = io(path);
    writeln!(out, "account,label,{}", FEATURES.join(",")).map_err(&w)?;
    for (a, row) in &f {
        let label = labels.get(a).map_or("honest", String::as_str);
        let vals: Vec<String> = row.iter().map(|v| format!("{v}")).collect();
        writeln!(out, "{a},{label},{}", vals.join(",")).map_err(&w)?;
    }
    Ok(f.len())
}
