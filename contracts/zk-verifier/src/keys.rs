//! Verifying keys compiled into the code, in prepared form.
//!
//! Reading a prepared key from storage costs `Register` about 4,400 SDK gas
//! (1,000 per read and 3 per byte of its 1,104 bytes). A key listed here costs
//! nothing to read, and its comb table can be large (255 points,
//! [`groth16::EMBEDDED_TEETH`] teeth), which shortens the public-input term.
//!
//! The admin still chooses the key: `instantiate` or `set_verifying_key` takes
//! the arkworks bytes as before, the host validates every point, and when the
//! bytes equal one of these keys' `raw` bytes, `Register` uses its compiled
//! prepared form; any other key is prepared and stored (3-teeth comb) and
//! `Register` reads it from storage. The `verifying_key` query returns the
//! bytes as set, and `config` says whether they are compiled in
//! (`verifying_key_in_code`). The unit test `embedded_keys_match_their_setup`
//! recomputes every prepared form here from its raw bytes and the raw bytes
//! from their setup, so a changed circuit fails it until the files are
//! regenerated (`AIP_WRITE_KEYS=1 cargo test -p zk-verifier
//! embedded_keys_match_their_setup`).
//!
//! A new key (a production ceremony, a changed circuit) is added here and
//! shipped as new code; `migrate` re-derives where each verifier's key is from
//! its stored bytes, so a verifier whose key is no longer compiled in falls
//! back to storage instead of breaking.

use crate::groth16::{self, KeyView, EMBEDDED_TEETH};

/// A verifying key compiled into the code.
#[derive(Clone, Copy, Debug)]
pub struct EmbeddedKey {
    /// Where the key comes from.
    pub name: &'static str,
    /// Its arkworks-compressed bytes (what the admin sets).
    pub raw: &'static [u8],
    /// Its prepared form (α | β γ δ | IC0 | comb table of IC1 with
    /// [`EMBEDDED_TEETH`] teeth), from `groth16::ValidKey::prepared`.
    pub prepared: &'static [u8],
}

/// The keys compiled into this code. The index of a key is what the register
/// record stores (a `u8`).
pub const EMBEDDED: &[EmbeddedKey] = &[EmbeddedKey {
    name: "development key: `aip-kyc setup --insecure-seed 2026` (single-party, insecure; \
           the tests, the gas benchmark and seeded localnet runs use it)",
    raw: include_bytes!("../keys/dev-2026.vk"),
    prepared: include_bytes!("../keys/dev-2026.prepared"),
}];

/// The index of the compiled key whose raw bytes are `raw`.
pub fn find(raw: &[u8]) -> Option<u8> {
    EMBEDDED
        .iter()
        .position(|k| k.raw == raw)
        .and_then(|i| u8::try_from(i).ok())
}

/// The prepared form of compiled key `index`, if this code has it.
pub fn view(index: u8) -> Option<KeyView<'static>> {
    EMBEDDED
        .get(usize::from(index))
        .and_then(|k| KeyView::parse(k.prepared, EMBEDDED_TEETH))
}

/// Length of a compiled prepared key.
pub const EMBEDDED_LEN: usize = groth16::prepared_len(EMBEDDED_TEETH);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::suite::kyc;
    use cosmwasm_std::testing::MockApi;

    #[test]
    fn embedded_keys_match_their_setup() {
        // Only the development key so far: `aip-kyc setup --insecure-seed 2026`
        // is the suite's seeded setup.
        let dev = &EMBEDDED[0];
        let raw = kyc().verifying_key.to_vec();
        let prepared = groth16::validate_key(&MockApi::default(), &raw)
            .unwrap()
            .prepared(EMBEDDED_TEETH);
        if std::env::var_os("AIP_WRITE_KEYS").is_some() {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("keys");
            std::fs::write(dir.join("dev-2026.vk"), &raw).unwrap();
            std::fs::write(dir.join("dev-2026.prepared"), &prepared).unwrap();
            return;
        }
        let hint = "keys/ do not match the circuit's seeded setup: regenerate them with \
                    `AIP_WRITE_KEYS=1 cargo test -p zk-verifier embedded_keys_match_their_setup`";
        assert!(dev.raw == raw.as_slice(), "{hint}");
        assert!(dev.prepared == prepared.as_slice(), "{hint}");
        assert_eq!(prepared.len(), EMBEDDED_LEN);
        assert_eq!(find(&raw), Some(0));
        assert!(view(0).is_some());
        assert_eq!(view(1), None);
        let mut other = raw.clone();
        other.swap(48, 48 + 96); // β and γ's first bytes: another key
        assert_eq!(find(&other), None);
    }
}
