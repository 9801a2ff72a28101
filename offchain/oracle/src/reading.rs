//! A meter reading as the agent handles it, and the JSON form sources deliver.

use aip_types::SlotId;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// One meter's energy in one slot, signed by the device or not yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reading {
    /// Meter id in the meter-oracle contract.
    pub meter: u32,
    /// The slot.
    pub slot: SlotId,
    /// Exported energy, Wh.
    pub exported_wh: u64,
    /// Imported energy, Wh.
    pub imported_wh: u64,
    /// The device's ed25519 signature over the canonical payload, if the
    /// device signed it itself (the agent then only forwards it).
    pub signature: Option<[u8; 64]>,
}

/// The JSON form of a reading (an MQTT message, a line of a JSON-lines file):
///
/// ```json
/// {"meter": 12, "slot": 1451606400, "exported_wh": 0, "imported_wh": 178,
///  "signature": "9f3a…(128 hex digits, optional)"}
/// ```
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadingJson {
    /// Meter id.
    pub meter: u32,
    /// Slot start, unix seconds (a multiple of 900).
    pub slot: u64,
    /// Exported energy, Wh.
    pub exported_wh: u64,
    /// Imported energy, Wh.
    pub imported_wh: u64,
    /// Hex signature by the device (64 bytes), if signed at the device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// Parses a hex ed25519 signature.
pub fn parse_signature(hex_sig: &str) -> Result<[u8; 64]> {
    let bytes = hex::decode(hex_sig.trim())
        .map_err(|e| Error::BadReading(format!("signature is not hex: {e}")))?;
    <[u8; 64]>::try_from(bytes.as_slice())
        .map_err(|_| Error::BadReading(format!("signature must be 64 bytes, got {}", bytes.len())))
}

impl TryFrom<ReadingJson> for Reading {
    type Error = Error;

    fn try_from(j: ReadingJson) -> Result<Self> {
        let slot = SlotId::new(j.slot).map_err(|e| Error::BadReading(e.to_string()))?;
        let signature = j.signature.as_deref().map(parse_signature).transpose()?;
        Ok(Reading {
            meter: j.meter,
            slot,
            exported_wh: j.exported_wh,
            imported_wh: j.imported_wh,
            signature,
        })
    }
}

impl From<&Reading> for ReadingJson {
    fn from(r: &Reading) -> Self {
        ReadingJson {
            meter: r.meter,
            slot: r.slot.0,
            exported_wh: r.exported_wh,
            imported_wh: r.imported_wh,
            signature: r.signature.map(hex::encode),
        }
    }
}

/// Parses one JSON reading (MQTT payload or file line).
pub fn parse_json(bytes: &[u8]) -> Result<Reading> {
    let j: ReadingJson =
        serde_json::from_slice(bytes).map_err(|e| Error::BadReading(e.to_string()))?;
    j.try_into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_readings_parse_with_and_without_signature() {
        let r = parse_json(br#"{"meter":3,"slot":1800,"exported_wh":5,"imported_wh":0}"#)
            .expect("valid");
        assert_eq!(r.meter, 3);
        assert_eq!(r.slot, SlotId(1800));
        assert_eq!(r.signature, None);
        let sig = "ab".repeat(64);
        let line = format!(
            r#"{{"meter":3,"slot":1800,"exported_wh":5,"imported_wh":0,"signature":"{sig}"}}"#
        );
        let r = parse_json(line.as_bytes()).expect("valid");
        assert_eq!(r.signature, Some([0xab; 64]));
        let back = serde_json::to_string(&ReadingJson::from(&r)).expect("json");
        assert_eq!(parse_json(back.as_bytes()).expect("round trip"), r);
    }

    #[test]
    fn bad_json_readings_are_refused_with_a_reason() {
        let e = parse_json(br#"{"meter":3,"slot":1801,"exported_wh":5,"imported_wh":0}"#)
            .expect_err("unaligned");
        assert_eq!(
            e.to_string(),
            "bad reading: slot start 1801 is not aligned to 900 s"
        );
        let e = parse_json(br#"{"meter":3,"slot":1800,"exported_wh":-5,"imported_wh":0}"#)
            .expect_err("negative");
        assert!(
            e.to_string().starts_with("bad reading: invalid value"),
            "{e}"
        );
        let e = parse_json(br#"{"meter":3,"slot":1800,"exported_wh":5,"imported_wh":0,"x":1}"#)
            .expect_err("unknown field");
        assert!(e.to_string().contains("unknown field `x`"), "{e}");
        let e = parse_json(
            br#"{"meter":3,"slot":1800,"exported_wh":5,"imported_wh":0,"signature":"abcd"}"#,
        )
        .expect_err("short signature");
        assert_eq!(
            e.to_string(),
            "bad reading: signature must be 64 bytes, got 2"
        );
    }
}
