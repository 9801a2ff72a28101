//! Where events come from, behind a trait: [`ChainSource`] reads the chain
//! block by block through `packages/chain-client` (the contracts' `wasm`
//! events, completed by contract queries) and, when configured, the orders
//! (signed intents: the chain records only their commits)
//! of the gateway's frozen books ([`crate::gateway`]). [`parse_events`] is
//! the pure part: the contracts' event attributes to sentinel events,
//! malformed ones skipped with a reason.

use std::collections::BTreeMap;

use chain_client::cosmrs::rpc::{Client, HttpClient};
use chain_client::{ChainClient, TxEvent};
use serde::{Deserialize, Serialize};

use crate::event::Event;
use crate::gateway::{Book, GatewayBooks};
use crate::{Error, Result};

/// One block's worth of events.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Block {
    /// Height.
    pub height: u64,
    /// Block time, unix s.
    pub time: u64,
    /// Events, in order.
    pub events: Vec<Event>,
    /// What could not be used, with why.
    pub skipped: Vec<String>,
}

/// A source of market events, read block by block.
#[allow(async_fn_in_trait)]
pub trait EventSource {
    /// The newest complete block.
    async fn latest(&mut self) -> Result<u64>;
    /// Block `height`'s events. [`Error::Unavailable`] when the block cannot
    /// be had (pruned): the agent logs it and moves on; any other error is
    /// retried.
    async fn block(&mut self, height: u64) -> Result<Block>;
}

/// The contracts the sentinel follows (bech32 addresses).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contracts {
    /// The AIP cw20.
    pub token: String,
    /// Settlement.
    pub settlement: String,
    /// Reputation.
    pub reputation: String,
    /// Meter-oracle (optional: without it, no readings).
    #[serde(default)]
    pub meter_oracle: Option<String>,
    /// The zk-verifier: a reputation mint it sends is KYC-backed.
    #[serde(default)]
    pub zk_verifier: Option<String>,
}

/// Follow-ups a block's events ask for (contract queries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Follow {
    /// A slot finished settling: read its trades.
    Settled(u64),
    /// Readings finalized in a slot: read them.
    Readings(u64),
    /// A meter registered: (meter id, owner).
    Meter(u64, String),
}

fn attr<'a>(a: &'a [(String, String)], k: &str) -> std::result::Result<&'a str, String> {
    a.iter()
        .find(|(x, _)| x == k)
        .map(|(_, v)| v.as_str())
        .ok_or_else(|| format!("missing attribute {k:?}"))
}

fn num<T: std::str::FromStr>(a: &[(String, String)], k: &str) -> std::result::Result<T, String> {
    let v = attr(a, k)?;
    v.parse()
        .map_err(|_| format!("attribute {k:?} = {v:?} is not a number"))
}

