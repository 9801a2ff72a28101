//! The bytes a meter device signs. Shared by the contract and the oracle agent
//! (which depends on this crate with the `library` feature), so both build the
//! payload with the same code.

/// Domain tag: keeps a reading signature from ever being valid for any other
/// message signed with the same device key.
pub const READING_DOMAIN: &[u8] = b"aipchain/meter-oracle/reading/v1";

/// Canonical payload of one reading:
///
/// ```text
/// READING_DOMAIN
/// || u16 BE len(chain_id) || chain_id
/// || u16 BE len(contract) || contract      (the bech32 address string)
/// || u32 BE meter || u64 BE slot_start
/// || u128 BE exported_wh || u128 BE imported_wh
/// ```
///
/// Length prefixes make the encoding injective; chain id and contract address
/// bind the signature to one deployment, so it cannot be replayed elsewhere.
pub fn reading_payload(
    chain_id: &str,
    contract: &str,
    meter: u32,
    slot: u64,
    exported_wh: u128,
    imported_wh: u128,
) -> Vec<u8> {
    let mut out =
        Vec::with_capacity(READING_DOMAIN.len() + 4 + chain_id.len() + contract.len() + 44);
    out.extend_from_slice(READING_DOMAIN);
    push_str(&mut out, chain_id);
    push_str(&mut out, contract);
    out.extend_from_slice(&meter.to_be_bytes());
    out.extend_from_slice(&slot.to_be_bytes());
    out.extend_from_slice(&exported_wh.to_be_bytes());
    out.extend_from_slice(&imported_wh.to_be_bytes());
    out
}

fn push_str(out: &mut Vec<u8>, s: &str) {
    // Chain ids and addresses are far below 64 KiB; longer input is cut to a
    // length that still keeps the prefix honest.
    let bytes = &s.as_bytes()[..s.len().min(u16::MAX as usize)];
    out.extend_from_slice(&(bytes.len() as u16).to_be_bytes());
    out.extend_from_slice(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_layout_is_stable() {
        let p = reading_payload("aip-1", "c", 7, 900, 5, 6);
        let mut want = READING_DOMAIN.to_vec();
        want.extend_from_slice(&[0, 5]);
        want.extend_from_slice(b"aip-1");
        want.extend_from_slice(&[0, 1, b'c']);
        want.extend_from_slice(&[0, 0, 0, 7]);
        want.extend_from_slice(&900u64.to_be_bytes());
        want.extend_from_slice(&5u128.to_be_bytes());
        want.extend_from_slice(&6u128.to_be_bytes());
        assert_eq!(p, want);
    }

    #[test]
    fn every_field_changes_the_payload() {
        let base = reading_payload("a", "b", 1, 900, 2, 3);
        assert_ne!(base, reading_payload("ab", "", 1, 900, 2, 3));
        assert_ne!(base, reading_payload("a", "c", 1, 900, 2, 3));
        assert_ne!(base, reading_payload("a", "b", 2, 900, 2, 3));
        assert_ne!(base, reading_payload("a", "b", 1, 1800, 2, 3));
        assert_ne!(base, reading_payload("a", "b", 1, 900, 3, 2));
    }
}
