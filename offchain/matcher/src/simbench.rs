//! The exported SimBench data (`data/simbench`, see data/README.md) and order books
//! made from it: real slots of real households, and synthetic books of any size on
//! the real network for benchmarks.
use crate::model::{Network, Order, OrderBook, Side};
use crate::MatcherError;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// `data/simbench` of this repository.
pub fn default_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/simbench")
}

/// A household of the grid (`grid.json`).
#[derive(Clone, Debug, Deserialize)]
pub struct Household {
    /// index, also the column suffix in `households_wh.csv.gz`
    pub id: u32,
    /// SimBench element name
    pub name: String,
    /// bus (grid node)
    pub bus: u32,
    /// zone
    pub zone: u32,
    /// SimBench load profile, if it has a load
    pub load_profile: Option<String>,
    /// rated load, W
    pub load_p_w: f64,
    /// SimBench PV profile, if it has PV
    pub pv_profile: Option<String>,
    /// installed PV, W
    pub pv_p_w: f64,
}

/// Where the grid is.
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct Location {
    /// latitude, degrees
    pub lat: f64,
    /// longitude, degrees
    pub lon: f64,
}

/// The parts of `grid.json` the agents use.
#[derive(Clone, Debug, Deserialize)]
pub struct Grid {
    /// SimBench code
    pub grid: String,
    /// mean bus coordinates
    pub location: Location,
    /// unix seconds of the first profile slot
    pub first_slot: u64,
    /// number of slots
    pub slots: usize,
    /// households
    pub households: Vec<Household>,
}

/// Per household energy per slot, Wh (`households_wh.csv.gz`).
#[derive(Clone, Debug)]
pub struct Profiles {
    /// unix seconds of row 0
    pub first_slot: u64,
    /// `load[h][t]`
    pub load: Vec<Vec<u32>>,
    /// `pv[h][t]`
    pub pv: Vec<Vec<u32>>,
}

fn read(path: &Path) -> Result<Vec<u8>, MatcherError> {
    std::fs::read(path).map_err(|source| MatcherError::Io {
        path: path.display().to_string(),
        source,
    })
}

fn parse_err(path: &Path, e: impl std::fmt::Display) -> MatcherError {
    MatcherError::Parse {
        path: path.display().to_string(),
        msg: e.to_string(),
    }
}

/// Reads `grid.json`.
pub fn load_grid(dir: &Path) -> Result<Grid, MatcherError> {
    let p = dir.join("grid.json");
    serde_json::from_slice(&read(&p)?).map_err(|e| parse_err(&p, e))
}

/// Reads `network.json` (the matcher's network model).
pub fn load_network(dir: &Path) -> Result<Network, MatcherError> {
    let p = dir.join("network.json");
    serde_json::from_slice(&read(&p)?).map_err(|e| parse_err(&p, e))
}

/// Reads `households_wh.csv.gz` (through `aip_data`, the one loader of the
/// file): every household, in ascending id order, every slot.
pub fn load_profiles(dir: &Path) -> Result<Profiles, MatcherError> {
    let p = dir.join(aip_data::FILE_NAME);
    let e = aip_data::read(&p, &aip_data::Selection::default()).map_err(|e| data_err(&p, e))?;
    Ok(Profiles {
        first_slot: e.first_slot,
        load: e.load_wh,
        pv: e.pv_wh,
    })
}

/// The loader's error as the matcher's: I/O stays I/O, format errors become
/// `Parse` (the loader's message, which names the line and column).
fn data_err(path: &Path, e: aip_data::DataError) -> MatcherError {
    match e {
        aip_data::DataError::Io { source, .. } => MatcherError::Io {
            path: path.display().to_string(),
            source,
        },
        other => {
            let full = other.to_string();
            let prefix = format!("{}: ", path.display());
            parse_err(path, full.strip_prefix(&prefix).unwrap_or(&full))
        }
    }
}

/// The order book of slot `t` (row of the profiles): each household with a net
/// demand bids it, each with a net surplus offers it. Prices are drawn (seeded)
/// around a common reference, as households with similar tariffs would set them:
/// bids 280 ± 20 uaip/kWh, offers 100 ± 20; trust 0..1000, premium from 700.
pub fn book_for_slot(grid: &Grid, profiles: &Profiles, t: usize, seed: u64) -> OrderBook {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (t as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut orders = Vec::new();
    for h in &grid.households {
        let i = h.id as usize;
        let net = profiles.load[i][t] as i64 - profiles.pv[i][t] as i64;
        let trust = rng.gen_range(0..1000u32);
        let (bid_p, offer_p) = (rng.gen_range(260..=300u64), rng.gen_range(80..=120u64));
        if net == 0 {
            continue;
        }
        let side = if net > 0 { Side::Bid } else { Side::Offer };
        orders.push(Order {
            id: h.id as u64,
            owner: format!("household-{}", h.id),
            side,
            zone: h.zone,
            node: h.bus,
            wh: net.unsigned_abs(),
            limit_price: if side == Side::Bid { bid_p } else { offer_p },
            premium_only: false,
            premium: trust >= 700,
            trust,
            window: None,
        });
    }
    OrderBook {
        slot: profiles.first_slot + 900 * t as u64,
        orders,
    }
}

/// A synthetic book of `n` orders spread over the network's zones: half bids
/// (150..350 uaip/kWh), half offers (50..250), 50..3000 Wh each, trust 0..1000
/// (premium from 700); `gated` is the share of offers that are premium-only.
pub fn synthetic_book(n: usize, network: &Network, seed: u64, gated: f64) -> OrderBook {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let zones: Vec<u32> = network.zones.iter().map(|z| z.id).collect();
    let orders = (0..n)
        .map(|i| {
            let side = if i % 2 == 0 { Side::Bid } else { Side::Offer };
            let trust = rng.gen_range(0..1000u32);
            let zone = if zones.is_empty() {
                0
            } else {
                zones[rng.gen_range(0..zones.len())]
            };
            Order {
                id: i as u64,
                owner: format!("owner-{}", i % 5000),
                side,
                zone,
                node: 0,
                wh: rng.gen_range(50..=3000),
                limit_price: match side {
                    Side::Bid => rng.gen_range(150..=350),
                    Side::Offer => rng.gen_range(50..=250),
                },
                premium_only: side == Side::Offer && rng.gen_bool(gated),
                premium: trust >= 700,
                trust,
                window: None,
            }
        })
        .collect();
    OrderBook { slot: 0, orders }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_real_profiles_load_every_household_and_slot() {
        let p = load_profiles(&default_dir()).unwrap();
        let grid = load_grid(&default_dir()).unwrap();
        assert_eq!(p.first_slot, grid.first_slot);
        assert_eq!(p.load.len(), grid.households.len());
        assert!(p.load.iter().chain(&p.pv).all(|v| v.len() == grid.slots));
    }

    #[test]
    fn a_malformed_profile_file_is_a_parse_error_naming_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let f = std::fs::File::create(dir.path().join(aip_data::FILE_NAME)).unwrap();
        let mut gz = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, b"slot,load_0,pv_0\n900,1,2\n1800,3,-4\n").unwrap();
        gz.finish().unwrap();
        let e = load_profiles(dir.path()).unwrap_err();
        assert!(matches!(e, MatcherError::Parse { .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            format!(
                "{}: line 3, column pv_0: \"-4\" is not a whole number of Wh (0..=4294967295)",
                dir.path().join(aip_data::FILE_NAME).display()
            )
        );
        let e = load_profiles(&dir.path().join("nowhere")).unwrap_err();
        assert!(matches!(e, MatcherError::Io { .. }), "{e:?}");
    }
}
