//! The durable store: SQLite in WAL mode with `synchronous = FULL`, so a
//! committed transaction survives a crash or power loss.
//!
//! One writer thread owns the write connection. Requests queue on a channel;
//! the writer takes everything queued (up to `max_batch`), applies it in one
//! transaction and commits once: one fsync for the whole group (group
//! commit). Only after the commit does any caller get its answer, so an
//! acknowledged intent is on disk. Checks that depend on stored state
//! (duplicate, nonce reuse, reserved balance, frozen slot) run inside that
//! transaction, so concurrent posts cannot both pass them.
//!
//! Reads go through a second connection (WAL readers never block the writer).

use std::path::Path;
use std::sync::mpsc;
use std::sync::Mutex;
use std::thread::JoinHandle;

use aip_types::intent::{Side, SignedIntent};
use aip_types::SLOT_SECONDS;
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

use crate::error::GatewayError;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS intents (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    hash         TEXT NOT NULL UNIQUE,
    owner        TEXT NOT NULL,
    nonce        INTEGER NOT NULL,
    slot_from    INTEGER NOT NULL,
    slot_until   INTEGER NOT NULL,
    side         TEXT NOT NULL,
    escrow       TEXT NOT NULL,
    expires      INTEGER NOT NULL,
    signed       TEXT NOT NULL,
    accepted_at  INTEGER NOT NULL,
    cancelled_at INTEGER,
    UNIQUE (owner, nonce)
);
CREATE INDEX IF NOT EXISTS intents_window ON intents (slot_from, slot_until);
CREATE TABLE IF NOT EXISTS frozen (
    slot      INTEGER PRIMARY KEY,
    frozen_at INTEGER NOT NULL,
    book      TEXT NOT NULL
);
";

/// An intent that passed every stateless check, ready to store.
#[derive(Debug, Clone)]
pub struct NewIntent {
    /// Hex of the intent hash.
    pub hash: String,
    /// The signed intent as posted.
    pub signed: SignedIntent,
    /// What a bid reserves of the owner's free balance (0 for offers).
    pub escrow: u128,
    /// The owner's free balance on chain (checked only when `escrow > 0`).
    pub free: u128,
    /// Acceptance time, unix seconds.
    pub now: u64,
}

/// A stored intent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredIntent {
    /// Acceptance order, strictly increasing.
    pub seq: u64,
    /// Hex of the intent hash.
    pub hash: String,
    /// The signed intent as accepted.
    pub signed: SignedIntent,
    /// Acceptance time, unix seconds.
    pub accepted_at: u64,
    /// When it was cancelled, if it was.
    pub cancelled_at: Option<u64>,
}

/// One entry of a book.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BookEntry {
    /// Hex of the intent hash.
    pub hash: String,
    /// Acceptance order.
    pub seq: u64,
    /// The signed intent: enough for anyone to verify it and re-run the clearing.
    pub signed: SignedIntent,
}

/// The book of a slot as frozen at its gate closure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrozenBook {
    /// Slot start, unix seconds.
    pub slot: u64,
    /// When it was frozen, unix seconds.
    pub frozen_at: u64,
    /// `sha256` of the intents' 32-byte hashes concatenated in book order (hex).
    pub book_hash: String,
    /// Every open intent covering the slot, in acceptance order.
    pub intents: Vec<BookEntry>,
}

/// `sha256(h1 ‖ h2 ‖ ...)` of hex intent hashes, as hex.
pub fn book_hash(hashes: &[&str]) -> String {
    let mut h = Sha256::new();
    for x in hashes {
        h.update(hex::decode(x).unwrap_or_default());
    }
    hex::encode(h.finalize())
}

enum Job {
    Insert(Box<NewIntent>, oneshot::Sender<Result<u64, GatewayError>>),
    Cancel(String, u64, oneshot::Sender<Result<(), GatewayError>>),
    Freeze(
        u64,
        u64,
        oneshot::Sender<Result<Option<FrozenBook>, GatewayError>>,
    ),
}

/// The store: a writer thread and a read connection.
pub struct Store {
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    read: Mutex<Connection>,
}

fn open(path: &Path) -> Result<Connection, GatewayError> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(conn)
}

fn store_err(e: impl std::fmt::Display) -> GatewayError {
    GatewayError::Store {
        reason: e.to_string(),
    }
}

