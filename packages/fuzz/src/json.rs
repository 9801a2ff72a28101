//! A JSON tree whose numbers are kept as their literal text, so that the
//! fuzzer can write what `serde_json::Value` cannot hold: integers beyond
//! u128, `1.0`, `1e3`, `-0`, a leading zero.

use std::fmt::{self, Write};

/// A JSON value with raw number literals and ordered object keys.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number, written exactly as this text (may be invalid JSON on purpose).
    Num(String),
    /// A string (escaped when written).
    Str(String),
    /// An array.
    Arr(Vec<Json>),
    /// An object, keys in insertion order (duplicates allowed on purpose).
    Obj(Vec<(String, Json)>),
    /// Raw bytes of text written as they are (truncated or broken documents).
    Raw(String),
}

impl Json {
    /// A number from an integer.
    pub fn int(n: impl fmt::Display) -> Json {
        Json::Num(n.to_string())
    }

    /// The value as a `serde_json::Value` when it is valid JSON (used to
    /// inspect a generated message, e.g. its variant name).
    pub fn to_value(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.to_string()).ok()
    }

    /// The direct children that a shrinker may remove or simplify.
    pub fn size(&self) -> usize {
        match self {
            Json::Arr(a) => 1 + a.iter().map(Json::size).sum::<usize>(),
            Json::Obj(o) => 1 + o.iter().map(|(_, v)| v.size()).sum::<usize>(),
            _ => 1,
        }
    }
}

impl fmt::Display for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Json::Null => f.write_str("null"),
            Json::Bool(b) => write!(f, "{b}"),
            Json::Num(n) | Json::Raw(n) => f.write_str(n),
            Json::Str(s) => write_str(f, s),
            Json::Arr(a) => {
                f.write_char('[')?;
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_char(']')
            }
            Json::Obj(o) => {
                f.write_char('{')?;
                for (i, (k, v)) in o.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    write_str(f, k)?;
                    write!(f, ":{v}")?;
                }
                f.write_char('}')
            }
        }
    }
}

fn write_str(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    // serde_json's escaping cannot fail for a &str.
    f.write_str(&serde_json::to_string(s).unwrap_or_default())
}

/// Smaller variants of `j`, each one step simpler (a key or element removed,
/// a leaf emptied): the candidates a shrinker tries, largest cut first.
pub fn shrink_candidates(j: &Json) -> Vec<Json> {
    let mut out = vec![];
    match j {
        Json::Obj(o) => {
            for i in 0..o.len() {
                let mut c = o.clone();
                c.remove(i);
                out.push(Json::Obj(c));
            }
            for i in 0..o.len() {
                for s in shrink_candidates(&o[i].1) {
                    let mut c = o.clone();
                    c[i].1 = s;
                    out.push(Json::Obj(c));
                }
            }
        }
        Json::Arr(a) => {
            for i in 0..a.len() {
                let mut c = a.clone();
                c.remove(i);
                out.push(Json::Arr(c));
            }
            for i in 0..a.len() {
                for s in shrink_candidates(&a[i]) {
                    let mut c = a.clone();
                    c[i] = s;
                    out.push(Json::Arr(c));
                }
            }
        }
        Json::Str(s) if !s.is_empty() => out.push(Json::Str(String::new())),
        Json::Num(n) if n != "0" => out.push(Json::Num("0".into())),
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_raw_numbers_and_escapes_strings() {
        let j = Json::Obj(vec![
            (
                "a".into(),
                Json::Num("340282366920938463463374607431768211456".into()),
            ),
            ("b".into(), Json::Str("é\"\n".into())),
            (
                "c".into(),
                Json::Arr(vec![Json::Null, Json::Bool(true), Json::Num("1e3".into())]),
            ),
        ]);
        assert_eq!(
            j.to_string(),
            r#"{"a":340282366920938463463374607431768211456,"b":"é\"\n","c":[null,true,1e3]}"#
        );
        assert!(j.to_value().is_some());
        assert!(Json::Num("01".into()).to_value().is_none());
    }

    #[test]
    fn shrinking_removes_keys_and_empties_leaves() {
        let j = Json::Obj(vec![
            ("a".into(), Json::Str("x".into())),
            ("b".into(), Json::Num("5".into())),
        ]);
        let c = shrink_candidates(&j);
        assert_eq!(c[0].to_string(), r#"{"b":5}"#);
        assert_eq!(c[1].to_string(), r#"{"a":"x"}"#);
        assert!(c.iter().any(|x| x.to_string() == r#"{"a":"","b":5}"#));
        assert!(c.iter().any(|x| x.to_string() == r#"{"a":"x","b":0}"#));
        assert!(c
            .iter()
            .all(|x| x != &j && x.to_string().len() <= j.to_string().len()));
    }
}
