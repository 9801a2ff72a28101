//! The sentinel's decision loop, independent of where events come from and
//! where flags go: ingest events, run the detectors, and turn new findings
//! into flags under a rate limit; clear a flag on appeal.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};

use crate::detect::{self, DetectConfig};
use crate::event::{Account, Event};
use crate::evidence::{Code, Finding};
use crate::ledger::Ledger;

/// How many flags the sentinel may post. A bug that finds half the market
/// suspicious stops at these limits; the rest waits, logged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimit {
    /// Flags per window.
    pub max_per_window: usize,
    /// The window, seconds of chain time (slot starts).
    pub window_secs: u64,
    /// Most accounts flagged at once, as a share of the accounts seen.
    pub max_share: f64,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            max_per_window: 25,
            window_secs: 86_400,
            max_share: 0.2,
        }
    }
}

/// A flag to post: the account, the reason string and the evidence behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    /// The flagged account.
    pub account: Account,
    /// The reason code.
    pub code: Code,
    /// `<code>:sha256:<hex>` (see [`Finding::reason`]).
    pub reason: String,
    /// The canonical evidence JSON the hash is of.
    pub evidence: String,
    /// Chain time (slot start) when it was decided.
    pub at: u64,
}

impl Flag {
    fn of(f: &Finding, at: u64) -> Flag {
        Flag {
            account: f.account.clone(),
            code: f.code,
            reason: f.reason(),
            evidence: f.canonical(),
            at,
        }
    }

    /// The evidence hash (the part of the reason after `sha256:`).
    pub fn hash(&self) -> &str {
        self.reason.rsplit(':').next().unwrap_or_default()
    }
}

/// What one review round decided.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decision {
    /// New flags to post.
    pub flags: Vec<Flag>,
    /// Findings held back by the rate limit (account, why).
    pub deferred: Vec<(Account, String)>,
}

/// The sentinel's state: the ledger, the flags it holds, the accounts
/// cleared on appeal (not flagged again on the same evidence).
#[derive(Debug, Clone, Default)]
pub struct Watch {
    /// The accumulated market.
    pub ledger: Ledger,
    /// Detector thresholds.
    pub cfg: DetectConfig,
    /// Flag limits.
    pub limit: RateLimit,
    /// Accounts flagged now.
    pub flagged: BTreeMap<Account, Flag>,
    /// Account -> evidence hashes an appeal cleared.
    pub cleared: BTreeMap<Account, BTreeSet<String>>,
    /// Times of recent flags (for the window).
    recent: VecDeque<u64>,
    /// Events skipped, with why (the latest 1000).
    pub skipped: VecDeque<String>,
}

impl Watch {
    /// A sentinel with these thresholds and limits.
    pub fn new(cfg: DetectConfig, limit: RateLimit) -> Watch {
        Watch {
            cfg,
            limit,
            ..Watch::default()
        }
    }

    /// Takes an event; a malformed one is logged and skipped.
    pub fn ingest(&mut self, e: &Event) -> bool {
        match self.ledger.ingest(e) {
            Ok(()) => true,
            Err(s) => {
                tracing::warn!(reason = %s.0, "event skipped");
                if self.skipped.len() == 1000 {
                    self.skipped.pop_front();
                }
                self.skipped.push_back(s.0);
                false
            }
        }
    }

    /// Restores a flag posted before (a restart).
    pub fn restore(&mut self, f: Flag) {
        self.recent.push_back(f.at);
        self.flagged.insert(f.account.clone(), f);
    }

    /// Runs the detectors at chain time `now` and decides which findings
    /// become flags: one per account (its first finding), none for accounts
    /// already flagged or cleared on the same evidence, within the limits.
    pub fn review(&mut self, now: u64) -> Decision {
        let findings = detect::run_all(&self.ledger, &self.cfg);
        self.decide(findings, now)
    }

