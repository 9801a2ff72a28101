//! Markdown tables of measured gas, and the marker-delimited update of docs/benchmarks.md.

use std::fmt::Write as _;

use anyhow::{bail, Result};

use crate::gas::{CallGas, INSTANCE_COST, INSTANCE_COST_PINNED, TX_SIZE_COST_PER_BYTE};

/// One measured call.
#[derive(Clone, Debug)]
pub struct Row {
    /// What was called, e.g. `CommitMatches (100 trades)`.
    pub call: String,
    /// Items the call handled (trades, readings, transfers); per-item columns divide by it.
    pub items: u64,
    /// Its gas, split by where it goes.
    pub gas: CallGas,
    /// A target for the per-item figure, if the project set one.
    pub target_per_item: Option<u64>,
    /// Whether the target counts wasmd's instance cost (most do: it is real gas).
    pub target_with_instance: bool,
}

impl Row {
    /// A row without a target.
    pub fn new(call: impl Into<String>, items: u64, gas: CallGas) -> Self {
        Row {
            call: call.into(),
            items,
            gas,
            target_per_item: None,
            target_with_instance: true,
        }
    }

    /// A per-item target on the figure with instance cost.
    pub fn target(mut self, per_item: u64) -> Self {
        self.target_per_item = Some(per_item);
        self.target_with_instance = true;
        self
    }

