//! Offline: the detectors over an events file (JSON lines), every finding
//! printed with its reason (`aip-sentinel replay`).

use std::io::{BufRead, Write};
use std::path::Path;

use crate::detect::{self, DetectConfig};
use crate::event::Event;
use crate::ledger::Ledger;
use crate::{Error, Result};

/// Reads events from `path` into a ledger (malformed lines and events are
/// reported on stderr and skipped), runs every detector and writes one line
/// per finding: `<reason> <account> <canonical evidence>`. Returns the
/// number of findings.
pub fn replay_file(path: &Path, out: &mut impl Write) -> Result<usize> {
    let io = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    let f = std::fs::File::open(path).map_err(io)?;
    let mut l = Ledger::default();
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.map_err(io)?;
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
    let findings = detect::run_all(&l, &DetectConfig::default());
    for f in &findings {
        writeln!(out, "{} {} {}", f.reason(), f.account, f.canonical()).map_err(io)?;
    }
    Ok(findings.len())
}
