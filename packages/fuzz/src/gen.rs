//! Structure-aware generation from a JSON schema (the `write_api!` output):
//! valid messages with values drawn from a dictionary of what the deployment
//! knows (addresses, ids and amounts seen in events and errors, the current
//! slots) and from edge cases, and, at a small rate, mutations of any node
//! (wrong type, null, missing or extra fields, numbers beyond u64/u128,
//! non-canonical numbers, unicode, broken documents).

use serde_json::Value;

use crate::json::Json;
use crate::rng::Rng;

/// Values the generator prefers to random ones.
#[derive(Debug, Clone, Default)]
pub struct Dict {
    /// Account and contract addresses of the deployment.
    pub addrs: Vec<String>,
    /// Integers seen in responses and errors, and the current slots.
    pub ints: Vec<u128>,
    /// Strings seen in responses (ids, names, meters).
    pub strs: Vec<String>,
    /// Hot integers, preferred to the rest: the current slots and the
    /// numbers the latest refusal named.
    pub hot: Vec<u128>,
    /// Values seen under a name (an event attribute, a response field):
    /// preferred for a message field of the same name.
    pub by_key: std::collections::BTreeMap<String, Vec<String>>,
}

impl Dict {
    /// Most values a dictionary keeps per kind; older ones are replaced at random.
    pub const CAP: usize = 256;

    /// Remembers an integer (bounded, replaces a random old one when full).
    pub fn add_int(&mut self, n: u128, rng: &mut Rng) {
        if self.ints.contains(&n) {
            return;
        }
        if self.ints.len() < Self::CAP {
            self.ints.push(n);
        } else {
            let i = rng.below(self.ints.len());
            self.ints[i] = n;
        }
    }

    /// Remembers a string (and the integer it spells, if any).
    pub fn add_str(&mut self, s: &str, rng: &mut Rng) {
        if let Ok(n) = s.parse::<u128>() {
            self.add_int(n, rng);
        }
        if s.is_empty() || s.len() > 128 || self.strs.iter().any(|x| x == s) {
            return;
        }
        if self.strs.len() < Self::CAP {
            self.strs.push(s.to_string());
        } else {
            let i = rng.below(self.strs.len());
            self.strs[i] = s.to_string();
        }
    }

    /// Remembers a value seen under `key` (bounded per key).
    pub fn add_keyed(&mut self, key: &str, value: &str, rng: &mut Rng) {
        if value.is_empty() || value.len() > 128 {
            return;
        }
        let vals = self.by_key.entry(key.to_string()).or_default();
        if vals.iter().any(|v| v == value) {
            return;
        }
        if vals.len() < 32 {
            vals.push(value.to_string());
        } else {
            let i = rng.below(vals.len());
            vals[i] = value.to_string();
        }
    }

    /// Remembers every run of digits in a text (an error message names the
    /// amount it wanted, the slot that is open, the id that exists).
    pub fn add_numbers_in(&mut self, text: &str, rng: &mut Rng) {
        for n in numbers_in(text) {
            self.add_int(n, rng);
        }
    }
}

/// Every run of digits in a text that fits a u128, in order.
pub fn numbers_in(text: &str) -> Vec<u128> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty() && p.len() <= 39)
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// Integer literals that are edge cases for u32/u64/u128 fields and parsers.
const EDGE_NUMS: &[&str] = &[
    "0",
    "1",
    "4294967295",
    "4294967296",
    "9007199254740993",
    "18446744073709551615",
    "18446744073709551616",
    "340282366920938463463374607431768211455",
    "340282366920938463463374607431768211456",
    "1157920892373161954235709850086879078532699846656405640394575840079131296399360",
    "-1",
    "-9223372036854775808",
    "-0",
    "1.0",
    "1e3",
    "0.5",
    "1e400",
    "01",
];

