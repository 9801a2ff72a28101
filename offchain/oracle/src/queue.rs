//! The durable local queue: one SQLite row per (slot, meter).
//!
//! States: `queued` (0) → `sending` (1, written *before* the batch goes out)
//! → `done` (2, after the chain accepted it) or `rejected` (3, the contract
//! refused that reading on its own, with the reason). A row left `sending` by
//! a crash is resolved against the chain before anything else is sent. The
//! database runs in WAL mode with `synchronous = FULL`: a state change that
//! returned is on disk.

use std::path::Path;

use aip_types::SlotId;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::error::{Error, Result};
use crate::reading::Reading;

const QUEUED: i64 = 0;
const SENDING: i64 = 1;
const DONE: i64 = 2;
const REJECTED: i64 = 3;

/// What [`Queue::insert`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inserted {
    /// A new reading.
    New,
    /// The same reading was already queued (a replayed source, a redelivered message).
    Duplicate,
    /// A different reading for the same (meter, slot) is already queued; the
    /// first one is kept.
    Conflict,
}

/// Row counts by state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Waiting to be sent.
    pub queued: u64,
    /// Sent, outcome not yet recorded.
    pub sending: u64,
    /// Accepted by the chain.
    pub done: u64,
    /// Refused by the contract.
    pub rejected: u64,
}

/// A signed reading in the queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Queued {
    /// Meter id.
    pub meter: u32,
    /// Exported Wh.
    pub exported_wh: u64,
    /// Imported Wh.
    pub imported_wh: u64,
    /// Device signature.
    pub signature: [u8; 64],
}

/// Readings of one slot, claimed for one transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    /// The slot.
    pub slot: SlotId,
    /// Readings in meter order.
    pub readings: Vec<Queued>,
}

/// The queue (one connection; open one per task).
pub struct Queue {
    conn: Connection,
}

fn to_i64(v: u64) -> Result<i64> {
    i64::try_from(v).map_err(|_| Error::BadReading(format!("{v} does not fit the queue")))
}