/// The sentinel events and follow-ups in one block's transaction events;
/// a malformed contract event is skipped with a reason (third list).
pub fn parse_events(c: &Contracts, events: &[TxEvent]) -> (Vec<Event>, Vec<Follow>, Vec<String>) {
    let (mut out, mut follow, mut skipped) = (Vec::new(), Vec::new(), Vec::new());
    for e in events.iter().filter(|e| e.kind == "wasm") {
        let a = &e.attributes;
        let Ok(contract) = attr(a, "_contract_address") else {
            skipped.push("wasm event without _contract_address".into());
            continue;
        };
        let action = attr(a, "action").unwrap_or_default();
        let r: std::result::Result<(), String> = (|| {
            if contract == c.token {
                match action {
                    "transfer" | "send" | "transfer_from" | "send_from" => {
                        out.push(Event::Transfer {
                            from: attr(a, "from")?.into(),
                            to: attr(a, "to")?.into(),
                            amount: num(a, "amount")?,
                        })
                    }
                    "mint" => out.push(Event::Transfer {
                        from: c.token.clone(),
                        to: attr(a, "to")?.into(),
                        amount: num(a, "amount")?,
                    }),
                    _ => {}
                }
            } else if contract == c.settlement {
                // Orders are signed intents: they reach the sentinel from
                // the gateway's frozen books, not from chain events.
                if action == "settle" && attr(a, "done")? == "true" {
                    follow.push(Follow::Settled(num(a, "slot")?))
                }
            } else if contract == c.reputation {
                match action {
                    "mint" => out.push(Event::Registered {
                        account: attr(a, "owner")?.into(),
                        kyc: c.zk_verifier.as_deref() == Some(attr(a, "minter")?),
                    }),
                    "review" => {
                        let rating: u8 = num(a, "rating")?;
                        out.push(Event::Review {
                            trade_id: num(a, "trade_id")?,
                            reviewer: attr(a, "reviewer")?.into(),
                            reviewed: attr(a, "reviewed")?.into(),
                            rating,
                        })
                    }
                    _ => {}
                }
            } else if c.meter_oracle.as_deref() == Some(contract) {
                match action {
                    "register_meter" => {
                        follow.push(Follow::Meter(num(a, "meter")?, attr(a, "owner")?.into()))
                    }
                    "submit_readings" if num::<u64>(a, "finalized")? > 0 => {
                        follow.push(Follow::Readings(num(a, "slot")?))
                    }
                    _ => {}
                }
            }
            Ok(())
        })();
        if let Err(why) = r {
            skipped.push(format!("{contract} {action}: {why}"));
        }
    }
    follow.dedup();
    (out, follow, skipped)
}

/// A meter's physical data the chain does not hold (the grid operator's
/// register): keyed by owner account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeterData {
    /// Grid zone.
    pub zone: u32,
    /// Rated PV power, W.
    pub rated_w: u64,
    /// Storage power, W.
    #[serde(default)]
    pub storage_w: u64,
}

/// The chain, read through `chain-client` (queries) and its CometBFT RPC
/// (block results).
pub struct ChainSource {
    client: ChainClient,
    rpc: HttpClient,
    contracts: Contracts,
    meters: BTreeMap<String, MeterData>,
    /// Meter id -> owner, from registrations seen.
    owners: BTreeMap<u64, String>,
    /// The gateway's frozen books (orders as signed intents).
    gateway: Option<GatewayBooks>,
    /// The last block read: (height, time).
    last: Option<(u64, u64)>,
}

impl ChainSource {
    /// A source over `client`'s node.
    pub fn new(
        client: ChainClient,
        contracts: Contracts,
        meters: BTreeMap<String, MeterData>,
    ) -> Result<ChainSource> {
        let url = client.config().rpc_url.clone();
        let rpc = HttpClient::new(url.as_str())
            .map_err(|e| Error::Config(format!("rpc url {url}: {e}")))?;
        Ok(ChainSource {
            client,
            rpc,
            contracts,
            meters,
            owners: BTreeMap::new(),
            gateway: None,
            last: None,
        })
    }

    /// Also reads the gateway's frozen book of every slot that starts in a
    /// block: its intents become orders.
    pub fn with_gateway(mut self, gateway: GatewayBooks) -> ChainSource {
        self.gateway = Some(gateway);
        self
    }

    /// A block's time, unix s.
    async fn time(&self, h: chain_client::cosmrs::tendermint::block::Height) -> Result<u64> {
        let header = self
            .rpc
            .block(h)
            .await
            .map_err(|e| rpc_error(h.value(), e))?
            .block
            .header;
        Ok(header.time.unix_timestamp().max(0) as u64)
    }

