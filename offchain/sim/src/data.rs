//! Loads a real scenario from `data/simbench/` (exported from the SimBench
//! data set by `data/export_simbench.py`; licence and source in `data/README.md`):
//! `grid.json` for zones, corridors and households, and
//! `households_wh.csv.gz` for each household's load and PV energy per slot
//! (read by `aip_data`, the one loader of that file).

use std::io::BufReader;
use std::path::Path;

use serde::Deserialize;

use crate::scenario::{Corridor, Household, Scenario, Zone, SLOTS_PER_DAY};
use crate::SimError;

#[derive(Deserialize)]
struct Location {
    lat: f64,
    lon: f64,
}

#[derive(Deserialize)]
struct GridFile {
    source: String,
    location: Option<Location>,
    grid: String,
    slot_seconds: u64,
    first_slot: u64,
    slots: usize,
    zones: Vec<GridZone>,
    corridors: Vec<GridCorridor>,
    households: Vec<GridHousehold>,
}

#[derive(Deserialize)]
struct GridZone {
    id: u32,
    name: String,
    loss_bps: u32,
}

#[derive(Deserialize)]
struct GridCorridor {
    from: u32,
    to: u32,
    capacity_wh: u64,
    loss_bps: u32,
}

#[derive(Deserialize)]
struct GridHousehold {
    id: usize,
    bus: u32,
    zone: u32,
    load_profile: Option<String>,
    #[serde(default)]
    load_p_w: f64,
    pv_profile: Option<String>,
    #[serde(default)]
    pv_p_w: f64,
}

/// Which part of the data to simulate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// First simulated day, counted from the first day of the data (0-based).
    pub start_day: usize,
    /// Days simulated.
    pub days: usize,
    /// Days of history before it (forecast input).
    pub history_days: usize,
    /// Households to take (None: all); picked evenly spread over the grid.
    pub households: Option<usize>,
}

fn err(what: impl std::fmt::Display) -> SimError {
    SimError::Data(what.to_string())
}

