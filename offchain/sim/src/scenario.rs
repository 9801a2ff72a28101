//! The world the simulation runs in: a grid split into zones joined by
//! corridors, and households at grid nodes with a load and a PV profile.
//!
//! Real scenarios come from `data/` (see [`crate::data`]); [`Scenario::fixture`]
//! builds a small synthetic one for unit tests only.

use aip_types::{NodeId, ZoneId, SLOT_SECONDS};

/// Slots in a day.
pub const SLOTS_PER_DAY: usize = 96;

/// A zone of the grid (a feeder branch behind one corridor).
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    /// Zone id, as the contracts know it.
    pub id: ZoneId,
    /// Name, as the grid data gives it.
    pub name: String,
    /// Loss of a trade inside the zone, basis points.
    pub loss_bps: u32,
}

/// A directed link between two zones, as the DSO publishes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Corridor {
    /// Zone the energy leaves.
    pub from: ZoneId,
    /// Zone the energy enters.
    pub to: ZoneId,
    /// Energy the corridor can carry in one slot, Wh.
    pub capacity_wh: u64,
    /// Loss along the corridor, basis points of the energy sent.
    pub loss_bps: u32,
}

/// One household: where it sits and what it consumes and produces.
#[derive(Debug, Clone, PartialEq)]
pub struct Household {
    /// Label, `hh` and a three-digit id (`hh007`).
    pub name: String,
    /// Zone the household sits in.
    pub zone: ZoneId,
    /// Grid node (the benchmark grid's bus) the household is connected at.
    pub node: NodeId,
    /// Consumption per slot, Wh; index 0 is the first history slot.
    pub load_wh: Vec<u64>,
    /// PV production per slot, Wh (all zero without PV).
    pub pv_wh: Vec<u64>,
    /// Where the series come from: (profile name, Wh per slot at rated
    /// power), for forecasters of normalised profiles. None in fixtures.
    pub load_profile: Option<(String, f64)>,
    /// Same as `load_profile`, for the PV series (None without a PV profile).
    pub pv_profile: Option<(String, f64)>,
}

impl Household {
    /// True when the household has a PV system.
    pub fn has_pv(&self) -> bool {
        self.pv_wh.iter().any(|&w| w > 0)
    }
}

/// A complete scenario: grid, households and the time axis.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Short name (the grid's name).
    pub name: String,
    /// Where the data comes from (printed in the summary).
    pub source: String,
    /// Zones of the grid.
    pub zones: Vec<Zone>,
    /// Directed corridors between zones, with capacity and loss.
    pub corridors: Vec<Corridor>,
    /// Households, in the order indices refer to.
    pub households: Vec<Household>,
    /// Unix seconds of profile index 0 (slot-aligned, midnight UTC).
    pub t0: u64,
    /// Profile slots before the first simulated slot (forecast history).
    pub history_slots: usize,
    /// Simulated slots after the history.
    pub sim_slots: usize,
    /// Grid location (lat, lon), for clear-sky features.
    pub location: Option<(f64, f64)>,
}

impl Scenario {
    /// Unix start of profile slot `idx`.
    pub fn slot_start(&self, idx: usize) -> u64 {
        self.t0 + idx as u64 * SLOT_SECONDS
    }

    /// Number of simulated days (rounded up).
    pub fn days(&self) -> usize {
        self.sim_slots.div_ceil(SLOTS_PER_DAY)
    }

    /// Checks that every profile covers history plus simulation and every
    /// household and corridor names a known zone.
    pub fn validate(&self) -> Result<(), crate::SimError> {
        let need = self.history_slots + self.sim_slots;
        if self.households.is_empty() {
            return Err(crate::SimError::Scenario("no households".into()));
        }
        if self.history_slots < SLOTS_PER_DAY {
            return Err(crate::SimError::Scenario(format!(
                "forecasts need one day of history, got {} slots",
                self.history_slots
            )));
        }
        let known = |z: ZoneId| self.zones.iter().any(|k| k.id == z);
        for h in &self.households {
            if h.load_wh.len() < need || h.pv_wh.len() < need {
                return Err(crate::SimError::Scenario(format!(
                    "household {} has {} load / {} PV slots, need {need}",
                    h.name,
                    h.load_wh.len(),
                    h.pv_wh.len()
                )));
            }
            if !known(h.zone) {
                return Err(crate::SimError::Scenario(format!(
                    "household {} is in unknown zone {}",
                    h.name, h.zone
                )));
            }
        }
        for c in &self.corridors {
            if !known(c.from) || !known(c.to) {
                return Err(crate::SimError::Scenario(format!(
                    "corridor {} -> {} names an unknown zone",
                    c.from, c.to
                )));
            }
        }
        Ok(())
    }

    /// The corridor from zone `a` to zone `b`, if any.
    pub fn corridor(&self, a: ZoneId, b: ZoneId) -> Option<&Corridor> {
        self.corridors.iter().find(|c| c.from == a && c.to == b)
    }

    /// A small synthetic scenario for unit tests (NOT real data): two zones,
    /// `n` households with a smooth double-peak load and, for every other
    /// household, a clear-sky-shaped PV curve; each day repeats exactly, so the
    /// seasonal-naive forecast is perfect and tests isolate the market logic.
    pub fn fixture(n: usize, days: usize) -> Scenario {
        let slots = (days + 1) * SLOTS_PER_DAY;
        let households = (0..n)
            .map(|i| {
                let mut load = Vec::with_capacity(slots);
                let mut pv = Vec::with_capacity(slots);
                for s in 0..slots {
                    let h = (s % SLOTS_PER_DAY) as f64 / 4.0;
                    let morning = (-((h - 7.5) / 1.5).powi(2)).exp();
                    let evening = (-((h - 19.0) / 2.0).powi(2)).exp();
                    let kw = 0.25 + 0.6 * morning + 1.2 * evening + 0.05 * i as f64;
                    load.push((kw * 250.0).round() as u64);
                    let sun = if (6.0..18.0).contains(&h) {
                        ((h - 6.0) / 12.0 * std::f64::consts::PI).sin().powi(2)
                    } else {
                        0.0
                    };
                    let kwp = if i % 2 == 0 { 5.0 } else { 0.0 };
                    pv.push((sun * kwp * 250.0).round() as u64);
                }
                Household {
                    name: format!("hh{i:03}"),
                    zone: (i % 2) as ZoneId + 1,
                    node: i as NodeId + 1,
                    load_wh: load,
                    pv_wh: pv,
                    load_profile: None,
                    pv_profile: None,
                }
            })
            .collect();
        Scenario {
            name: "fixture".into(),
            source: "synthetic test fixture (not real data)".into(),
            zones: vec![
                Zone {
                    id: 1,
                    name: "A".into(),
                    loss_bps: 0,
                },
                Zone {
                    id: 2,
                    name: "B".into(),
                    loss_bps: 0,
                },
            ],
            corridors: vec![
                Corridor {
                    from: 1,
                    to: 2,
                    capacity_wh: 2_000,
                    loss_bps: 200,
                },
                Corridor {
                    from: 2,
                    to: 1,
                    capacity_wh: 2_000,
                    loss_bps: 200,
                },
            ],
            households,
            t0: 1_764_028_800, // 2025-11-25T00:00:00Z
            history_slots: SLOTS_PER_DAY,
            sim_slots: days * SLOTS_PER_DAY,
            location: None,
        }
    }
}