    /// The orders of the gateway's books of the slots that started after
    /// the previous block and until `time`.
    async fn books(&self, height: u64, time: u64, b: &mut Block) -> Result<()> {
        let Some(g) = &self.gateway else {
            return Ok(());
        };
        let prev = match self.last {
            Some((h, t)) if h + 1 == height => t,
            _ if height > 1 => {
                let h = chain_client::cosmrs::tendermint::block::Height::try_from(height - 1)
                    .map_err(|e| Error::Rpc(e.to_string()))?;
                match self.time(h).await {
                    Ok(t) => t,
                    // The first block the node still has: where the slots
                    // before it started is lost with the pruned blocks.
                    Err(Error::Unavailable { reason, .. }) => {
                        b.skipped.push(format!(
                            "block {} unavailable ({reason}): gateway books of slots that started before block {height} not read",
                            height - 1
                        ));
                        time
                    }
                    Err(e) => return Err(e),
                }
            }
            _ => time,
        };
        let (slots, left_out) = crate::gateway::slots_started(prev, time);
        if left_out > 0 {
            b.skipped.push(format!(
                "{left_out} slots started between blocks {} and {height}: only the latest {} books read",
                height - 1,
                slots.len()
            ));
        }
        for slot in slots {
            match g.book(slot).await? {
                Book::Orders(o) => b.events.extend(o),
                Book::Skipped(why) => b.skipped.push(why),
            }
        }
        Ok(())
    }

    async fn trades(&self, slot: u64, b: &mut Block) -> Result<()> {
        let mut start_after: Option<u64> = None;
        loop {
            let q = serde_json::json!({"trades_by_slot": {"slot": slot, "start_after": start_after, "limit": 500}});
            let page: serde_json::Value = self.client.query(&self.contracts.settlement, &q).await?;
            let trades = page["trades"].as_array().cloned().unwrap_or_default();
            let Some(last) = trades.last() else { break };
            start_after = last["id"].as_u64();
            for t in &trades {
                let settled = matches!(t["status"].as_str(), Some("settled" | "ruled"));
                let delivered = t["settlement"]["delivered_wh"]
                    .as_str()
                    .and_then(|v| v.parse().ok());
                let parsed = (|| {
                    Some(Event::Trade {
                        id: t["id"].as_u64()?,
                        slot,
                        seller: t["seller"].as_str()?.into(),
                        buyer: t["buyer"].as_str()?.into(),
                        wh: t["wh"].as_str()?.parse().ok()?,
                        price: t["price"].as_str()?.parse().ok()?,
                        delivered_wh: delivered?,
                    })
                })();
                match parsed {
                    Some(e) if settled => b.events.push(e),
                    Some(_) => {}
                    None => b
                        .skipped
                        .push(format!("trade of slot {slot} unreadable: {t}")),
                }
            }
            if start_after.is_none() {
                break;
            }
        }
        Ok(())
    }

    /// The owner of meter `id`: from the registrations seen, else asked of
    /// the meter-oracle (a meter registered before the agent's start height
    /// or before a restart); a config entry for a newly learnt owner becomes
    /// its [`Event::Meter`].
    async fn owner(&mut self, mo: &str, id: u64, b: &mut Block) -> Result<Option<String>> {
        if let Some(o) = self.owners.get(&id) {
            return Ok(Some(o.clone()));
        }
        let q = serde_json::json!({"meter": {"meter": id}});
        let m: serde_json::Value = match self.client.query(mo, &q).await {
            Ok(m) => m,
            Err(chain_client::Error::Query { log, .. }) => {
                b.skipped.push(format!(
                    "reading of meter {id}: the meter-oracle does not know it ({log})"
                ));
                return Ok(None);
            }
            Err(e) => return Err(e.into()),
        };
        let Some(owner) = m["owner"].as_str().map(str::to_string) else {
            b.skipped.push(format!(
                "reading of meter {id}: the meter-oracle names no owner: {m}"
            ));
            return Ok(None);
        };
        self.owners.insert(id, owner.clone());
        if let Some(d) = self.meters.get(&owner) {
            b.events.push(Event::Meter {
                account: owner.clone(),
                zone: d.zone,
                rated_w: d.rated_w,
                storage_w: d.storage_w,
            });
        }
        Ok(Some(owner))
    }

