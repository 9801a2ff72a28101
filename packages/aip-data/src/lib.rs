//! The one loader of `households_wh.csv.gz`, the households' energy per
//! 15-minute slot (`data/simbench/`, exported from SimBench by
//! `data/export_simbench.py`; licence and source in `data/README.md`). The
//! simulation, the oracle's replay source and the matcher's benchmarks all
//! read the file through [`read`].
//!
//! # Format
//!
//! CSV, gzip-compressed when the file name ends in `.gz`:
//!
//! ```text
//! slot,load_0,pv_0,load_1,pv_1,…
//! 1451606400,178,0,138,0,…
//! 1451607300,50,0,33,0,…
//! ```
//!
//! - `slot`, the first column: the slot's start, unix seconds, a multiple of
//!   900; each row is the slot after the previous row's (no gaps).
//! - `load_<id>` and `pv_<id>`: household `<id>`'s consumption and PV
//!   generation in that slot, whole Wh (`0 ..= u32::MAX`). Every household
//!   has both columns, in any order.
//!
//! Errors name the file and the line (the header is line 1, the first slot
//! line 2): a malformed header, a missing or repeated column, a value that is
//! not a whole number of Wh, a slot out of sequence, a ragged row, a file
//! shorter than the rows asked for.
#![cfg_attr(test, allow(clippy::unwrap_used))]

use std::collections::BTreeMap;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

/// Seconds per slot: rows are this far apart.
pub const SLOT_SECONDS: u64 = 900;

/// The file's name in a data folder (`data/simbench/households_wh.csv.gz`).
pub const FILE_NAME: &str = "households_wh.csv.gz";

/// Why the file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file could not be opened or decompressed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The header line is malformed.
    #[error("{path}: line 1: {message}")]
    Header {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A household asked for has no columns.
    #[error("{path}: no columns load_{id} and pv_{id}: household {id} is not in the file")]
    UnknownHousehold {
        /// The file.
        path: PathBuf,
        /// The household asked for.
        id: u32,
    },
    /// A value is not a whole number of Wh.
    #[error("{path}: line {line}, column {column}: {value:?} is not a whole number of Wh (0..=4294967295)")]
    Value {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// The column's name.
        column: String,
        /// The text found.
        value: String,
    },
    /// A slot is malformed or out of sequence.
    #[error("{path}: line {line}: slot {found:?}, expected {expected} (rows are consecutive {SLOT_SECONDS}-second slots)")]
    Slot {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// The text found.
        found: String,
        /// The slot that row must have.
        expected: String,
    },
    /// A row the CSV reader refused (e.g. a different number of fields).
    #[error("{path}: line {line}: {message}")]
    Row {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// The reader's message.
        message: String,
    },
    /// The file has fewer rows than asked for.
    #[error("{path}: {found} slot rows, rows {first}..{end} asked for")]
    TooShort {
        /// The file.
        path: PathBuf,
        /// Slot rows in the file.
        found: usize,
        /// First row asked for (0-based, after the header).
        first: usize,
        /// End of the rows asked for (exclusive).
        end: usize,
    },
}

/// Which part of the file to load.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// First slot row to keep (0-based, after the header).
    pub first_row: usize,
    /// Rows to keep from `first_row`: `Some(n)` needs at least that many
    /// (else [`DataError::TooShort`], unless `fewer_rows_ok`); `None` keeps
    /// every row to the end.
    pub rows: Option<usize>,
    /// With `rows: Some(n)`, a file that ends earlier keeps the rows it has
    /// instead of failing.
    pub fewer_rows_ok: bool,
    /// Households to keep, by id, in this order; `None` keeps every household
    /// of the file in ascending id order.
    pub households: Option<Vec<u32>>,
}

/// The loaded energy: `load_wh[h][t]` and `pv_wh[h][t]` for household
/// `households[h]` and slot `first_slot + t * 900`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HouseholdEnergy {
    /// Unix seconds of the first row kept.
    pub first_slot: u64,
    /// Household ids, in the order of `load_wh` and `pv_wh`.
    pub households: Vec<u32>,
    /// Consumption, Wh per slot.
    pub load_wh: Vec<Vec<u32>>,
    /// PV generation, Wh per slot.
    pub pv_wh: Vec<Vec<u32>>,
}

