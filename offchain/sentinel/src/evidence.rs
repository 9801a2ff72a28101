//! Findings and their evidence: what a detector saw, as canonical JSON, and
//! the flag reason that names it on chain (`<code>:sha256:<hex>`).

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::event::Account;

/// What kind of abuse a finding is about (the reason code on chain).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    /// Wash trading or self-dealing.
    Wash,
    /// A review ring.
    Ring,
    /// A Sybil cluster.
    Sybil,
    /// Impossible meter readings.
    Meter,
    /// The ML scorer's outlier score.
    Ml,
}

impl Code {
    /// Every code.
    pub const ALL: [Code; 5] = [Code::Wash, Code::Ring, Code::Sybil, Code::Meter, Code::Ml];

    /// The code as written in a flag reason.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Wash => "wash",
            Code::Ring => "ring",
            Code::Sybil => "sybil",
            Code::Meter => "meter",
            Code::Ml => "ml",
        }
    }

    /// Parses a code as written in a flag reason.
    pub fn parse(s: &str) -> Option<Code> {
        Code::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One account a detector would flag, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The account.
    pub account: Account,
    /// The kind of abuse.
    pub code: Code,
    /// What the detector saw (counts, counterparties, trade ids, thresholds).
    pub evidence: Value,
}

impl Finding {
    /// The evidence document served for review: the account, the code and
    /// the detector's evidence.
    pub fn document(&self) -> Value {
        serde_json::json!({
            "account": self.account,
            "code": self.code.as_str(),
            "evidence": self.evidence,
        })
    }

    /// The canonical evidence JSON: [`canonical`] of [`Finding::document`].
    pub fn canonical(&self) -> String {
        canonical(&self.document())
    }

    /// sha256 of the canonical evidence JSON, lower-case hex.
    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.canonical().as_bytes()))
    }

    /// The flag reason posted on chain: `<code>:sha256:<hex>`.
    pub fn reason(&self) -> String {
        format!("{}:sha256:{}", self.code, self.hash())
    }
}

/// Parses a flag reason into its code and evidence hash (None when it is not
/// one of the sentinel's).
pub fn parse_reason(reason: &str) -> Option<(Code, &str)> {
    let (code, rest) = reason.split_once(':')?;
    let hash = rest.strip_prefix("sha256:")?;
    (hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
        .then_some(())
        .and(Code::parse(code).map(|c| (c, hash)))
}

/// Canonical JSON: object keys sorted (by bytes), no whitespace, numbers as
/// serde_json writes them. The same value always gives the same bytes,
/// whatever the order its keys were built in.
pub fn canonical(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(&m[k], out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(x, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let a = json!({"b": 1, "a": {"z": [1, {"y": 2, "x": 1}], "c": "s"}});
        assert_eq!(
            canonical(&a),
            r#"{"a":{"c":"s","z":[1,{"x":1,"y":2}]},"b":1}"#
        );
    }

    #[test]
    fn reason_carries_code_and_hash_of_the_canonical_document() {
        let f = Finding {
            account: "aip1x".into(),
            code: Code::Wash,
            evidence: json!({"trades": [1, 2]}),
        };
        let doc = r#"{"account":"aip1x","code":"wash","evidence":{"trades":[1,2]}}"#;
        assert_eq!(f.canonical(), doc);
        let want = hex::encode(Sha256::digest(doc.as_bytes()));
        assert_eq!(f.reason(), format!("wash:sha256:{want}"));
        assert_eq!(parse_reason(&f.reason()), Some((Code::Wash, want.as_str())));
        assert_eq!(parse_reason("wash:sha256:abc"), None);
        assert_eq!(parse_reason("manual review"), None);
    }
}