impl Queue {
    /// Opens (creating if needed) the queue at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS readings (
                slot INTEGER NOT NULL,
                meter INTEGER NOT NULL,
                exported INTEGER NOT NULL,
                imported INTEGER NOT NULL,
                signature BLOB NOT NULL,
                state INTEGER NOT NULL DEFAULT 0,
                tx TEXT,
                error TEXT,
                PRIMARY KEY (slot, meter)
            ) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS readings_by_state ON readings (state, slot, meter);",
        )?;
        Ok(Queue { conn })
    }

    /// Adds a signed reading unless that (meter, slot) is already known.
    pub fn insert(&self, r: &Reading, signature: &[u8; 64]) -> Result<Inserted> {
        let slot = to_i64(r.slot.0)?;
        let (e, i) = (to_i64(r.exported_wh)?, to_i64(r.imported_wh)?);
        let n = self.conn.execute(
            "INSERT INTO readings (slot, meter, exported, imported, signature, state)
             VALUES (?1, ?2, ?3, ?4, ?5, 0) ON CONFLICT (slot, meter) DO NOTHING",
            params![slot, r.meter, e, i, &signature[..]],
        )?;
        if n == 1 {
            return Ok(Inserted::New);
        }
        let same: Option<(i64, i64)> = self
            .conn
            .query_row(
                "SELECT exported, imported FROM readings WHERE slot = ?1 AND meter = ?2",
                params![slot, r.meter],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        Ok(match same {
            Some((ee, ii)) if ee == e && ii == i => Inserted::Duplicate,
            _ => Inserted::Conflict,
        })
    }

    /// Claims up to `max` queued readings of the earliest slot that ended at
    /// least `min_age` seconds before `now`, marking them `sending`.
    pub fn claim(&mut self, max: usize, now: u64, min_age: u64) -> Result<Option<Batch>> {
        let latest_start = now
            .saturating_sub(min_age)
            .saturating_sub(aip_types::SLOT_SECONDS);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let slot: Option<i64> = tx
            .query_row(
                "SELECT MIN(slot) FROM readings WHERE state = 0 AND slot <= ?1",
                params![to_i64(latest_start)?],
                |row| row.get(0),
            )
            .optional()?
            .flatten();
        let Some(slot) = slot else {
            return Ok(None);
        };
        let readings = {
            let mut stmt = tx.prepare(
                "SELECT meter, exported, imported, signature FROM readings
                 WHERE state = 0 AND slot = ?1 ORDER BY meter LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![slot, max as i64], |row| {
                let sig: Vec<u8> = row.get(3)?;
                Ok((
                    row.get::<_, u32>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, i64>(2)?,
                    sig,
                ))
            })?;
            let mut out = vec![];
            for row in rows {
                let (meter, e, i, sig) = row?;
                let signature = <[u8; 64]>::try_from(sig.as_slice())
                    .map_err(|_| Error::BadReading(format!("stored signature of meter {meter}")))?;
                out.push(Queued {
                    meter,
                    exported_wh: e as u64,
                    imported_wh: i as u64,
                    signature,
                });
            }
            out
        };
        {
            let mut upd =
                tx.prepare("UPDATE readings SET state = 1 WHERE slot = ?1 AND meter = ?2")?;
            for r in &readings {
                upd.execute(params![slot, r.meter])?;
            }
        }
        tx.commit()?;
        Ok(Some(Batch {
            slot: SlotId(slot as u64),
            readings,
        }))
    }

    /// Readings left `sending` (by a crash or an unanswered submission), by slot.
    pub fn sending(&self) -> Result<Vec<(SlotId, Vec<u32>)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT slot, meter FROM readings WHERE state = 1 ORDER BY slot, meter")?;
        let rows = stmt.query_map([], |row| Ok((row.get::<_, i64>(0)?, row.get::<_, u32>(1)?)))?;
        let mut out: Vec<(SlotId, Vec<u32>)> = vec![];
        for row in rows {
            let (slot, meter) = row?;
            let slot = SlotId(slot as u64);
            match out.last_mut() {
                Some((s, meters)) if *s == slot => meters.push(meter),
                _ => out.push((slot, vec![meter])),
            }
        }
        Ok(out)
    }

    fn set_state(
        &mut self,
        slot: SlotId,
        meters: &[u32],
        state: i64,
        tx_hash: Option<&str>,
        error: Option<&str>,
    ) -> Result<()> {
        let slot = to_i64(slot.0)?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut upd = tx.prepare(
                "UPDATE readings SET state = ?3, tx = COALESCE(?4, tx), error = ?5
                 WHERE slot = ?1 AND meter = ?2",
            )?;
            for m in meters {
                upd.execute(params![slot, m, state, tx_hash, error])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The chain accepted these readings.
    pub fn mark_done(&mut self, slot: SlotId, meters: &[u32], tx_hash: Option<&str>) -> Result<()> {
        self.set_state(slot, meters, DONE, tx_hash, None)
    }

    /// Not sent after all: back to `queued`.
    pub fn mark_queued(&mut self, slot: SlotId, meters: &[u32]) -> Result<()> {
        self.set_state(slot, meters, QUEUED, None, None)
    }

    /// The contract refused this reading.
    pub fn mark_rejected(&mut self, slot: SlotId, meter: u32, reason: &str) -> Result<()> {
        self.set_state(slot, &[meter], REJECTED, None, Some(reason))
    }

    /// Row counts by state.
    pub fn counts(&self) -> Result<Counts> {
        let mut c = Counts::default();
        let mut stmt = self
            .conn
            .prepare("SELECT state, COUNT(*) FROM readings GROUP BY state")?;
        let rows = stmt.query_map([], |row| Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?)))?;
        for row in rows {
            let (state, n) = row?;
            let n = n as u64;
            match state {
                QUEUED => c.queued = n,
                SENDING => c.sending = n,
                DONE => c.done = n,
                REJECTED => c.rejected = n,
                _ => {}
            }
        }
        Ok(c)
    }

    /// The rejection reason of a reading, if it was rejected.
    pub fn rejection(&self, slot: SlotId, meter: u32) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT error FROM readings WHERE slot = ?1 AND meter = ?2 AND state = 3",
                params![to_i64(slot.0)?, meter],
                |row| row.get(0),
            )
            .optional()?
            .flatten())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(meter: u32, slot: u64, e: u64) -> Reading {
        Reading {
            meter,
            slot: SlotId(slot),
            exported_wh: e,
            imported_wh: 0,
            signature: None,
        }
    }

    #[test]
    fn inserts_are_idempotent_and_conflicts_keep_the_first() {
        let dir = tempfile::tempdir().expect("tmp");
        let q = Queue::open(&dir.path().join("q.sqlite")).expect("open");
        assert_eq!(
            q.insert(&reading(1, 900, 5), &[1; 64]).expect("ok"),
            Inserted::New
        );
        assert_eq!(
            q.insert(&reading(1, 900, 5), &[1; 64]).expect("ok"),
            Inserted::Duplicate
        );
        assert_eq!(
            q.insert(&reading(1, 900, 6), &[2; 64]).expect("ok"),
            Inserted::Conflict
        );
        assert_eq!(q.counts().expect("counts").queued, 1);
    }

    #[test]
    fn claims_take_the_earliest_ended_slot_and_survive_reopening() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("q.sqlite");
        let mut q = Queue::open(&path).expect("open");
        for m in [3, 1, 2] {
            q.insert(&reading(m, 1800, u64::from(m)), &[m as u8; 64])
                .expect("ok");
        }
        q.insert(&reading(1, 900, 7), &[9; 64]).expect("ok");
        // Slot 1800 ends at 2700: not old enough at now = 2700 with min age 5.
        let b = q.claim(10, 2700, 5).expect("claim").expect("slot 900");
        assert_eq!(b.slot, SlotId(900));
        assert!(q.claim(10, 2700, 5).expect("claim").is_none());
        let b2 = q.claim(2, 2705, 5).expect("claim").expect("slot 1800");
        let meters: Vec<u32> = b2.readings.iter().map(|r| r.meter).collect();
        assert_eq!(meters, vec![1, 2]);
        assert_eq!(b2.readings[1].signature, [2; 64]);
        drop(q);

        let mut q = Queue::open(&path).expect("reopen");
        assert_eq!(
            q.sending().expect("sending"),
            vec![(SlotId(900), vec![1]), (SlotId(1800), vec![1, 2])]
        );
        q.mark_done(SlotId(900), &[1], Some("ABC")).expect("done");
        q.mark_queued(SlotId(1800), &[1]).expect("requeue");
        q.mark_rejected(SlotId(1800), 2, "invalid device signature for meter 2")
            .expect("reject");
        assert_eq!(
            q.counts().expect("counts"),
            Counts {
                queued: 2,
                sending: 0,
                done: 1,
                rejected: 1
            }
        );
        assert_eq!(
            q.rejection(SlotId(1800), 2).expect("q").as_deref(),
            Some("invalid device signature for meter 2")
        );
    }
}