    /// A per-item target on the figure without instance cost.
    pub fn target_without_instance(mut self, per_item: u64) -> Self {
        self.target_per_item = Some(per_item);
        self.target_with_instance = false;
        self
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn per(total: u64, items: u64) -> String {
    thousands(total / items.max(1))
}

/// The gas table: one row per call, totals and per-item figures, with and
/// without wasmd's instance cost.
pub fn gas_table(rows: &[Row]) -> String {
    let mut t = String::new();
    t.push_str(
        "| call | items | CosmWasm gas | SDK: VM | SDK: storage | SDK: events | instances | \
         SDK total, no instance cost | SDK total + instance cost | per item, no instance cost | \
         per item + instance cost | per item, pinned | target per item |\n",
    );
    t.push_str("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
    for r in rows {
        let g = &r.gas;
        let target = match r.target_per_item {
            None => "".to_string(),
            Some(limit) => {
                let (got, basis) = if r.target_with_instance {
                    (g.sdk_with_instance(), "")
                } else {
                    (g.sdk_without_instance(), " without instance cost")
                };
                let verdict = if got / r.items.max(1) <= limit {
                    "met"
                } else {
                    "**missed**"
                };
                format!("≤ {}{basis} ({verdict})", thousands(limit))
            }
        };
        let _ = writeln!(
            t,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.call,
            r.items,
            thousands(g.vm_cosmwasm),
            thousands(g.vm_sdk),
            thousands(g.storage_sdk),
            thousands(g.events_sdk),
            g.instances,
            thousands(g.sdk_without_instance()),
            thousands(g.sdk_with_instance()),
            per(g.sdk_without_instance(), r.items),
            per(g.sdk_with_instance(), r.items),
            per(g.sdk_pinned(), r.items),
            target,
        );
    }
    t
}

/// Where the gas goes: storage operations, cross-contract work and message size per call.
pub fn details_table(rows: &[Row]) -> String {
    let mut t = String::from(
        "| call | storage reads | writes | bytes written | deletes | items iterated | smart queries | \
         sub-messages run | messages not run | message bytes | tx-size gas of the message (10/byte) |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for r in rows {
        let g = &r.gas;
        let _ = writeln!(
            t,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.call,
            thousands(g.ops.reads),
            thousands(g.ops.writes),
            thousands(g.ops.write_bytes),
            thousands(g.ops.deletes),
            thousands(g.ops.iter_items),
            g.queries,
            g.submessages,
            g.unexecuted_messages,
            thousands(g.msg_bytes),
            thousands(g.msg_bytes * TX_SIZE_COST_PER_BYTE),
        );
    }
    t
}

/// Notes under every gas table: what the columns mean and what is not counted.
pub fn gas_notes() -> String {
    format!(
        "SDK: VM = CosmWasm gas / 140,000 (wasmd `DefaultGasMultiplier`), per instance; storage = the \
         Cosmos SDK KV gas wasmd charges; events = wasmd's attribute and event gas. \"instances\" counts \
         contract loads (the call, each sub-message run, each smart query, each message to a contract \
         the harness does not run); wasmd charges {} SDK gas per load, {} when the code is pinned. \
         Messages not run and mocked queries cost their instance only. Not included: the \
         transaction's own cost (about 1,000 SDK gas for the signature and {} per byte of the signed \
         transaction; see \"message bytes\").\n",
        thousands(INSTANCE_COST),
        thousands(INSTANCE_COST_PINNED),
        TX_SIZE_COST_PER_BYTE,
    )
}

/// The markers that delimit a generated block in a markdown file.
pub fn markers(name: &str) -> (String, String) {
    (
        format!("<!-- aip-gas:{name}:begin -->"),
        format!("<!-- aip-gas:{name}:end -->"),
    )
}

/// Replaces the text between the `name` markers (kept) with `body`.
pub fn replace_between_markers(doc: &str, name: &str, body: &str) -> Result<String> {
    let (begin, end) = markers(name);
    let Some(b) = doc.find(&begin) else {
        bail!("marker {begin} not found");
    };
    let after_begin = b + begin.len();
    let Some(e_rel) = doc[after_begin..].find(&end) else {
        bail!("marker {end} not found after {begin}");
    };
    let e = after_begin + e_rel;
    let mut out = String::with_capacity(doc.len() + body.len());
    out.push_str(&doc[..after_begin]);
    out.push('\n');
    out.push_str(body.trim_end());
    out.push('\n');
    out.push_str(&doc[e..]);
    Ok(out)
}

/// Updates the block `name` in the file at `path`.
pub fn update_file(path: &std::path::Path, name: &str, body: &str) -> Result<()> {
    let doc = std::fs::read_to_string(path)?;
    let new = replace_between_markers(&doc, name, body)?;
    if new != doc {
        std::fs::write(path, new)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn table_has_totals_per_item_figures_and_verdicts() {
        let gas = CallGas {
            vm_cosmwasm: 280_000_000,
            vm_sdk: 2_000,
            storage_sdk: 38_000,
            events_sdk: 0,
            instances: 1,
            ..Default::default()
        };
        let rows = [
            Row::new("Settle (10 trades)", 10, gas).target(10_000),
            Row::new("Settle (1 trade)", 1, gas).target(50_000),
        ];
        let t = gas_table(&rows);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(
            lines[2],
            "| Settle (10 trades) | 10 | 280,000,000 | 2,000 | 38,000 | 0 | 1 | 40,000 | 100,000 | 4,000 | 10,000 | 4,200 | ≤ 10,000 (met) |"
        );
        assert!(lines[3].ends_with("| ≤ 50,000 (**missed**) |"));
        let t = gas_table(&[Row::new("Verify", 1, gas).target_without_instance(40_000)]);
        assert!(
            t.ends_with("| ≤ 40,000 without instance cost (met) |\n"),
            "{t}"
        );
        // Every row has as many cells as the header.
        let cells = |l: &str| l.matches('|').count();
        assert!(lines.iter().all(|l| cells(l) == cells(lines[0])));
    }

    #[test]
    fn markers_replace_only_their_block() {
        let doc = "a\n<!-- aip-gas:x:begin -->\nold\n<!-- aip-gas:x:end -->\nb\n";
        let new = replace_between_markers(doc, "x", "new\n").unwrap();
        assert_eq!(
            new,
            "a\n<!-- aip-gas:x:begin -->\nnew\n<!-- aip-gas:x:end -->\nb\n"
        );
        // Idempotent.
        assert_eq!(replace_between_markers(&new, "x", "new").unwrap(), new);
        assert!(replace_between_markers(doc, "y", "z")
            .unwrap_err()
            .to_string()
            .contains("aip-gas:y:begin"));
    }
}
