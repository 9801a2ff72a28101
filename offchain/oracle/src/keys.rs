//! Device keys the agent holds (for simulated meters), and signing.

use std::collections::BTreeMap;
use std::path::Path;

use ed25519_dalek::{Signer, SigningKey};

use crate::error::{Error, Result};
use crate::reading::Reading;

/// ed25519 device keys by meter id.
#[derive(Default)]
pub struct DeviceKeys {
    keys: BTreeMap<u32, SigningKey>,
}

impl DeviceKeys {
    /// Loads a TOML file of `"<meter id>" = "<64 hex digits of the seed>"`.
    pub fn load(path: &Path) -> Result<Self> {
        let err = |message: String| Error::Keys {
            path: path.to_path_buf(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let table: BTreeMap<String, String> =
            toml::from_str(&text).map_err(|e| err(e.message().to_string()))?;
        let mut keys = BTreeMap::new();
        for (meter, seed) in table {
            let id: u32 = meter
                .parse()
                .map_err(|_| err(format!("{meter:?} is not a meter id")))?;
            let bytes = hex::decode(seed.trim())
                .map_err(|e| err(format!("meter {id}: seed is not hex: {e}")))?;
            let seed = <[u8; 32]>::try_from(bytes.as_slice())
                .map_err(|_| err(format!("meter {id}: seed must be 32 bytes")))?;
            keys.insert(id, SigningKey::from_bytes(&seed));
        }
        Ok(DeviceKeys { keys })
    }

    /// Fresh random keys for meters `first..first + count` (OS randomness).
    pub fn generate(first: u32, count: u32) -> Result<Self> {
        let mut keys = BTreeMap::new();
        for id in first..first.saturating_add(count) {
            let mut seed = [0u8; 32];
            getrandom::getrandom(&mut seed)
                .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
            keys.insert(id, SigningKey::from_bytes(&seed));
        }
        Ok(DeviceKeys { keys })
    }

    /// Adds one key.
    pub fn insert(&mut self, meter: u32, key: SigningKey) {
        self.keys.insert(meter, key);
    }

    /// The key file text (seeds: keep it secret).
    pub fn to_toml(&self) -> String {
        self.keys
            .iter()
            .map(|(id, k)| format!("\"{id}\" = \"{}\"\n", hex::encode(k.to_bytes())))
            .collect()
    }

    /// Public keys (hex) by meter, for registration.
    pub fn public_keys(&self) -> Vec<(u32, [u8; 32])> {
        self.keys
            .iter()
            .map(|(id, k)| (*id, k.verifying_key().to_bytes()))
            .collect()
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when no key is held.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Signs `r` for the given deployment, if this agent holds the meter's key.
    pub fn sign(&self, r: &Reading, chain_id: &str, contract: &str) -> Option<[u8; 64]> {
        let key = self.keys.get(&r.meter)?;
        let payload = meter_oracle::reading_payload(
            chain_id,
            contract,
            r.meter,
            r.slot.0,
            u128::from(r.exported_wh),
            u128::from(r.imported_wh),
        );
        Some(key.sign(&payload).to_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aip_types::SlotId;
    use ed25519_dalek::{Signature, Verifier};

    #[test]
    fn key_files_round_trip_and_signatures_verify() {
        let keys = DeviceKeys::generate(5, 3).expect("keys");
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("k.toml");
        std::fs::write(&path, keys.to_toml()).expect("write");
        let back = DeviceKeys::load(&path).expect("load");
        assert_eq!(back.public_keys(), keys.public_keys());
        let r = Reading {
            meter: 6,
            slot: SlotId(900),
            exported_wh: 1,
            imported_wh: 2,
            signature: None,
        };
        let sig = back.sign(&r, "chain", "contract").expect("held");
        let payload = meter_oracle::reading_payload("chain", "contract", 6, 900, 1, 2);
        let vk = ed25519_dalek::VerifyingKey::from_bytes(&back.public_keys()[1].1).expect("vk");
        vk.verify(&payload, &Signature::from_bytes(&sig))
            .expect("valid");
        assert!(back.sign(&Reading { meter: 99, ..r }, "c", "c").is_none());
    }

    #[test]
    fn malformed_key_files_are_refused() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("k.toml");
        std::fs::write(&path, "\"x\" = \"00\"").expect("write");
        let e = DeviceKeys::load(&path).err().expect("bad id");
        assert!(e.to_string().ends_with("\"x\" is not a meter id"), "{e}");
        std::fs::write(&path, "\"1\" = \"0011\"").expect("write");
        let e = DeviceKeys::load(&path).err().expect("short");
        assert!(
            e.to_string().ends_with("meter 1: seed must be 32 bytes"),
            "{e}"
        );
    }
}