impl HouseholdEnergy {
    /// Slot rows kept.
    pub fn slots(&self) -> usize {
        self.load_wh.first().map_or(0, Vec::len)
    }

    /// The row holding the slot that starts at unix second `slot` (the data's
    /// own time: row `t` is slot `first_slot + t * 900`), or `None` when
    /// `slot` is not a slot start inside the rows kept.
    pub fn row_of_slot(&self, slot: u64) -> Option<usize> {
        let since = slot.checked_sub(self.first_slot)?;
        if !since.is_multiple_of(SLOT_SECONDS) {
            return None;
        }
        let row = usize::try_from(since / SLOT_SECONDS).ok()?;
        (row < self.slots()).then_some(row)
    }
}

/// The meter that reports for the household at position `index` of a
/// [`HouseholdEnergy`]: `first_meter + index`. The oracle's replay source and
/// the gateway's household forecasts both map meters with this rule and
/// [`household_of_meter`]. `None` on overflow.
pub fn meter_of_household(first_meter: u32, index: usize) -> Option<u32> {
    u32::try_from(index).ok()?.checked_add(first_meter)
}

/// The position of `meter`'s household among `households` households
/// (inverse of [`meter_of_household`]), or `None` when no household reports
/// as that meter.
pub fn household_of_meter(first_meter: u32, households: usize, meter: u64) -> Option<usize> {
    let index = usize::try_from(meter.checked_sub(u64::from(first_meter))?).ok()?;
    (index < households).then_some(index)
}

/// Reads `dir/households_wh.csv.gz`.
pub fn read_dir(dir: &Path, sel: &Selection) -> Result<HouseholdEnergy, DataError> {
    read(&dir.join(FILE_NAME), sel)
}

/// Reads the file at `path` (decompressed when its name ends in `.gz`).
pub fn read(path: &Path, sel: &Selection) -> Result<HouseholdEnergy, DataError> {
    let io = |source| DataError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let input: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::GzDecoder::new(BufReader::new(file)))
    } else {
        Box::new(BufReader::new(file))
    };
    read_from(input, path, sel)
}

/// Reads the format from `input`; `path` names it in errors.
pub fn read_from<R: Read>(
    input: R,
    path: &Path,
    sel: &Selection,
) -> Result<HouseholdEnergy, DataError> {
    let p = || path.to_path_buf();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(input);
    let headers = rdr.headers().map_err(|e| csv_err(path, e, 1))?.clone();
    let columns =
        parse_header(&headers).map_err(|message| DataError::Header { path: p(), message })?;
    let ids: Vec<u32> = match &sel.households {
        Some(ids) => ids.clone(),
        None => columns.keys().copied().collect(),
    };
    let mut cols = Vec::with_capacity(ids.len());
    for &id in &ids {
        let c = columns
            .get(&id)
            .ok_or(DataError::UnknownHousehold { path: p(), id })?;
        cols.push(*c);
    }
    let end = sel.rows.map(|n| sel.first_row.saturating_add(n));
    let cap = sel.rows.unwrap_or(0);
    let mut load_wh: Vec<Vec<u32>> = vec![Vec::with_capacity(cap); ids.len()];
    let mut pv_wh: Vec<Vec<u32>> = vec![Vec::with_capacity(cap); ids.len()];
    let mut rec = csv::ByteRecord::new();
    let mut row = 0usize;
    let mut first_slot: Option<u64> = None;
    let mut file_first: Option<u64> = None;
    loop {
        if end.is_some_and(|e| row >= e) {
            break;
        }
        let line = row as u64 + 2;
        let more = rdr
            .read_byte_record(&mut rec)
            .map_err(|e| csv_err(path, e, line))?;
        if !more {
            break;
        }
        // The slot column of every row, so that a gap anywhere before the
        // rows kept is caught too.
        let text = field(&rec, 0);
        let slot = text.parse::<u64>().ok();
        let expected = match file_first {
            None => slot.filter(|s| s % SLOT_SECONDS == 0),
            Some(f) => f.checked_add(row as u64 * SLOT_SECONDS),
        };
        match (slot, expected) {
            (Some(s), Some(e)) if s == e => {}
            _ => {
                return Err(DataError::Slot {
                    path: p(),
                    line,
                    found: text.to_string(),
                    expected: match expected {
                        Some(e) if file_first.is_some() => e.to_string(),
                        _ => format!("a multiple of {SLOT_SECONDS}"),
                    },
                })
            }
        }
        let s = slot.unwrap_or_default();
        file_first.get_or_insert(s);
        if row >= sel.first_row {
            first_slot.get_or_insert(s);
            for (k, &(lc, pc)) in cols.iter().enumerate() {
                load_wh[k].push(wh(&rec, &headers, lc, line, path)?);
                pv_wh[k].push(wh(&rec, &headers, pc, line, path)?);
            }
        }
        row += 1;
    }
    if let Some(e) = end.filter(|_| !sel.fewer_rows_ok) {
        if row < e {
            return Err(DataError::TooShort {
                path: p(),
                found: row,
                first: sel.first_row,
                end: e,
            });
        }
    }
    Ok(HouseholdEnergy {
        first_slot: first_slot.unwrap_or_default(),
        households: ids,
        load_wh,
        pv_wh,
    })
}