    /// [`Watch::review`] for given findings (the ML scorer adds its own).
    pub fn decide(&mut self, findings: Vec<Finding>, now: u64) -> Decision {
        while self
            .recent
            .front()
            .is_some_and(|&t| t + self.limit.window_secs <= now)
        {
            self.recent.pop_front();
        }
        let seen = self.ledger.accounts().len().max(1);
        // At least one, so a young market can see its first flag.
        let cap = ((self.limit.max_share * seen as f64).floor() as usize).max(1);
        let mut d = Decision::default();
        let mut done: BTreeSet<Account> = BTreeSet::new();
        for f in findings {
            if self.flagged.contains_key(&f.account) || !done.insert(f.account.clone()) {
                continue;
            }
            let flag = Flag::of(&f, now);
            if self
                .cleared
                .get(&f.account)
                .is_some_and(|h| h.contains(flag.hash()))
            {
                continue;
            }
            if self.recent.len() >= self.limit.max_per_window {
                d.deferred.push((
                    f.account,
                    format!(
                        "rate limit: {} flags in the last {} s",
                        self.recent.len(),
                        self.limit.window_secs
                    ),
                ));
                continue;
            }
            if self.flagged.len() + 1 > cap {
                d.deferred.push((
                    f.account,
                    format!(
                        "rate limit: {} of {seen} accounts flagged (max share {})",
                        self.flagged.len(),
                        self.limit.max_share
                    ),
                ));
                continue;
            }
            self.recent.push_back(now);
            self.flagged.insert(flag.account.clone(), flag.clone());
            d.flags.push(flag);
        }
        for (a, why) in &d.deferred {
            tracing::warn!(account = %a, why = %why, "flag deferred");
        }
        d
    }

    /// The guardian cleared `account` on appeal: it is no longer flagged,
    /// and the same evidence will not flag it again (new evidence may).
    pub fn clear(&mut self, account: &str) -> Option<Flag> {
        let f = self.flagged.remove(account)?;
        self.cleared
            .entry(account.to_string())
            .or_default()
            .insert(f.hash().to_string());
        Some(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn finding(a: &str, n: u64) -> Finding {
        Finding {
            account: a.into(),
            code: Code::Wash,
            evidence: json!({ "n": n }),
        }
    }

    fn watch(limit: RateLimit, accounts: usize) -> Watch {
        let mut w = Watch::new(DetectConfig::default(), limit);
        for i in 0..accounts {
            w.ingest(&Event::Registered {
                account: format!("a{i}"),
                kyc: false,
            });
        }
        w
    }

    #[test]
    fn an_account_is_flagged_once_with_its_first_finding() {
        let mut w = watch(RateLimit::default(), 10);
        let d = w.decide(vec![finding("a1", 1), finding("a1", 2)], 0);
        assert_eq!(d.flags.len(), 1);
        assert_eq!(
            d.flags[0].evidence,
            r#"{"account":"a1","code":"wash","evidence":{"n":1}}"#
        );
        assert!(w.decide(vec![finding("a1", 3)], 900).flags.is_empty());
    }

    #[test]
    fn the_window_limit_defers_and_releases_later() {
        let limit = RateLimit {
            max_per_window: 2,
            window_secs: 3600,
            max_share: 1.0,
        };
        let mut w = watch(limit, 10);
        let all: Vec<Finding> = (0..4).map(|i| finding(&format!("a{i}"), 0)).collect();
        let d = w.decide(all.clone(), 0);
        assert_eq!(d.flags.len(), 2);
        assert_eq!(d.deferred.len(), 2);
        assert_eq!(d.deferred[0].1, "rate limit: 2 flags in the last 3600 s");
        assert!(w.decide(all.clone(), 1800).flags.is_empty());
        let later = w.decide(all, 3600);
        assert_eq!(later.flags.len(), 2);
    }

    #[test]
    fn a_bug_cannot_flag_more_than_the_share_of_the_market() {
        let limit = RateLimit {
            max_per_window: 1000,
            window_secs: 1,
            max_share: 0.2,
        };
        let mut w = watch(limit, 50);
        let all: Vec<Finding> = (0..50).map(|i| finding(&format!("a{i}"), 0)).collect();
        let d = w.decide(all, 0);
        assert_eq!(d.flags.len(), 10);
        assert_eq!(
            d.deferred[0].1,
            "rate limit: 10 of 50 accounts flagged (max share 0.2)"
        );
    }

    #[test]
    fn an_appeal_clears_and_the_same_evidence_does_not_flag_again() {
        let mut w = watch(RateLimit::default(), 10);
        w.decide(vec![finding("a1", 1)], 0);
        let f = w.clear("a1").unwrap();
        assert_eq!(f.account, "a1");
        assert!(w.clear("a1").is_none());
        assert!(w.decide(vec![finding("a1", 1)], 900).flags.is_empty());
        // new evidence flags again
        assert_eq!(w.decide(vec![finding("a1", 2)], 1800).flags.len(), 1);
    }
}