/// Edge cases for numbers written as strings (Uint128, Uint64, Decimal).
const EDGE_NUM_STRS: &[&str] = &[
    "",
    "-1",
    "1.5",
    "1e3",
    "00",
    " 1",
    "+1",
    "0x10",
    "340282366920938463463374607431768211455",
    "340282366920938463463374607431768211456",
    "18446744073709551616",
    "١٢",
    "NaN",
];

/// Edge cases for free strings.
const EDGE_STRS: &[&str] = &[
    "",
    " ",
    "⚡💡 énergie",
    "\u{0}",
    "null",
    "wasm1",
    "cosmwasm1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq",
    "../../etc",
    "\u{202e}reversed",
];

/// Generates messages from one root schema (with its `definitions`).
pub struct Generator<'a> {
    /// The root schema: `$ref`s resolve against its `definitions`.
    pub root: &'a Value,
    /// Values to prefer.
    pub dict: &'a Dict,
    /// Mutation rate, per mille per node.
    pub mutate_permille: u64,
    /// Bytes to put in a `Binary` field instead of random ones (a cw20 hook).
    pub binary: Option<Vec<u8>>,
}

const MAX_DEPTH: u32 = 10;

impl Generator<'_> {
    /// A whole message: mostly a schema value, sometimes a broken document.
    pub fn message(&self, rng: &mut Rng) -> Json {
        if rng.chance(2) {
            return self.broken(rng);
        }
        self.value(self.root, 0, rng)
    }

    fn broken(&self, rng: &mut Rng) -> Json {
        match rng.below(6) {
            0 => Json::Raw(String::new()),
            1 => Json::Raw("{}".into()),
            2 => Json::Raw("[]".into()),
            3 => {
                // A valid message cut short.
                let s = self.value(self.root, 0, rng).to_string();
                let cut = rng.below(s.len().max(1));
                Json::Raw(s.chars().take(cut).collect())
            }
            4 => {
                // Deep nesting.
                let depth = 1 + rng.below(300);
                Json::Raw(format!("{}{}", "[".repeat(depth), "]".repeat(depth)))
            }
            _ => {
                // Two variants in one object.
                let a = self.value(self.root, 0, rng);
                let b = self.value(self.root, 0, rng);
                match (a, b) {
                    (Json::Obj(mut x), Json::Obj(y)) => {
                        x.extend(y);
                        Json::Obj(x)
                    }
                    (a, _) => a,
                }
            }
        }
    }

    /// A value for schema `s` (a mutation of it at the mutation rate).
    pub fn value(&self, s: &Value, depth: u32, rng: &mut Rng) -> Json {
        if self.mutate_permille > 0 && rng.next_u64() % 1000 < self.mutate_permille {
            return self.mutant(s, depth, rng);
        }
        self.valid(s, depth, rng)
    }

    fn mutant(&self, s: &Value, depth: u32, rng: &mut Rng) -> Json {
        match rng.below(7) {
            0 => Json::Null,
            1 => Json::Num(rng.pick(EDGE_NUMS).to_string()),
            2 => Json::Str(rng.pick(EDGE_STRS).to_string()),
            3 => Json::Arr(vec![self.valid(s, depth + 1, rng)]),
            4 => Json::Bool(rng.chance(50)),
            _ => match self.valid(s, depth, rng) {
                // Objects lose a field or gain one.
                Json::Obj(mut o) => {
                    if !o.is_empty() && rng.chance(50) {
                        let i = rng.below(o.len());
                        o.remove(i);
                    } else {
                        o.push(("unexpected_field".into(), Json::Num("1".into())));
                    }
                    Json::Obj(o)
                }
                Json::Num(_) => Json::Num(rng.pick(EDGE_NUMS).to_string()),
                Json::Str(_) => Json::Str(rng.pick(EDGE_NUM_STRS).to_string()),
                other => other,
            },
        }
    }

    fn definition(&self, r: &str) -> Option<&Value> {
        let name = r.strip_prefix("#/definitions/")?;
        self.root.get("definitions")?.get(name)
    }

    fn valid(&self, s: &Value, depth: u32, rng: &mut Rng) -> Json {
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            let name = r.rsplit('/').next().unwrap_or("");
            if let Some(j) = self.special(name, rng) {
                return j;
            }
            return match self.definition(r) {
                Some(d) => self.value(d, depth + 1, rng),
                None => Json::Null,
            };
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(alts) = s.get(key).and_then(Value::as_array) {
                if !alts.is_empty() {
                    return self.value(rng.pick(alts), depth + 1, rng);
                }
            }
        }
        if let Some(all) = s.get("allOf").and_then(Value::as_array) {
            if let Some(first) = all.first() {
                return self.value(first, depth + 1, rng);
            }
        }
        if let Some(e) = s.get("enum").and_then(Value::as_array) {
            if !e.is_empty() {
                return from_value(rng.pick(e));
            }
        }
        if let Some(c) = s.get("const") {
            return from_value(c);
        }
        let ty = match s.get("type") {
            Some(Value::String(t)) => t.as_str(),
            Some(Value::Array(ts)) => {
                let non_null: Vec<&str> = ts
                    .iter()
                    .filter_map(Value::as_str)
                    .filter(|t| *t != "null")
                    .collect();
                if non_null.is_empty() || (ts.len() > non_null.len() && rng.chance(30)) {
                    return Json::Null;
                }
                *rng.pick(&non_null)
            }
            _ => "any",
        };
        match ty {
            "object" => self.object(s, depth, rng),
            "array" => self.array(s, depth, rng),
            "integer" => self.integer(s, rng),
            "number" => Json::Num(rng.pick(&["0", "0.5", "1", "-1", "1e10"]).to_string()),
            "boolean" => Json::Bool(rng.chance(50)),
            "string" => Json::Str(self.string(rng)),
            "null" => Json::Null,
            _ => Json::Obj(vec![]),
        }
    }

    /// Types cosmwasm-std writes as strings, by their definition name.
    fn special(&self, name: &str, rng: &mut Rng) -> Option<Json> {
        Some(match name {
            "Uint64" | "Uint128" | "Uint256" | "Uint512" | "Int64" | "Int128" | "Int256"
            | "Timestamp" => Json::Str(self.numeric_string(rng)),
            "Decimal" | "Decimal256" | "SignedDecimal" => {
                let n = self.numeric_string(rng);
                Json::Str(if rng.chance(50) { format!("0.{n}") } else { n })
            }
            "Binary" => Json::Str(base64(&self.bytes(rng))),
            "HexBinary" => Json::Str(self.bytes(rng).iter().map(|b| format!("{b:02x}")).collect()),
            "Addr" => Json::Str(self.address(rng)),
            _ => return None,
        })
    }

    fn bytes(&self, rng: &mut Rng) -> Vec<u8> {
        if let Some(b) = &self.binary {
            return b.clone();
        }
        let len = *rng.pick(&[0usize, 1, 31, 32, 33, 48, 64, 96, 200]);
        (0..len).map(|_| rng.next_u64() as u8).collect()
    }

    fn object(&self, s: &Value, depth: u32, rng: &mut Rng) -> Json {
        let required: Vec<&str> = s
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut out = vec![];
        if let Some(props) = s.get("properties").and_then(Value::as_object) {
            for (k, v) in props {
                let req = required.contains(&k.as_str());
                if req || (depth < MAX_DEPTH && rng.chance(50)) {
                    let mut val = self.value(v, depth + 1, rng);
                    // A value seen under this field's name, in the field's kind.
                    if let Some(seen) = self.dict.by_key.get(k.as_str()) {
                        if rng.chance(50) {
                            let x = rng.pick(seen).clone();
                            val = match val {
                                Json::Num(_) if x.parse::<u128>().is_ok() => Json::Num(x),
                                Json::Str(_) => Json::Str(x),
                                other => other,
                            };
                        }
                    }
                    out.push((k.clone(), val));
                }
            }
        }
        Json::Obj(out)
    }

    fn array(&self, s: &Value, depth: u32, rng: &mut Rng) -> Json {
        let len = if depth >= MAX_DEPTH {
            0
        } else {
            match rng.below(20) {
                0..=3 => 0,
                4..=17 => 1 + rng.below(3),
                _ => 4 + rng.below(16),
            }
        };
        let item = match s.get("items") {
            Some(Value::Array(tuple)) => {
                // A tuple: one value per position.
                return Json::Arr(
                    tuple
                        .iter()
                        .map(|t| self.value(t, depth + 1, rng))
                        .collect(),
                );
            }
            Some(i) => i.clone(),
            None => Value::Object(Default::default()),
        };
        Json::Arr(
            (0..len)
                .map(|_| self.value(&item, depth + 1, rng))
                .collect(),
        )
    }

    /// `j` with one leaf (number, string, bool) replaced by a value of the
    /// same kind from the dictionary: a small step from a message that was
    /// accepted.
    pub fn mutate_leaf(&self, j: &Json, rng: &mut Rng) -> Json {
        let leaves = count_leaves(j);
        if leaves == 0 {
            return j.clone();
        }
        let mut target = rng.below(leaves);
        self.replace_leaf(j, &mut target, rng)
    }

    fn replace_leaf(&self, j: &Json, target: &mut usize, rng: &mut Rng) -> Json {
        match j {
            Json::Arr(a) => Json::Arr(
                a.iter()
                    .map(|x| self.replace_leaf(x, target, rng))
                    .collect(),
            ),
            Json::Obj(o) => Json::Obj(
                o.iter()
                    .map(|(k, v)| (k.clone(), self.replace_leaf(v, target, rng)))
                    .collect(),
            ),
            leaf => {
                let hit = *target == 0;
                *target = target.wrapping_sub(1);
                if !hit {
                    return leaf.clone();
                }
                match leaf {
                    Json::Num(_) => Json::int(self.small_or_known(rng)),
                    Json::Str(s) if s.parse::<u128>().is_ok() => {
                        Json::Str(self.numeric_string(rng))
                    }
                    Json::Str(_) => Json::Str(self.string(rng)),
                    Json::Bool(b) => Json::Bool(!b),
                    other => other.clone(),
                }
            }
        }
    }

    fn small_or_known(&self, rng: &mut Rng) -> u128 {
        match rng.below(20) {
            0..=6 if !self.dict.hot.is_empty() => *rng.pick(&self.dict.hot),
            7..=14 if !self.dict.ints.is_empty() => *rng.pick(&self.dict.ints),
            _ => rng.below(10) as u128,
        }
    }

    fn integer(&self, s: &Value, rng: &mut Rng) -> Json {
        if self.mutate_permille > 0 && rng.chance(10) {
            return Json::Num(rng.pick(EDGE_NUMS).to_string());
        }
        let n = self.small_or_known(rng);
        // Keep most values inside the declared format, so that they reach the
        // contract's own checks rather than the parser's.
        let n = match s.get("format").and_then(Value::as_str) {
            Some("uint8") => n % 256,
            Some("uint16") => n % 65_536,
            Some("uint32") | Some("int32") => n % (1 << 32),
            Some("uint64") | Some("int64") => n % (1 << 64),
            _ => n,
        };
        Json::int(n)
    }

    fn numeric_string(&self, rng: &mut Rng) -> String {
        if self.mutate_permille > 0 && rng.chance(12) {
            return rng.pick(EDGE_NUM_STRS).to_string();
        }
        let n = self.small_or_known(rng);
        // Amounts: also multiples, so that escrow-sized numbers appear.
        match rng.below(10) {
            0 => n.saturating_mul(1000).to_string(),
            1 => (n / 2).to_string(),
            _ => n.to_string(),
        }
    }

    fn address(&self, rng: &mut Rng) -> String {
        if !self.dict.addrs.is_empty() && rng.chance(85) {
            let a = rng.pick(&self.dict.addrs).clone();
            if rng.chance(5) {
                return a.to_uppercase();
            }
            return a;
        }
        rng.pick(EDGE_STRS).to_string()
    }

    fn string(&self, rng: &mut Rng) -> String {
        match rng.below(20) {
            0..=5 => self.address(rng),
            6..=12 if !self.dict.strs.is_empty() => rng.pick(&self.dict.strs).clone(),
            13..=16 => self.small_or_known(rng).to_string(),
            17 => "x".repeat(1 + rng.below(400)),
            _ => rng.pick(EDGE_STRS).to_string(),
        }
    }
}

