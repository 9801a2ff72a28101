//! The agent: follows an [`EventSource`] from the stored cursor, decides
//! flags with the [`Watch`], stores them with the block atomically
//! ([`Store::commit_block`]), posts them through a [`Guardian`], and writes
//! each evidence document to `<evidence_dir>/<sha256>.json` for review.

use std::path::PathBuf;

use chain_client::ChainClient;

use crate::detect;
use crate::ml::MlScorer;
use crate::source::EventSource;
use crate::store::Store;
use crate::watch::{Flag, Watch};
use crate::{Error, Result};

/// What posting a flag did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Posted {
    /// The flag transaction went through.
    Now,
    /// The chain already held a flag on the account: the agent stopped after
    /// its flag transaction and before its store recorded it, or another
    /// guardian key flagged the account. Nothing was sent.
    Already,
}

/// Who posts flags: the reputation guardian.
#[allow(async_fn_in_trait)]
pub trait Guardian {
    /// `flag { account, reason }`.
    async fn flag(&mut self, account: &str, reason: &str) -> Result<Posted>;
    /// `unflag { account }`.
    async fn unflag(&mut self, account: &str) -> Result<()>;
}

/// The guardian key on a chain, through `chain-client`.
pub struct ChainGuardian {
    /// A client whose signer holds the reputation contract's guardian role.
    pub client: ChainClient,
    /// The reputation contract.
    pub reputation: String,
}

impl ChainGuardian {
    /// The reason of the flag the reputation contract holds on `account`
    /// (None when it holds none).
    pub async fn flag_on_chain(&self, account: &str) -> Result<Option<String>> {
        let q = serde_json::json!({"reputation": {"account": account}});
        let r: serde_json::Value = self.client.query(&self.reputation, &q).await?;
        Ok(r["flag"]["reason"].as_str().map(str::to_string))
    }
}

impl Guardian for ChainGuardian {
    /// Posts the flag. When the contract refuses it and the chain holds a
    /// flag on the account ([`Posted::Already`]), the flag counts as posted:
    /// retrying it would fail for ever.
    async fn flag(&mut self, account: &str, reason: &str) -> Result<Posted> {
        let msg = serde_json::json!({"flag": {"account": account, "reason": reason}});
        let Err(e) = self.client.execute(&self.reputation, &msg, &[]).await else {
            return Ok(Posted::Now);
        };
        if let Ok(Some(held)) = self.flag_on_chain(account).await {
            if held != reason {
                tracing::warn!(account, ours = reason, on_chain = %held, "the chain holds another flag on this account");
            }
            return Ok(Posted::Already);
        }
        Err(Error::Guardian {
            action: "flag",
            account: account.into(),
            reason: e.to_string(),
        })
    }

    async fn unflag(&mut self, account: &str) -> Result<()> {
        let msg = serde_json::json!({"unflag": {"account": account}});
        self.client
            .execute(&self.reputation, &msg, &[])
            .await
            .map(|_| ())
            .map_err(|e| Error::Guardian {
                action: "unflag",
                account: account.into(),
                reason: e.to_string(),
            })
    }
}

/// What one [`Agent::step`] did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Progress {
    /// Blocks read.
    pub blocks: u64,
    /// Blocks the node could not give (logged, skipped).
    pub unavailable: u64,
    /// Events taken.
    pub events: u64,
    /// Events or contract events skipped.
    pub skipped: u64,
    /// Flags posted.
    pub flagged: Vec<Flag>,
    /// Findings held back by the rate limit.
    pub deferred: u64,
}

/// The agent.
pub struct Agent<S, G> {
    /// Where events come from.
    pub source: S,
    /// Who posts flags.
    pub guardian: G,
    /// The durable state.
    pub store: Store,
    /// The decisions.
    pub watch: Watch,
    /// Where evidence documents are written (None: only in the store).
    pub evidence_dir: Option<PathBuf>,
    /// First block to read when the store has no cursor.
    pub start_height: u64,
    /// Most blocks read per step.
    pub max_blocks: u64,
    /// The ML scorer, when configured: its findings join the rules'.
    pub scorer: Option<MlScorer>,
}