impl Store {
    /// Opens (or creates) the database and starts the writer.
    pub fn open(path: &Path, max_batch: usize) -> Result<Self, GatewayError> {
        let write = open(path)?;
        write.execute_batch(SCHEMA)?;
        let read = open(path)?;
        let (tx, rx) = mpsc::channel::<Job>();
        let writer = std::thread::Builder::new()
            .name("gateway-writer".to_string())
            .spawn(move || writer_loop(write, rx, max_batch.max(1)))
            .map_err(store_err)?;
        Ok(Store {
            jobs: Mutex::new(Some(tx)),
            writer: Mutex::new(Some(writer)),
            read: Mutex::new(read),
        })
    }

    fn send(&self, job: Job) -> Result<(), GatewayError> {
        let guard = self.jobs.lock().map_err(store_err)?;
        guard
            .as_ref()
            .ok_or_else(|| store_err("the store is shut down"))?
            .send(job)
            .map_err(store_err)
    }

    /// Stores an intent durably; answers after the commit. Returns its sequence number.
    pub async fn insert(&self, new: NewIntent) -> Result<u64, GatewayError> {
        let (tx, rx) = oneshot::channel();
        self.send(Job::Insert(Box::new(new), tx))?;
        rx.await.map_err(store_err)?
    }

    /// Marks an intent cancelled at `now`, durably.
    pub async fn cancel(&self, hash: String, now: u64) -> Result<(), GatewayError> {
        let (tx, rx) = oneshot::channel();
        self.send(Job::Cancel(hash, now, tx))?;
        rx.await.map_err(store_err)?
    }

    /// Freezes the book of `slot` at `now` unless it is frozen already;
    /// returns the new frozen book, or `None` if it was frozen before.
    pub async fn freeze(&self, slot: u64, now: u64) -> Result<Option<FrozenBook>, GatewayError> {
        let (tx, rx) = oneshot::channel();
        self.send(Job::Freeze(slot, now, tx))?;
        rx.await.map_err(store_err)?
    }

    /// Stops the writer after the queued jobs are done.
    pub fn shutdown(&self) {
        if let Ok(mut jobs) = self.jobs.lock() {
            jobs.take();
        }
        if let Some(handle) = self.writer.lock().ok().and_then(|mut w| w.take()) {
            let _ = handle.join();
        }
    }

    /// One stored intent by hash.
    pub fn get(&self, hash: &str) -> Result<Option<StoredIntent>, GatewayError> {
        let conn = self.read.lock().map_err(store_err)?;
        conn.query_row(
            "SELECT seq, hash, signed, accepted_at, cancelled_at FROM intents WHERE hash = ?1",
            params![hash],
            row_to_stored,
        )
        .optional()?
        .transpose()
    }

    /// The open book of `slot` at `now`: intents covering it, neither
    /// cancelled nor expired, in acceptance order.
    pub fn open_book(&self, slot: u64, now: u64) -> Result<Vec<BookEntry>, GatewayError> {
        let conn = self.read.lock().map_err(store_err)?;
        book_query(&conn, slot, now)
    }

    /// The frozen book of `slot` as stored (JSON text), if frozen.
    pub fn frozen_book(&self, slot: u64) -> Result<Option<String>, GatewayError> {
        let conn = self.read.lock().map_err(store_err)?;
        Ok(conn
            .query_row(
                "SELECT book FROM frozen WHERE slot = ?1",
                params![slot as i64],
                |r| r.get::<_, String>(0),
            )
            .optional()?)
    }

    /// The latest frozen slot.
    pub fn last_frozen(&self) -> Result<Option<u64>, GatewayError> {
        let conn = self.read.lock().map_err(store_err)?;
        let v: Option<i64> = conn.query_row("SELECT MAX(slot) FROM frozen", [], |r| r.get(0))?;
        Ok(v.map(|v| v as u64))
    }