fn count_leaves(j: &Json) -> usize {
    match j {
        Json::Arr(a) => a.iter().map(count_leaves).sum(),
        Json::Obj(o) => o.iter().map(|(_, v)| count_leaves(v)).sum(),
        _ => 1,
    }
}

/// A `serde_json::Value` as a [`Json`] (schema enums and consts).
pub fn from_value(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => Json::Num(n.to_string()),
        Value::String(s) => Json::Str(s.clone()),
        Value::Array(a) => Json::Arr(a.iter().map(from_value).collect()),
        Value::Object(o) => Json::Obj(o.iter().map(|(k, v)| (k.clone(), from_value(v))).collect()),
    }
}

/// Standard base64 with padding (what `Binary` expects).
pub fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "oneOf": [
                {"type": "object", "required": ["pay"], "additionalProperties": false,
                 "properties": {"pay": {"type": "object", "required": ["to", "amount", "slot"],
                   "properties": {
                     "to": {"type": "string"},
                     "amount": {"$ref": "#/definitions/Uint128"},
                     "slot": {"type": "integer", "format": "uint64", "minimum": 0.0},
                     "memo": {"type": ["string", "null"]},
                     "data": {"$ref": "#/definitions/Binary"}
                   }}}},
                {"type": "string", "enum": ["ping"]}
            ],
            "definitions": {
                "Uint128": {"type": "string"},
                "Binary": {"type": "string"}
            }
        })
    }

    #[test]
    fn unmutated_messages_follow_the_schema() {
        let root = schema();
        let dict = Dict {
            addrs: vec!["wasm1abc".into()],
            ints: vec![42],
            ..Dict::default()
        };
        let g = Generator {
            root: &root,
            dict: &dict,
            mutate_permille: 0,
            binary: Some(b"hi".to_vec()),
        };
        let mut rng = Rng::new(3);
        let (mut pays, mut pings) = (0, 0);
        for _ in 0..300 {
            let j = g.value(&root, 0, &mut rng);
            let v = j.to_value().expect("valid JSON");
            if v == json!("ping") {
                pings += 1;
                continue;
            }
            pays += 1;
            let p = &v["pay"];
            assert!(p["to"].is_string(), "{v}");
            assert!(p["amount"].is_string(), "{v}");
            assert!(
                p["slot"].is_number() || p["slot"].is_string() || p["slot"].is_u64(),
                "{v}"
            );
            if let Some(d) = p.get("data") {
                assert_eq!(d, "aGk=");
            }
        }
        assert!(pays > 100 && pings > 100);
    }

    #[test]
    fn mutation_produces_wrong_types_and_invalid_documents() {
        let root = schema();
        let dict = Dict::default();
        let g = Generator {
            root: &root,
            dict: &dict,
            mutate_permille: 200,
            binary: None,
        };
        let mut rng = Rng::new(9);
        let msgs: Vec<String> = (0..500).map(|_| g.message(&mut rng).to_string()).collect();
        assert!(msgs
            .iter()
            .any(|m| serde_json::from_str::<Value>(m).is_err()));
        assert!(msgs.iter().any(|m| m.contains("null")));
        assert!(msgs.iter().any(|m| m.contains("unexpected_field")));
    }

    #[test]
    fn dictionary_harvests_numbers_from_errors() {
        let mut d = Dict::default();
        let mut rng = Rng::new(1);
        d.add_numbers_in("this order needs 1250 uaip locked, 7 were sent", &mut rng);
        assert_eq!(d.ints, vec![1250, 7]);
    }

    #[test]
    fn base64_matches_the_standard() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foob"), "Zm9vYg==");
    }
}
