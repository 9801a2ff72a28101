//! Delivery slots: 15 minutes aligned to UTC, named by their start in unix seconds.

use cosmwasm_schema::cw_serde;

use crate::TypesError;

/// Length of a delivery slot in seconds.
pub const SLOT_SECONDS: u64 = 900;

/// A delivery slot, named by its start in unix seconds (a multiple of [`SLOT_SECONDS`]).
///
/// On the wire it is a plain JSON number, e.g. `1764057600`.
#[cw_serde]
#[derive(Copy, Eq, PartialOrd, Ord, Hash)]
pub struct SlotId(pub u64);

impl SlotId {
    /// The slot that starts at `start`; refused unless `start` is slot-aligned.
    pub fn new(start: u64) -> Result<Self, TypesError> {
        if !start.is_multiple_of(SLOT_SECONDS) {
            return Err(TypesError::UnalignedSlot {
                start,
                slot_seconds: SLOT_SECONDS,
            });
        }
        Ok(SlotId(start))
    }

    /// The slot that contains the instant `unix_seconds`.
    pub fn containing(unix_seconds: u64) -> Self {
        SlotId(unix_seconds - unix_seconds % SLOT_SECONDS)
    }

    /// True when the id is a slot start.
    pub fn is_aligned(self) -> bool {
        self.0.is_multiple_of(SLOT_SECONDS)
    }

    /// Start of the slot, unix seconds.
    pub fn start(self) -> u64 {
        self.0
    }

    /// End of the slot (exclusive), unix seconds. Saturates at `u64::MAX`.
    pub fn end(self) -> u64 {
        self.0.saturating_add(SLOT_SECONDS)
    }

    /// The next slot, or `None` past the end of time.
    pub fn next(self) -> Option<Self> {
        self.0.checked_add(SLOT_SECONDS).map(SlotId)
    }

    /// Index of the slot within its UTC day, 0..96.
    pub fn index_in_day(self) -> u32 {
        ((self.0 % 86_400) / SLOT_SECONDS) as u32
    }
}

impl std::fmt::Display for SlotId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_slots_are_accepted_and_others_refused() {
        assert_eq!(SlotId::new(1_764_057_600).unwrap().start(), 1_764_057_600);
        let err = SlotId::new(1_764_057_601).unwrap_err();
        assert_eq!(
            err.to_string(),
            "slot start 1764057601 is not aligned to 900 s"
        );
    }

    #[test]
    fn containing_rounds_down_to_the_slot_start() {
        assert_eq!(SlotId::containing(1_764_058_499), SlotId(1_764_057_600));
        assert_eq!(SlotId::containing(1_764_058_500), SlotId(1_764_058_500));
        assert_eq!(SlotId(1_764_057_600).end(), 1_764_058_500);
        assert_eq!(SlotId(0).next(), Some(SlotId(900)));
        assert_eq!(SlotId(u64::MAX - u64::MAX % 900).next(), None);
    }

    #[test]
    fn index_in_day_counts_quarter_hours() {
        assert_eq!(SlotId(86_400).index_in_day(), 0);
        assert_eq!(SlotId(86_400 + 95 * 900).index_in_day(), 95);
    }

    #[test]
    fn slot_is_a_plain_json_number() {
        let json = cosmwasm_std::to_json_string(&SlotId(900)).unwrap();
        assert_eq!(json, "900");
        let back: SlotId = cosmwasm_std::from_json(b"1800").unwrap();
        assert_eq!(back, SlotId(1800));
    }
}