    /// How many intents are stored.
    pub fn count(&self) -> Result<u64, GatewayError> {
        let conn = self.read.lock().map_err(store_err)?;
        let n: i64 = conn.query_row("SELECT COUNT(*) FROM intents", [], |r| r.get(0))?;
        Ok(n as u64)
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn row_to_stored(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<StoredIntent, GatewayError>> {
    let signed: String = r.get(2)?;
    Ok(serde_json::from_str(&signed)
        .map_err(store_err)
        .map(|signed| StoredIntent {
            seq: r.get::<_, i64>(0).unwrap_or_default() as u64,
            hash: r.get(1).unwrap_or_default(),
            signed,
            accepted_at: r.get::<_, i64>(3).unwrap_or_default() as u64,
            cancelled_at: r.get::<_, Option<i64>>(4).ok().flatten().map(|v| v as u64),
        }))
}

fn book_query(conn: &Connection, slot: u64, now: u64) -> Result<Vec<BookEntry>, GatewayError> {
    let mut stmt = conn.prepare_cached(
        "SELECT hash, seq, signed FROM intents
         WHERE slot_from <= ?1 AND slot_until > ?1 AND cancelled_at IS NULL AND expires > ?2
         ORDER BY seq",
    )?;
    let rows = stmt.query_map(params![slot as i64, now as i64], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    let mut out = vec![];
    for row in rows {
        let (hash, seq, signed) = row?;
        out.push(BookEntry {
            hash,
            seq: seq as u64,
            signed: serde_json::from_str(&signed).map_err(store_err)?,
        });
    }
    Ok(out)
}

fn writer_loop(mut conn: Connection, rx: mpsc::Receiver<Job>, max_batch: usize) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        run_batch(&mut conn, batch);
    }
}

enum Outcome {
    Insert(
        oneshot::Sender<Result<u64, GatewayError>>,
        Result<u64, GatewayError>,
    ),
    Cancel(
        oneshot::Sender<Result<(), GatewayError>>,
        Result<(), GatewayError>,
    ),
    Freeze(
        oneshot::Sender<Result<Option<FrozenBook>, GatewayError>>,
        Result<Option<FrozenBook>, GatewayError>,
    ),
}

fn run_batch(conn: &mut Connection, batch: Vec<Job>) {
    let tx = match conn.transaction() {
        Ok(tx) => tx,
        Err(e) => {
            let err = store_err(e);
            for job in batch {
                reply_err(job, err.clone());
            }
            return;
        }
    };
    let mut outcomes = Vec::with_capacity(batch.len());
    for job in batch {
        outcomes.push(match job {
            Job::Insert(new, reply) => {
                let r = savepoint(&tx, |t| insert(t, &new));
                Outcome::Insert(reply, r)
            }
            Job::Cancel(hash, now, reply) => {
                let r = savepoint(&tx, |t| cancel(t, &hash, now));
                Outcome::Cancel(reply, r)
            }
            Job::Freeze(slot, now, reply) => {
                let r = savepoint(&tx, |t| freeze(t, slot, now));
                Outcome::Freeze(reply, r)
            }
        });
    }
    let committed = tx.commit().map_err(store_err);
    for o in outcomes {
        match o {
            Outcome::Insert(reply, r) => {
                let _ = reply.send(committed.clone().and(r));
            }
            Outcome::Cancel(reply, r) => {
                let _ = reply.send(committed.clone().and(r));
            }
            Outcome::Freeze(reply, r) => {
                let _ = reply.send(committed.clone().and(r));
            }
        }
    }
}

fn reply_err(job: Job, err: GatewayError) {
    match job {
        Job::Insert(_, r) => {
            let _ = r.send(Err(err));
        }
        Job::Cancel(_, _, r) => {
            let _ = r.send(Err(err));
        }
        Job::Freeze(_, _, r) => {
            let _ = r.send(Err(err));
        }
    }
}

/// Runs `f` inside a savepoint: a refused job leaves nothing behind while the
/// rest of the group commits.
fn savepoint<T>(
    tx: &Transaction<'_>,
    f: impl FnOnce(&Connection) -> Result<T, GatewayError>,
) -> Result<T, GatewayError> {
    tx.execute_batch("SAVEPOINT job")?;
    match f(tx) {
        Ok(v) => {
            tx.execute_batch("RELEASE job")?;
            Ok(v)
        }
        Err(e) => {
            tx.execute_batch("ROLLBACK TO job; RELEASE job")?;
            Err(e)
        }
    }
}

fn insert(conn: &Connection, new: &NewIntent) -> Result<u64, GatewayError> {
    let i = &new.signed.intent;
    if conn
        .query_row(
            "SELECT 1 FROM intents WHERE hash = ?1",
            params![new.hash],
            |_| Ok(()),
        )
        .optional()?
        .is_some()
    {
        return Err(GatewayError::Duplicate {
            hash: new.hash.clone(),
        });
    }
    if let Some(existing) = conn
        .query_row(
            "SELECT hash FROM intents WHERE owner = ?1 AND nonce = ?2",
            params![i.owner, i.nonce as i64],
            |r| r.get::<_, String>(0),
        )
        .optional()?
    {
        return Err(GatewayError::NonceReused {
            owner: i.owner.clone(),
            nonce: i.nonce,
            existing,
        });
    }
    let last_slot = i.slot_until - SLOT_SECONDS;
    if let Some(frozen_at) = conn
        .query_row(
            "SELECT frozen_at FROM frozen WHERE slot = ?1",
            params![last_slot as i64],
            |r| r.get::<_, i64>(0),
        )
        .optional()?
    {
        return Err(GatewayError::GateClosed {
            slot: last_slot,
            gate_at: frozen_at as u64,
            now: new.now,
        });
    }
    if new.escrow > 0 {
        let reserved = reserved(conn, &i.owner, new.now)?;
        let total = reserved
            .checked_add(new.escrow)
            .ok_or(GatewayError::Overflow {
                what: "reserved escrow",
            })?;
        if total > new.free {
            return Err(GatewayError::InsufficientBalance {
                owner: i.owner.clone(),
                needed: new.escrow,
                reserved,
                free: new.free,
            });
        }
    }
    let signed = serde_json::to_string(&new.signed).map_err(store_err)?;
    conn.execute(
        "INSERT INTO intents (hash, owner, nonce, slot_from, slot_until, side, escrow, expires, signed, accepted_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            new.hash,
            i.owner,
            i.nonce as i64,
            i.slot_from as i64,
            i.slot_until as i64,
            match i.side {
                Side::Buy => "buy",
                Side::Sell => "sell",
            },
            new.escrow.to_string(),
            i.expires as i64,
            signed,
            new.now as i64,
        ],
    )?;
    Ok(conn.last_insert_rowid() as u64)
}

/// What an owner's open bids reserve: the escrow of every bid neither
/// cancelled, expired, nor past its window.
fn reserved(conn: &Connection, owner: &str, now: u64) -> Result<u128, GatewayError> {
    let mut stmt = conn.prepare_cached(
        "SELECT escrow FROM intents WHERE owner = ?1 AND side = 'buy'
         AND cancelled_at IS NULL AND expires > ?2 AND slot_until > ?2",
    )?;
    let rows = stmt.query_map(params![owner, now as i64], |r| r.get::<_, String>(0))?;
    let mut sum: u128 = 0;
    for row in rows {
        let v: u128 = row?.parse().map_err(store_err)?;
        sum = sum.checked_add(v).ok_or(GatewayError::Overflow {
            what: "reserved escrow",
        })?;
    }
    Ok(sum)
}

fn cancel(conn: &Connection, hash: &str, now: u64) -> Result<(), GatewayError> {
    let state: Option<Option<i64>> = conn
        .query_row(
            "SELECT cancelled_at FROM intents WHERE hash = ?1",
            params![hash],
            |r| r.get(0),
        )
        .optional()?;
    match state {
        None => Err(GatewayError::UnknownIntent {
            hash: hash.to_string(),
        }),
        Some(Some(_)) => Err(GatewayError::AlreadyCancelled {
            hash: hash.to_string(),
        }),
        Some(None) => {
            conn.execute(
                "UPDATE intents SET cancelled_at = ?2 WHERE hash = ?1",
                params![hash, now as i64],
            )?;
            Ok(())
        }
    }
}

fn freeze(conn: &Connection, slot: u64, now: u64) -> Result<Option<FrozenBook>, GatewayError> {
    let exists = conn
        .query_row(
            "SELECT 1 FROM frozen WHERE slot = ?1",
            params![slot as i64],
            |_| Ok(()),
        )
        .optional()?;
    if exists.is_some() {
        return Ok(None);
    }
    let intents = book_query(conn, slot, now)?;
    let hashes: Vec<&str> = intents.iter().map(|e| e.hash.as_str()).collect();
    let book = FrozenBook {
        slot,
        frozen_at: now,
        book_hash: book_hash(&hashes),
        intents,
    };
    conn.execute(
        "INSERT INTO frozen (slot, frozen_at, book) VALUES (?1, ?2, ?3)",
        params![
            slot as i64,
            now as i64,
            serde_json::to_string(&book).map_err(store_err)?
        ],
    )?;
    Ok(Some(book))
}