    async fn readings(&mut self, slot: u64, b: &mut Block) -> Result<()> {
        let Some(mo) = self.contracts.meter_oracle.clone() else {
            return Ok(());
        };
        let mut start_after: Option<u64> = None;
        loop {
            let q = serde_json::json!({"readings": {"slot": slot, "start_after": start_after, "limit": 500}});
            let page: serde_json::Value = self.client.query(&mo, &q).await?;
            let rs = page["readings"].as_array().cloned().unwrap_or_default();
            let Some(last) = rs.last() else { break };
            start_after = last["meter"].as_u64();
            for r in &rs {
                if r["status"].as_str() != Some("finalized") {
                    continue;
                }
                let Some(meter) = r["meter"].as_u64() else {
                    continue;
                };
                let Some(owner) = self.owner(&mo, meter, b).await? else {
                    continue;
                };
                let wh = |k: &str| r[k].as_str().and_then(|v| v.parse::<u64>().ok());
                match (wh("exported_wh"), wh("imported_wh")) {
                    (Some(e), Some(i)) => b.events.push(Event::Reading {
                        account: owner,
                        slot,
                        exported_wh: e,
                        imported_wh: i,
                    }),
                    _ => b
                        .skipped
                        .push(format!("reading of meter {meter}: unreadable values")),
                }
            }
            if start_after.is_none() {
                break;
            }
        }
        Ok(())
    }
}

/// A CometBFT RPC error about block `height`: [`Error::Unavailable`] when
/// the node no longer has (or never had) the block, else [`Error::Rpc`].
fn rpc_error(height: u64, e: impl std::fmt::Display) -> Error {
    let msg = e.to_string();
    if msg.contains("height") && (msg.contains("not available") || msg.contains("lowest")) {
        Error::Unavailable {
            height,
            reason: msg,
        }
    } else {
        Error::Rpc(msg)
    }
}

impl EventSource for ChainSource {
    async fn latest(&mut self) -> Result<u64> {
        Ok(self.client.latest_block().await?.0)
    }