/// Household id → (load column, pv column).
fn parse_header(headers: &csv::StringRecord) -> Result<BTreeMap<u32, (usize, usize)>, String> {
    if headers.get(0) != Some("slot") {
        return Err(format!(
            "the first column must be `slot`, found {:?}",
            headers.get(0).unwrap_or_default()
        ));
    }
    let mut halves: BTreeMap<u32, (Option<usize>, Option<usize>)> = BTreeMap::new();
    for (idx, name) in headers.iter().enumerate().skip(1) {
        let parsed = name.split_once('_').and_then(|(kind, id)| {
            let id = id.parse::<u32>().ok().filter(|n| n.to_string() == id)?;
            Some((kind, id))
        });
        let (kind, id) = parsed.ok_or_else(|| {
            format!(
                "column {} is {name:?}, expected load_<id> or pv_<id>",
                idx + 1
            )
        })?;
        let entry = halves.entry(id).or_default();
        let slot = match kind {
            "load" => &mut entry.0,
            "pv" => &mut entry.1,
            _ => {
                return Err(format!(
                    "column {} is {name:?}, expected load_<id> or pv_<id>",
                    idx + 1
                ))
            }
        };
        if slot.replace(idx).is_some() {
            return Err(format!("column {name} appears twice"));
        }
    }
    halves
        .into_iter()
        .map(|(id, cols)| match cols {
            (Some(l), Some(p)) => Ok((id, (l, p))),
            (Some(_), None) => Err(format!("load_{id} has no pv_{id} column")),
            (None, _) => Err(format!("pv_{id} has no load_{id} column")),
        })
        .collect()
}

fn field(rec: &csv::ByteRecord, i: usize) -> &str {
    std::str::from_utf8(rec.get(i).unwrap_or_default()).unwrap_or("\u{fffd}")
}

fn wh(
    rec: &csv::ByteRecord,
    headers: &csv::StringRecord,
    col: usize,
    line: u64,
    path: &Path,
) -> Result<u32, DataError> {
    let text = field(rec, col);
    text.parse::<u32>().map_err(|_| DataError::Value {
        path: path.to_path_buf(),
        line,
        column: headers.get(col).unwrap_or_default().to_string(),
        value: text.to_string(),
    })
}

fn csv_err(path: &Path, e: csv::Error, line: u64) -> DataError {
    match e.kind() {
        csv::ErrorKind::Io(_) => DataError::Io {
            path: path.to_path_buf(),
            source: match e.into_kind() {
                csv::ErrorKind::Io(io) => io,
                _ => std::io::Error::other("csv"),
            },
        },
        _ => DataError::Row {
            path: path.to_path_buf(),
            line: e.position().map_or(line, |p| p.line()),
            message: e.to_string(),
        },
    }
}

#[cfg(test)]
mod tests;
