//! Loads a real scenario from `data/simbench/` (exported from the SimBench
//! data set by `data/export_simbench.py`; licence and source in `data/README.md`):
//! `grid.json` for zones, corridors and households, and
//! `households_wh.csv.gz` for each household's load and PV energy per slot.

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

    // Columns of the picked households.
    let hpath = dir.join("households_wh.csv.gz");
    let file = std::fs::File::open(&hpath).map_err(|e| err(format!("{}: {e}", hpath.display())))?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(flate2::read::GzDecoder::new(BufReader::new(file)));
    let headers = rdr
        .headers()
        .map_err(|e| err(format!("{}: {e}", hpath.display())))?
        .clone();
    let col = |name: String| -> Result<usize, SimError> {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| err(format!("{} has no column {name}", hpath.display())))
    };
    let mut cols = Vec::with_capacity(pick.len());
    for &i in &pick {
        let id = grid.households[i].id;
        cols.push((col(format!("load_{id}"))?, col(format!("pv_{id}"))?));
    }
    let mut load: Vec<Vec<u64>> = vec![Vec::with_capacity(end - first); pick.len()];
    let mut pv: Vec<Vec<u64>> = vec![Vec::with_capacity(end - first); pick.len()];
    let mut rec = csv::ByteRecord::new();
    let mut row = 0usize;
    let mut t0 = None;
    while row < end {
        let more = rdr
            .read_byte_record(&mut rec)
            .map_err(|e| err(format!("{}: {e}", hpath.display())))?;
        if !more {
            return Err(err(format!("{} ends at row {row}", hpath.display())));
        }
        if row >= first {
            let num = |c: usize| -> Result<u64, SimError> {
                let f = rec.get(c).unwrap_or_default();
                std::str::from_utf8(f)
                    .ok()
                    .and_then(|s| s.parse::<u64>().ok())
                    .ok_or_else(|| err(format!("{} row {row}: bad number", hpath.display())))
            };
            if t0.is_none() {
                t0 = Some(num(0)?);
            }
            for (k, &(lc, pc)) in cols.iter().enumerate() {
                load[k].push(num(lc)?);
                pv[k].push(num(pc)?);
            }
        }
        row += 1;
    }
    let t0 = t0.ok_or_else(|| err("no rows"))?;
    if t0 != grid.first_slot + first as u64 * aip_types::SLOT_SECONDS {
        return Err(err(format!(
            "row {first} starts at {t0}, not where grid.json says"
        )));
    }

    let households = pick
        .iter()
        .zip(load.into_iter().zip(pv))
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
