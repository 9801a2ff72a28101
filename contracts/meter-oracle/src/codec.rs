//! Compact binary records kept in raw storage (no JSON): a store write costs
//! 2,000 + 30 SDK gas per byte on wasmd, so every byte of a record counts.
//!
//! * [`RegistryPage`]: up to [`REGISTRY_PAGE`](crate::state::REGISTRY_PAGE)
//!   meters (status, node, device key, owner).
//! * [`ReadingsPage`]: the reports and final values of up to
//!   [`READINGS_PAGE`](crate::state::READINGS_PAGE) meters for one slot.
//!
//! Numbers are LEB128 varints; a corrupt record is a `StdError`, never a panic.

use std::collections::BTreeMap;

use cosmwasm_std::{StdError, StdResult};

use crate::msg::MeterStatus;

/// Appends `v` as an unsigned LEB128 varint.
pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// A cursor over a stored record.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// Whether every byte was read.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    /// The next byte.
    pub fn u8(&mut self) -> StdResult<u8> {
        let b = *self.buf.get(self.pos).ok_or_else(corrupt)?;
        self.pos += 1;
        Ok(b)
    }

    /// The next `n` bytes.
    pub fn bytes(&mut self, n: usize) -> StdResult<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or_else(corrupt)?;
        let s = self.buf.get(self.pos..end).ok_or_else(corrupt)?;
        self.pos = end;
        Ok(s)
    }

    /// The next LEB128 varint.
    pub fn varint(&mut self) -> StdResult<u64> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            let part = u64::from(b & 0x7f);
            if shift == 63 && part > 1 {
                return Err(corrupt());
            }
            v |= part << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(corrupt())
    }
}

fn corrupt() -> StdError {
    StdError::generic_err("corrupt meter-oracle record")
}

fn status_byte(s: MeterStatus) -> u8 {
    match s {
        MeterStatus::Pending => 1,
        MeterStatus::Active => 2,
        MeterStatus::Deactivated => 3,
    }
}

fn status_from(b: u8) -> StdResult<MeterStatus> {
    match b {
        1 => Ok(MeterStatus::Pending),
        2 => Ok(MeterStatus::Active),
        3 => Ok(MeterStatus::Deactivated),
        _ => Err(corrupt()),
    }
}

/// One meter in the registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeterEntry {
    /// Pending, active or deactivated.
    pub status: MeterStatus,
    /// Grid node.
    pub node: u32,
    /// ed25519 device public key.
    pub pubkey: [u8; 32],
    /// Canonical address bytes of the owner.
    pub owner: Vec<u8>,
}

/// A page of the registry, keyed by the meter's offset inside the page.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegistryPage {
    /// Entries by offset inside the page.
    pub meters: BTreeMap<u8, MeterEntry>,
}

impl RegistryPage {
    /// Reads a page written by [`RegistryPage::encode`]; refuses corrupt bytes.
    pub fn decode(buf: &[u8]) -> StdResult<Self> {
        let mut r = Reader::new(buf);
        let mut meters = BTreeMap::new();
        while !r.is_empty() {
            let offset = r.u8()?;
            let status = status_from(r.u8()?)?;
            let node = u32::try_from(r.varint()?).map_err(|_| corrupt())?;
            let mut pubkey = [0u8; 32];
            pubkey.copy_from_slice(r.bytes(32)?);
            let len = usize::from(r.u8()?);
            let owner = r.bytes(len)?.to_vec();
            meters.insert(
                offset,
                MeterEntry {
                    status,
                    node,
                    pubkey,
                    owner,
                },
            );
        }
        Ok(RegistryPage { meters })
    }

    /// The page's compact bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.meters.len() * 60);
        for (offset, m) in &self.meters {
            out.push(*offset);
            out.push(status_byte(m.status));
            put_varint(&mut out, u64::from(m.node));
            out.extend_from_slice(&m.pubkey);
            // Canonical addresses are 20 or 32 bytes; capped defensively.
            let len = m.owner.len().min(255);
            out.push(len as u8);
            out.extend_from_slice(&m.owner[..len]);
        }
        out
    }
}

/// The state of one meter's readings in one slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SlotReading {
    /// Reports so far, one per set bit of `reporters` in ascending operator
    /// index order: (exported, imported).
    Pending {
        /// Bit `i` set: operator `i` reported.
        reporters: u64,
        /// (exported, imported) Wh per report.
        reports: Vec<(u64, u64)>,
    },
    /// Quorum reached; the values never change afterwards. Later reports are
    /// still recorded in `reporters` (and in `outliers` when they disagree).
    Final {
        /// Bit `i` set: operator `i` reported.
        reporters: u64,
        /// Bit `i` set: operator `i` disagreed with the final value.
        outliers: u64,
        /// Final exported energy, Wh.
        exported: u64,
        /// Final imported energy, Wh.
        imported: u64,
    },
}

impl SlotReading {
    /// The operators that reported, one bit each.
    pub fn reporters(&self) -> u64 {
        match self {
            SlotReading::Pending { reporters, .. } | SlotReading::Final { reporters, .. } => {
                *reporters
            }
        }
    }
}

const TAG_PENDING: u8 = 0;
const TAG_FINAL: u8 = 1;

/// The readings of one page of meters in one slot.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadingsPage {
    /// Reading states by offset inside the page.
    pub meters: BTreeMap<u8, SlotReading>,
}