impl<S: EventSource, G: Guardian> Agent<S, G> {
    /// An agent over `store`, its watch rebuilt from what the store holds.
    pub fn new(source: S, guardian: G, store: Store, mut watch: Watch) -> Result<Self> {
        let n = store.restore(&mut watch)?;
        tracing::info!(events = n, flags = watch.flagged.len(), "state restored");
        Ok(Agent {
            source,
            guardian,
            store,
            watch,
            evidence_dir: None,
            start_height: 1,
            max_blocks: 100,
            scorer: None,
        })
    }

    fn write_evidence(&self, f: &Flag) -> Result<()> {
        let Some(dir) = &self.evidence_dir else {
            return Ok(());
        };
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.display().to_string(),
            source,
        })?;
        let path = dir.join(format!("{}.json", f.hash()));
        std::fs::write(&path, &f.evidence).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })
    }

    /// Posts the flags decided but not yet on chain; a failure stays queued.
    pub async fn post_pending(&mut self) -> Result<Vec<Flag>> {
        let mut done = Vec::new();
        for f in self.store.unposted()? {
            self.write_evidence(&f)?;
            match self.guardian.flag(&f.account, &f.reason).await {
                Ok(posted) => {
                    self.store.mark_posted(&f.account)?;
                    match posted {
                        Posted::Now => {
                            tracing::info!(account = %f.account, reason = %f.reason, "flagged")
                        }
                        Posted::Already => {
                            tracing::info!(account = %f.account, reason = %f.reason, "flag already on chain; recorded as posted")
                        }
                    }
                    done.push(f);
                }
                Err(e) => {
                    tracing::warn!(account = %f.account, error = %e, "flag not posted; retried next step")
                }
            }
        }
        Ok(done)
    }

    /// Reads up to `max_blocks` new blocks, decides and posts flags.
    pub async fn step(&mut self) -> Result<Progress> {
        let mut p = Progress {
            flagged: self.post_pending().await?,
            ..Progress::default()
        };
        let latest = self.source.latest().await?;
        let from = self.store.cursor()?.map_or(self.start_height, |c| c + 1);
        let to = latest.min(from.saturating_add(self.max_blocks).saturating_sub(1));
        for h in from..=to {
            let block = match self.source.block(h).await {
                Ok(b) => b,
                Err(Error::Unavailable { height, reason }) => {
                    tracing::warn!(height, %reason, "block unavailable; skipped");
                    p.unavailable += 1;
                    self.store.commit_block(height, &[], &[])?;
                    continue;
                }
                Err(e) => return Err(e),
            };
            for s in &block.skipped {
                tracing::warn!(height = h, reason = %s, "contract event skipped");
            }
            p.skipped += block.skipped.len() as u64;
            let mut taken = Vec::with_capacity(block.events.len());
            for e in block.events {
                if self.watch.ingest(&e) {
                    taken.push(e);
                } else {
                    p.skipped += 1;
                }
            }
            p.events += taken.len() as u64;
            let d = if taken.is_empty() {
                Default::default()
            } else {
                let mut f = detect::run_all(&self.watch.ledger, &self.watch.cfg);
                if let Some(s) = self.scorer.as_mut() {
                    match s.findings(&self.watch.ledger, &self.watch.cfg) {
                        Ok(x) => f.extend(x),
                        Err(e) => tracing::warn!(error = %e, "ML scorer failed; rules only"),
                    }
                }
                self.watch.decide(f, block.time)
            };
            p.deferred += d.deferred.len() as u64;
            self.store.commit_block(h, &taken, &d.flags)?;
            p.blocks += 1;
            p.flagged.extend(self.post_pending().await?);
        }
        Ok(p)
    }

    /// The guardian grants an appeal: unflags `account` on chain and
    /// remembers the evidence so it does not flag it again.
    pub async fn clear(&mut self, account: &str) -> Result<Flag> {
        let Some(f) = self.watch.flagged.get(account).cloned() else {
            return Err(Error::NotFlagged {
                account: account.into(),
            });
        };
        self.guardian.unflag(account).await?;
        self.store.clear(account)?;
        self.watch.clear(account);
        tracing::info!(account, "flag cleared on appeal");
        Ok(f)
    }
}
