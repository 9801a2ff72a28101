//! The queries behind the online agent's chain view ([`ChainView`]), written
//! once as a pure builder over the chain's paged answers.
//!
//! The agent (over RPC) and the simulation (in-process or on a node) ask the
//! chain the same things in the same order: the meter-oracle registry entries
//! of the book's meters (500 a query), the settlement node → zone map (pages
//! of 500, until a short page), each intent's fill, each owner's free balance
//! and the owners' trading terms (reputation, 500 accounts a query). The
//! builder names the next query ([`ViewBuilder::next_query`]) and takes its
//! JSON answer ([`ViewBuilder::answer`]); the caller only carries them over
//! its transport:
//!
//! ```ignore
//! let mut b = ViewBuilder::new(book, sources);
//! while let Some(q) = b.next_query() {
//!     let answer = transport.query(q.contract(), q.msg())?;
//!     b.answer(answer)?;
//! }
//! let view = b.finish();
//! ```

use std::collections::{BTreeSet, HashMap};

use aip_types::hooks::{
    DeliveriesResponse, MeterQueryHook, ReputationQueryHook, TradingTermsBatchResponse,
};
use aip_types::SlotId;
use serde_json::Value;
use settlement::msg::{BalanceResponse, IntentFillResponse, NodeZonesResponse, QueryMsg};
use thiserror::Error;

use crate::intents::ChainView;
use crate::verify::FrozenBook;

/// Node → zone entries asked per `node_zones` page.
pub const NODE_PAGE: u32 = 500;
/// Meters asked per meter-oracle `deliveries` query (the contract answers up to 500).
pub const METER_CHUNK: usize = 500;
/// Accounts asked per reputation `trading_terms_batch` query. The contract
/// takes up to 1,000, but a smart query of 1,000 accounts runs past wasmd's
/// query gas limit (3,000,000) and the agent could not screen a
/// 1,000-household slot; 500 fit (the load run's 500 households) and match
/// settlement's own chunk.
pub const TERMS_CHUNK: usize = 500;

/// An answer the builder could not read.
#[derive(Error, Debug)]
pub enum ViewError {
    /// The answer is not the response of the query asked.
    #[error("unexpected answer to {query}: {source}")]
    Answer {
        /// The query the answer was for.
        query: &'static str,
        /// Why it did not parse.
        source: serde_json::Error,
    },
    /// [`ViewBuilder::answer`] was called with no query pending.
    #[error("an answer with no query pending")]
    NoQuery,
    /// A `trading_terms_batch` answer with another number of entries than accounts asked.
    #[error("trading_terms_batch answered {got} terms for {asked} accounts")]
    TermsCount {
        /// Accounts asked.
        asked: usize,
        /// Entries answered.
        got: usize,
    },
}

/// Where a view's facts come from, besides settlement.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ViewSources {
    /// The slot the book is for (the meter registry is read at it).
    pub slot: u64,
    /// The zones settlement knows (its `network`).
    pub zones: BTreeSet<u32>,
    /// Collateral ratio without reputation, bps (market parameter).
    pub default_collateral_bps: u32,
    /// Floor price of offer collateral, uaip/kWh (market parameter).
    pub collateral_floor_price: u128,
    /// The market has a meter oracle to read the registry from.
    pub meter_oracle: bool,
    /// The market has a reputation contract to read trading terms from.
    pub reputation: bool,
}

/// A query of the chain view: the contract it goes to and its message.
#[derive(Clone, Debug, PartialEq)]
pub enum ViewQuery {
    /// To the meter oracle.
    MeterOracle(MeterQueryHook),
    /// To settlement.
    Settlement(QueryMsg),
    /// To reputation.
    Reputation(ReputationQueryHook),
}

/// Where the builder stands.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    Meters(usize),
    /// The next `node_zones` page, after this node.
    Nodes(Option<u32>),
    Fills(usize),
    Free(usize),
    Terms(usize),
    Done,
}

/// Builds a [`ChainView`] of a frozen book from the chain's answers.
#[derive(Clone, Debug)]
pub struct ViewBuilder {
    view: ChainView,
    slot: SlotId,
    meters: Vec<Vec<u32>>,
    fills: Vec<(String, u64)>,
    owners: Vec<String>,
    terms: Vec<Vec<String>>,
    step: Step,
}