/// Loads the scenario in `dir` (e.g. `data/simbench`).
pub fn load(dir: &Path, w: Window) -> Result<Scenario, SimError> {
    let gpath = dir.join("grid.json");
    let grid: GridFile = serde_json::from_reader(BufReader::new(
        std::fs::File::open(&gpath).map_err(|e| err(format!("{}: {e}", gpath.display())))?,
    ))
    .map_err(|e| err(format!("{}: {e}", gpath.display())))?;
    if grid.slot_seconds != aip_types::SLOT_SECONDS {
        return Err(err(format!(
            "grid.json has {} s slots, the chain uses {}",
            grid.slot_seconds,
            aip_types::SLOT_SECONDS
        )));
    }
    if w.history_days == 0 || w.start_day < w.history_days {
        return Err(err(format!(
            "start day {} leaves no room for {} day(s) of history",
            w.start_day, w.history_days
        )));
    }
    let first = (w.start_day - w.history_days) * SLOTS_PER_DAY;
    let history_slots = w.history_days * SLOTS_PER_DAY;
    let sim_slots = w.days * SLOTS_PER_DAY;
    let end = first + history_slots + sim_slots;
    if end > grid.slots {
        return Err(err(format!(
            "days {}..{} run past the data ({} days)",
            w.start_day,
            w.start_day + w.days,
            grid.slots / SLOTS_PER_DAY
        )));
    }
    let total = grid.households.len();
    let pick: Vec<usize> = match w.households {
        Some(0) => return Err(err("at least one household is needed")),
        Some(n) if n > total => {
            return Err(err(format!(
                "the grid has {total} households, asked for {n}"
            )))
        }
        Some(n) => (0..n).map(|k| k * total / n).collect(),
        None => (0..total).collect(),
    };

    // The picked households' columns, rows `first..end` (`aip-data`, the one
    // loader of the file).
    let energy = aip_data::read_dir(
        dir,
        &aip_data::Selection {
            first_row: first,
            rows: Some(end - first),
            households: Some(
                pick.iter()
                    .map(|&i| {
                        u32::try_from(grid.households[i].id).map_err(|_| {
                            err(format!(
                                "household id {} out of range",
                                grid.households[i].id
                            ))
                        })
                    })
                    .collect::<Result<_, _>>()?,
            ),
            fewer_rows_ok: false,
        },
    )
    .map_err(err)?;
    let t0 = energy.first_slot;
    if t0 != grid.first_slot + first as u64 * aip_types::SLOT_SECONDS {
        return Err(err(format!(
            "row {first} starts at {t0}, not where grid.json says"
        )));
    }
    let wh = |v: Vec<u32>| v.into_iter().map(u64::from).collect::<Vec<u64>>();
    let load = energy.load_wh.into_iter().map(wh);
    let pv = energy.pv_wh.into_iter().map(wh);

    let households = pick
        .iter()
        .zip(load.zip(pv))
        .map(|(&i, (load_wh, pv_wh))| {
            let h = &grid.households[i];
            Household {
                name: format!("hh{:03}", h.id),
                zone: h.zone,
                node: h.bus,
                load_wh,
                pv_wh,
                // SimBench scales a normalised profile by the rated power:
                // Wh per slot = value x rated W x 0.25 h
                load_profile: h.load_profile.clone().map(|p| (p, h.load_p_w * 0.25)),
                pv_profile: h.pv_profile.clone().map(|p| (p, h.pv_p_w * 0.25)),
            }
        })
        .collect();
    let scenario = Scenario {
        name: grid.grid.clone(),
        source: grid.source.clone(),
        zones: grid
            .zones
            .iter()
            .map(|z| Zone {
                id: z.id,
                name: z.name.clone(),
                loss_bps: z.loss_bps,
            })
            .collect(),
        corridors: grid
            .corridors
            .iter()
            .map(|c| Corridor {
                from: c.from,
                to: c.to,
                capacity_wh: c.capacity_wh,
                loss_bps: c.loss_bps,
            })
            .collect(),
        households,
        t0,
        history_slots,
        sim_slots,
        location: grid.location.as_ref().map(|l| (l.lat, l.lon)),
    };
    scenario.validate()?;
    Ok(scenario)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn simbench() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/simbench")
    }

    #[test]
    fn a_window_of_the_real_data_loads_with_its_households_and_slots() {
        let w = Window {
            start_day: 2,
            days: 1,
            history_days: 1,
            households: Some(4),
        };
        let s = load(&simbench(), w).unwrap();
        assert_eq!(s.households.len(), 4);
        assert_eq!((s.history_slots, s.sim_slots), (96, 96));
        // Row 96 (day 1, the history's first slot) of a file starting 2016-01-01.
        assert_eq!(s.t0, 1_451_606_400 + 96 * 900);
        for h in &s.households {
            assert_eq!((h.load_wh.len(), h.pv_wh.len()), (192, 192), "{}", h.name);
        }
        // The same values the shared loader reads for that household and row.
        let id: u32 = s.households[1].name[2..].parse().unwrap();
        let e = aip_data::read_dir(
            &simbench(),
            &aip_data::Selection {
                first_row: 96,
                rows: Some(192),
                households: Some(vec![id]),
                fewer_rows_ok: false,
            },
        )
        .unwrap();
        let want: Vec<u64> = e.load_wh[0].iter().map(|&v| u64::from(v)).collect();
        assert_eq!(s.households[1].load_wh, want);
    }

    #[test]
    fn windows_outside_the_data_are_refused() {
        let w = Window {
            start_day: 365,
            days: 2,
            history_days: 1,
            households: Some(1),
        };
        let e = load(&simbench(), w).unwrap_err().to_string();
        assert!(
            e.contains("days 365..367 run past the data (366 days)"),
            "{e}"
        );
        let w = Window { start_day: 0, ..w };
        let e = load(&simbench(), w).unwrap_err().to_string();
        assert!(e.contains("leaves no room for 1 day(s) of history"), "{e}");
    }
}