    async fn block(&mut self, height: u64) -> Result<Block> {
        let h = chain_client::cosmrs::tendermint::block::Height::try_from(height).map_err(|e| {
            Error::Unavailable {
                height,
                reason: e.to_string(),
            }
        })?;
        let res = self
            .rpc
            .block_results(h)
            .await
            .map_err(|e| rpc_error(height, e))?;
        let time = self.time(h).await?;
        let mut events = Vec::new();
        for tx in res.txs_results.unwrap_or_default() {
            if tx.code.is_err() {
                continue;
            }
            events.extend(tx.events.iter().map(TxEvent::from));
        }
        let (evs, follow, skipped) = parse_events(&self.contracts, &events);
        let mut b = Block {
            height,
            time,
            events: evs,
            skipped,
        };
        for f in follow {
            match f {
                Follow::Settled(slot) => self.trades(slot, &mut b).await?,
                Follow::Readings(slot) => self.readings(slot, &mut b).await?,
                Follow::Meter(id, owner) => {
                    self.owners.insert(id, owner.clone());
                    match self.meters.get(&owner) {
                        Some(m) => b.events.push(Event::Meter {
                            account: owner,
                            zone: m.zone,
                            rated_w: m.rated_w,
                            storage_w: m.storage_w,
                        }),
                        None => b.skipped.push(format!(
                            "meter {id} of {owner}: no rated power in the config; its readings are not checked"
                        )),
                    }
                }
            }
        }
        self.books(height, time, &mut b).await?;
        self.last = Some((height, time));
        Ok(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c() -> Contracts {
        Contracts {
            token: "tok".into(),
            settlement: "set".into(),
            reputation: "rep".into(),
            meter_oracle: Some("mo".into()),
            zk_verifier: Some("zk".into()),
        }
    }

    fn wasm(contract: &str, kv: &[(&str, &str)]) -> TxEvent {
        let mut attributes = vec![("_contract_address".to_string(), contract.to_string())];
        attributes.extend(kv.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        TxEvent {
            kind: "wasm".into(),
            attributes,
        }
    }

    #[test]
    fn contract_events_become_sentinel_events_and_follow_ups() {
        let ev = vec![
            wasm(
                "tok",
                &[
                    ("action", "transfer"),
                    ("from", "a"),
                    ("to", "b"),
                    ("amount", "5"),
                ],
            ),
            wasm("tok", &[("action", "mint"), ("to", "c"), ("amount", "7")]),
            wasm(
                "set",
                &[
                    ("action", "commit_intents"),
                    ("slot", "900"),
                    ("intents", "2"),
                    ("trades", "1"),
                ],
            ),
            wasm(
                "set",
                &[("action", "settle"), ("slot", "900"), ("done", "true")],
            ),
            wasm(
                "set",
                &[("action", "settle"), ("slot", "1800"), ("done", "false")],
            ),
            wasm(
                "rep",
                &[
                    ("action", "mint"),
                    ("minter", "zk"),
                    ("owner", "a"),
                    ("token_id", "a"),
                ],
            ),
            wasm(
                "rep",
                &[
                    ("action", "review"),
                    ("trade_id", "4"),
                    ("reviewer", "a"),
                    ("reviewed", "b"),
                    ("rating", "5"),
                ],
            ),
            wasm(
                "mo",
                &[
                    ("action", "register_meter"),
                    ("meter", "17"),
                    ("owner", "a"),
                    ("node", "3"),
                ],
            ),
            wasm(
                "mo",
                &[
                    ("action", "submit_readings"),
                    ("slot", "900"),
                    ("finalized", "2"),
                ],
            ),
            wasm(
                "mo",
                &[
                    ("action", "submit_readings"),
                    ("slot", "900"),
                    ("finalized", "0"),
                ],
            ),
            wasm("other", &[("action", "transfer")]),
            TxEvent {
                kind: "transfer".into(),
                attributes: vec![],
            },
        ];
        let (out, follow, skipped) = parse_events(&c(), &ev);
        assert!(skipped.is_empty(), "{skipped:?}");
        assert_eq!(out.len(), 4);
        assert_eq!(
            out[1],
            Event::Transfer {
                from: "tok".into(),
                to: "c".into(),
                amount: 7
            }
        );
        assert_eq!(
            out[2],
            Event::Registered {
                account: "a".into(),
                kyc: true
            }
        );
        assert_eq!(
            follow,
            vec![
                Follow::Settled(900),
                Follow::Meter(17, "a".into()),
                Follow::Readings(900)
            ]
        );
    }

    #[test]
    fn a_pruned_block_is_unavailable_other_rpc_errors_are_retried() {
        let e = rpc_error(
            7,
            "height 7 is not available, lowest height is 9 (code -32603)",
        );
        assert_eq!(
            e.to_string(),
            "block 7 unavailable: height 7 is not available, lowest height is 9 (code -32603)"
        );
        let e = rpc_error(7, "connection refused");
        assert!(matches!(e, Error::Rpc(_)), "{e:?}");
        assert_eq!(e.to_string(), "rpc: connection refused");
    }

    #[test]
    fn malformed_contract_events_are_skipped_with_a_reason() {
        let ev = vec![
            wasm(
                "tok",
                &[("action", "transfer"), ("from", "a"), ("amount", "5")],
            ),
            wasm(
                "set",
                &[("action", "settle"), ("slot", "x"), ("done", "true")],
            ),
            wasm(
                "rep",
                &[
                    ("action", "review"),
                    ("trade_id", "4"),
                    ("reviewer", "a"),
                    ("reviewed", "b"),
                    ("rating", "500"),
                ],
            ),
            TxEvent {
                kind: "wasm".into(),
                attributes: vec![("action".into(), "mint".into())],
            },
        ];
        let (out, follow, skipped) = parse_events(&c(), &ev);
        assert!(out.is_empty() && follow.is_empty());
        assert_eq!(
            skipped,
            vec![
                "tok transfer: missing attribute \"to\"".to_string(),
                "set settle: attribute \"slot\" = \"x\" is not a number".to_string(),
                "rep review: attribute \"rating\" = \"500\" is not a number".to_string(),
                "wasm event without _contract_address".to_string(),
            ]
        );
    }
}
