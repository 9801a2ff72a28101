//! The sentinel's durable state in SQLite (WAL): the cursor (last block
//! fully read), every event taken (to rebuild the ledger on restart), the
//! flags decided (posted or not yet) and their evidence documents.
//!
//! A block's events, the flags decided after it and the cursor move in one
//! transaction, so a restart neither reads a block twice nor misses one, and
//! never decides a flag twice; a flag decided but not yet posted (a crash
//! between the two) is posted after the restart.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};

use crate::event::Event;
use crate::evidence::Code;
use crate::watch::{Flag, Watch};
use crate::{Error, Result};

/// One flag as the store keeps it (`aip-sentinel serve`'s `/v1/flags`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FlagRow {
    /// The flagged account.
    pub account: String,
    /// The reason code.
    pub code: String,
    /// The reason posted on chain, `<code>:sha256:<hash>`.
    pub reason: String,
    /// The evidence hash.
    pub hash: String,
    /// Chain time when it was decided, unix s.
    pub at: u64,
    /// Posted on chain.
    pub posted: bool,
    /// Cleared by an appeal.
    pub cleared: bool,
}

/// The store.
pub struct Store {
    db: Connection,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS cursor (id INTEGER PRIMARY KEY CHECK (id = 0), height INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, height INTEGER NOT NULL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS flags (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT NOT NULL,
    code TEXT NOT NULL,
    reason TEXT NOT NULL,
    hash TEXT NOT NULL,
    evidence TEXT NOT NULL,
    at INTEGER NOT NULL,
    posted INTEGER NOT NULL DEFAULT 0,
    cleared INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS flags_hash ON flags (hash);
";

impl Store {
    /// Opens (creating) the store at `path`.
    pub fn open(path: &Path) -> Result<Store> {
        let db = Connection::open(path)?;
        db.pragma_update(None, "journal_mode", "WAL")?;
        db.pragma_update(None, "synchronous", "FULL")?;
        db.execute_batch(SCHEMA)?;
        Ok(Store { db })
    }

    /// An in-memory store (tests).
    pub fn memory() -> Result<Store> {
        let db = Connection::open_in_memory()?;
        db.execute_batch(SCHEMA)?;
        Ok(Store { db })
    }

    /// The last block fully read (None before the first).
    pub fn cursor(&self) -> Result<Option<u64>> {
        Ok(self
            .db
            .query_row("SELECT height FROM cursor WHERE id = 0", [], |r| {
                r.get::<_, i64>(0)
            })
            .optional()?
            .map(|h| h as u64))
    }

    /// Records block `height`: the events taken from it, the flags decided
    /// after it, and the cursor, atomically.
    pub fn commit_block(&mut self, height: u64, events: &[Event], flags: &[Flag]) -> Result<()> {
        let tx = self.db.transaction()?;
        for e in events {
            tx.execute(
                "INSERT INTO events (height, json) VALUES (?1, ?2)",
                params![height as i64, serde_json::to_string(e)?],
            )?;
        }
        for f in flags {
            tx.execute(
                "INSERT INTO flags (account, code, reason, hash, evidence, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![f.account, f.code.as_str(), f.reason, f.hash(), f.evidence, f.at as i64],
            )?;
        }
        tx.execute(
            "INSERT INTO cursor (id, height) VALUES (0, ?1) ON CONFLICT (id) DO UPDATE SET height = excluded.height",
            params![height as i64],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Marks `account`'s open flag as posted on chain.
    pub fn mark_posted(&self, account: &str) -> Result<()> {
        self.db.execute(
            "UPDATE flags SET posted = 1 WHERE account = ?1 AND cleared = 0",
            params![account],
        )?;
        Ok(())
    }

    /// Flags decided but not posted yet.
    pub fn unposted(&self) -> Result<Vec<Flag>> {
        self.flags("WHERE posted = 0 AND cleared = 0")
    }

    /// Marks `account`'s open flag cleared (an appeal the guardian granted);
    /// false when it had none.
    pub fn clear(&self, account: &str) -> Result<bool> {
        let n = self.db.execute(
            "UPDATE flags SET cleared = 1 WHERE account = ?1 AND cleared = 0",
            params![account],
        )?;
        Ok(n > 0)
    }

    fn flags(&self, filter: &str) -> Result<Vec<Flag>> {
        let mut st = self.db.prepare(&format!(
            "SELECT account, code, reason, evidence, at FROM flags {filter} ORDER BY id"
        ))?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (account, code, reason, evidence, at) = row?;
            let code = Code::parse(&code)
                .ok_or_else(|| Error::Config(format!("stored flag with unknown code {code:?}")))?;
            out.push(Flag {
                account,
                code,
                reason,
                evidence,
                at: at as u64,
            });
        }
        Ok(out)
    }

    /// Every flag decided, oldest first, with whether it was posted on
    /// chain and whether an appeal cleared it.
    pub fn flag_rows(&self) -> Result<Vec<FlagRow>> {
        let mut st = self.db.prepare(
            "SELECT account, code, reason, hash, at, posted, cleared FROM flags ORDER BY id",
        )?;
        let rows = st.query_map([], |r| {
            Ok(FlagRow {
                account: r.get(0)?,
                code: r.get(1)?,
                reason: r.get(2)?,
                hash: r.get(3)?,
                at: r.get::<_, i64>(4)? as u64,
                posted: r.get(5)?,
                cleared: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// The evidence document behind a hash (None when unknown).
    pub fn evidence(&self, hash: &str) -> Result<Option<String>> {
        Ok(self
            .db
            .query_row(
                "SELECT evidence FROM flags WHERE hash = ?1 LIMIT 1",
                params![hash.to_ascii_lowercase()],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Rebuilds the watch: replays every stored event into `w`'s ledger,
    /// restores the open flags and the cleared evidence. Returns the events
    /// replayed.
    pub fn restore(&self, w: &mut Watch) -> Result<usize> {
        let mut st = self.db.prepare("SELECT json FROM events ORDER BY seq")?;
        let rows = st.query_map([], |r| r.get::<_, String>(0))?;
        let mut n = 0;
        for j in rows {
            let e: Event = serde_json::from_str(&j?)?;
            w.ingest(&e);
            n += 1;
        }
        for f in self.flags("WHERE cleared = 0")? {
            w.restore(f);
        }
        for f in self.flags("WHERE cleared = 1")? {
            w.cleared
                .entry(f.account.clone())
                .or_default()
                .insert(f.hash().to_string());
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::DetectConfig;
    use crate::evidence::Finding;
    use crate::watch::RateLimit;

    fn flag(a: &str) -> Flag {
        let mut w = Watch::new(DetectConfig::default(), RateLimit::default());
        w.ingest(&Event::Registered {
            account: a.into(),
            kyc: false,
        });
        w.decide(
            vec![Finding {
                account: a.into(),
                code: Code::Ring,
                evidence: serde_json::json!({"x": 1}),
            }],
            900,
        )
        .flags
        .remove(0)
    }

    #[test]
    fn cursor_events_and_flags_survive_a_reopen() {
        let dir = std::env::temp_dir().join(format!("sentinel-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.db");
        let _ = std::fs::remove_file(&path);
        let f = flag("a");
        {
            let mut s = Store::open(&path).unwrap();
            assert_eq!(s.cursor().unwrap(), None);
            let e = Event::Registered {
                account: "a".into(),
                kyc: true,
            };
            s.commit_block(7, &[e], std::slice::from_ref(&f)).unwrap();
        }
        let s = Store::open(&path).unwrap();
        assert_eq!(s.cursor().unwrap(), Some(7));
        assert_eq!(s.unposted().unwrap(), vec![f.clone()]);
        assert_eq!(
            s.evidence(f.hash()).unwrap().as_deref(),
            Some(f.evidence.as_str())
        );
        let mut w = Watch::default();
        assert_eq!(s.restore(&mut w).unwrap(), 1);
        assert_eq!(w.ledger.registered.get("a"), Some(&true));
        assert!(w.flagged.contains_key("a"));
        s.mark_posted("a").unwrap();
        assert!(s.unposted().unwrap().is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_cleared_flag_is_remembered_with_its_evidence() {
        let mut s = Store::memory().unwrap();
        let f = flag("a");
        s.commit_block(1, &[], std::slice::from_ref(&f)).unwrap();
        assert!(s.clear("a").unwrap());
        assert!(!s.clear("a").unwrap());
        let mut w = Watch::default();
        s.restore(&mut w).unwrap();
        assert!(!w.flagged.contains_key("a"));
        assert!(w.cleared["a"].contains(f.hash()));
        assert!(s.unposted().unwrap().is_empty());
    }
}