impl ReadingsPage {
    /// Reads a page written by [`ReadingsPage::encode`]; refuses corrupt bytes.
    pub fn decode(buf: &[u8]) -> StdResult<Self> {
        let mut r = Reader::new(buf);
        let mut meters = BTreeMap::new();
        while !r.is_empty() {
            let offset = r.u8()?;
            let tag = r.u8()?;
            let reporters = r.varint()?;
            let reading = match tag {
                TAG_PENDING => {
                    let n = reporters.count_ones() as usize;
                    let mut reports = Vec::with_capacity(n);
                    for _ in 0..n {
                        reports.push((r.varint()?, r.varint()?));
                    }
                    SlotReading::Pending { reporters, reports }
                }
                TAG_FINAL => SlotReading::Final {
                    reporters,
                    outliers: r.varint()?,
                    exported: r.varint()?,
                    imported: r.varint()?,
                },
                _ => return Err(corrupt()),
            };
            meters.insert(offset, reading);
        }
        Ok(ReadingsPage { meters })
    }

    /// The page's compact bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.meters.len() * 8);
        for (offset, reading) in &self.meters {
            out.push(*offset);
            match reading {
                SlotReading::Pending { reporters, reports } => {
                    out.push(TAG_PENDING);
                    put_varint(&mut out, *reporters);
                    for (e, i) in reports {
                        put_varint(&mut out, *e);
                        put_varint(&mut out, *i);
                    }
                }
                SlotReading::Final {
                    reporters,
                    outliers,
                    exported,
                    imported,
                } => {
                    out.push(TAG_FINAL);
                    put_varint(&mut out, *reporters);
                    put_varint(&mut out, *outliers);
                    put_varint(&mut out, *exported);
                    put_varint(&mut out, *imported);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_at_the_edges() {
        for v in [
            0,
            1,
            127,
            128,
            300,
            u64::from(u32::MAX),
            u64::MAX - 1,
            u64::MAX,
        ] {
            let mut buf = vec![];
            put_varint(&mut buf, v);
            let mut r = Reader::new(&buf);
            assert_eq!(r.varint().unwrap(), v);
            assert!(r.is_empty());
        }
        let mut buf = vec![];
        put_varint(&mut buf, 300);
        assert_eq!(buf, vec![0xac, 0x02]);
    }

    #[test]
    fn overlong_or_truncated_varints_are_corrupt() {
        let too_long = [0xffu8; 11];
        assert!(Reader::new(&too_long).varint().is_err());
        assert!(Reader::new(&[0x80]).varint().is_err());
        let overflow = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert!(Reader::new(&overflow).varint().is_err());
    }

    #[test]
    fn pages_round_trip() {
        let mut reg = RegistryPage::default();
        reg.meters.insert(
            3,
            MeterEntry {
                status: MeterStatus::Active,
                node: 70_000,
                pubkey: [9; 32],
                owner: vec![1; 20],
            },
        );
        reg.meters.insert(
            31,
            MeterEntry {
                status: MeterStatus::Pending,
                node: 0,
                pubkey: [1; 32],
                owner: vec![2; 32],
            },
        );
        assert_eq!(RegistryPage::decode(&reg.encode()).unwrap(), reg);

        let mut page = ReadingsPage::default();
        page.meters.insert(
            0,
            SlotReading::Pending {
                reporters: 0b101,
                reports: vec![(1200, 0), (1210, 3)],
            },
        );
        page.meters.insert(
            63,
            SlotReading::Final {
                reporters: 0b111,
                outliers: 0b100,
                exported: 0,
                imported: 450,
            },
        );
        let bytes = page.encode();
        assert_eq!(ReadingsPage::decode(&bytes).unwrap(), page);
        // Small values stay small: 1+1+1+2+1+2+1 and 1+1+1+1+1+2.
        assert_eq!(bytes.len(), 9 + 7);
    }

    #[test]
    fn corrupt_records_are_errors() {
        assert!(ReadingsPage::decode(&[0, 7, 0]).is_err());
        assert!(ReadingsPage::decode(&[0, 0, 1]).is_err());
        assert!(RegistryPage::decode(&[0, 2, 0, 1]).is_err());
        assert!(RegistryPage::decode(&[0, 9]).is_err());
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        fn slot_reading() -> impl Strategy<Value = SlotReading> {
            prop_oneof![
                proptest::collection::vec((any::<u64>(), any::<u64>()), 1..8).prop_flat_map(
                    |reports| {
                        let n = reports.len();
                        proptest::sample::subsequence((0u8..64).collect::<Vec<_>>(), n).prop_map(
                            move |idx| SlotReading::Pending {
                                reporters: idx.iter().fold(0u64, |m, i| m | 1 << i),
                                reports: reports.clone(),
                            },
                        )
                    }
                ),
                (any::<u64>(), any::<u64>(), any::<u64>(), any::<u64>()).prop_map(
                    |(reporters, outliers, exported, imported)| SlotReading::Final {
                        reporters,
                        outliers,
                        exported,
                        imported,
                    }
                ),
            ]
        }

        proptest! {
            #[test]
            fn readings_pages_round_trip(
                m in proptest::collection::btree_map(0u8..64, slot_reading(), 0..64)
            ) {
                let page = ReadingsPage { meters: m };
                prop_assert_eq!(ReadingsPage::decode(&page.encode()).unwrap(), page);
            }

            #[test]
            fn registry_pages_round_trip(
                m in proptest::collection::btree_map(
                    0u8..32,
                    (1u8..4, any::<u32>(), any::<[u8; 32]>(), proptest::collection::vec(any::<u8>(), 0..33)),
                    0..32,
                )
            ) {
                let page = RegistryPage {
                    meters: m
                        .into_iter()
                        .map(|(k, (st, node, pubkey, owner))| {
                            (k, MeterEntry { status: status_from(st).unwrap(), node, pubkey, owner })
                        })
                        .collect(),
                };
                prop_assert_eq!(RegistryPage::decode(&page.encode()).unwrap(), page);
            }

            #[test]
            fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
                let _ = ReadingsPage::decode(&bytes);
                let _ = RegistryPage::decode(&bytes);
            }
        }
    }
}