impl ViewBuilder {
    /// The view of `book` from `sources`. Owners `is_owner` refuses (not an
    /// address of the chain: their intents fail the signature check) are
    /// left out: no fill, balance or terms is asked for them.
    pub fn new(book: &FrozenBook, sources: ViewSources, is_owner: impl Fn(&str) -> bool) -> Self {
        let meters: Vec<u32> = book
            .intents
            .iter()
            .map(|e| e.signed.intent.meter)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let owners: Vec<String> = book
            .intents
            .iter()
            .map(|e| e.signed.intent.owner.clone())
            .filter(|o| is_owner(o))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut fills = Vec::new();
        let mut seen = BTreeSet::new();
        for e in &book.intents {
            let key = (e.signed.intent.owner.clone(), e.signed.intent.nonce);
            if owners.binary_search(&key.0).is_ok() && seen.insert(key.clone()) {
                fills.push(key);
            }
        }
        let mut b = ViewBuilder {
            view: ChainView {
                zones: sources.zones,
                default_collateral_bps: sources.default_collateral_bps,
                collateral_floor_price: sources.collateral_floor_price,
                ..ChainView::default()
            },
            slot: SlotId(sources.slot),
            meters: if sources.meter_oracle {
                meters.chunks(METER_CHUNK).map(<[u32]>::to_vec).collect()
            } else {
                vec![]
            },
            fills,
            terms: if sources.reputation {
                owners.chunks(TERMS_CHUNK).map(<[String]>::to_vec).collect()
            } else {
                vec![]
            },
            owners,
            step: Step::Meters(0),
        };
        b.skip_empty();
        if sources.reputation {
            b.view.terms = Some(HashMap::new());
        }
        b
    }

    /// Moves past the steps with nothing to ask.
    fn skip_empty(&mut self) {
        loop {
            self.step = match self.step {
                Step::Meters(i) if i >= self.meters.len() => Step::Nodes(None),
                Step::Fills(i) if i >= self.fills.len() => Step::Free(0),
                Step::Free(i) if i >= self.owners.len() => Step::Terms(0),
                Step::Terms(i) if i >= self.terms.len() => Step::Done,
                _ => return,
            };
        }
    }

    /// The next query to send, `None` when the view is complete.
    pub fn next_query(&self) -> Option<ViewQuery> {
        Some(match &self.step {
            Step::Meters(i) => ViewQuery::MeterOracle(MeterQueryHook::Deliveries {
                slot: self.slot,
                meters: self.meters[*i].clone(),
            }),
            Step::Nodes(start_after) => ViewQuery::Settlement(QueryMsg::NodeZones {
                start_after: *start_after,
                limit: Some(NODE_PAGE),
            }),
            Step::Fills(i) => {
                let (owner, nonce) = &self.fills[*i];
                ViewQuery::Settlement(QueryMsg::IntentFill {
                    owner: owner.clone(),
                    nonce: *nonce,
                })
            }
            Step::Free(i) => ViewQuery::Settlement(QueryMsg::Balance {
                account: self.owners[*i].clone(),
            }),
            Step::Terms(i) => ViewQuery::Reputation(ReputationQueryHook::TradingTermsBatch {
                accounts: self.terms[*i].clone(),
            }),
            Step::Done => return None,
        })
    }

    /// Takes the JSON answer to [`Self::next_query`].
    pub fn answer(&mut self, answer: Value) -> Result<(), ViewError> {
        fn parse<T: serde::de::DeserializeOwned>(
            query: &'static str,
            v: Value,
        ) -> Result<T, ViewError> {
            serde_json::from_value(v).map_err(|source| ViewError::Answer { query, source })
        }
        self.step = match self.step.clone() {
            Step::Meters(i) => {
                let r: DeliveriesResponse = parse("deliveries", answer)?;
                self.view
                    .meters
                    .extend(r.deliveries.into_iter().map(|d| (d.meter, d)));
                Step::Meters(i + 1)
            }
            Step::Nodes(_) => {
                let page: NodeZonesResponse = parse("node_zones", answer)?;
                let full = page.nodes.len() >= NODE_PAGE as usize;
                let last = page.nodes.last().map(|z| z.node);
                self.view
                    .node_zones
                    .extend(page.nodes.into_iter().map(|z| (z.node, z.zone)));
                match last {
                    Some(node) if full => Step::Nodes(Some(node)),
                    _ => Step::Fills(0),
                }
            }
            Step::Fills(i) => {
                let f: IntentFillResponse = parse("intent_fill", answer)?;
                self.view.fills.insert(self.fills[i].clone(), f);
                Step::Fills(i + 1)
            }
            Step::Free(i) => {
                let b: BalanceResponse = parse("balance", answer)?;
                self.view.free.insert(self.owners[i].clone(), b.free.u128());
                Step::Free(i + 1)
            }
            Step::Terms(i) => {
                let r: TradingTermsBatchResponse = parse("trading_terms_batch", answer)?;
                let asked = &self.terms[i];
                if r.terms.len() != asked.len() {
                    return Err(ViewError::TermsCount {
                        asked: asked.len(),
                        got: r.terms.len(),
                    });
                }
                if let Some(t) = &mut self.view.terms {
                    t.extend(asked.iter().cloned().zip(r.terms));
                }
                Step::Terms(i + 1)
            }
            Step::Done => return Err(ViewError::NoQuery),
        };
        self.skip_empty();
        Ok(())
    }

    /// The view (complete when [`Self::next_query`] is `None`).
    pub fn finish(self) -> ChainView {
        self.view
    }
}

#[cfg(test)]
mod tests;
