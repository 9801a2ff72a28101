//! Shared multitest suite: the real AIP token, settlement and meter-oracle
//! from aip-testing (meters registered by the grid operator, readings signed
//! by device keys and finalized by a quorum of oracle operators), plus a small
//! mock reputation contract speaking the hook messages of aip-types.
#![allow(dead_code)]

use aip_testing::deployment::{default_settlement_params, roles};
use aip_testing::{Deployment, DeploymentConfig};
use std::collections::BTreeMap;

use aip_types::hooks::{
    AccountEligibility, EligibilitiesResponse, Eligibility, KycQueryHook, ReputationExecuteHook,
    ReputationQueryHook, Ruling, Tier, TradeOutcome, TradingTermsResponse,
};
use aip_types::intent::sign::IntentKey;
use aip_types::intent::{BatchIntent, IntentDomain, OrderIntent, Side as IntentSide};
use aip_types::{MeterId, NodeId, SlotId, SLOT_SECONDS};
use cosmwasm_schema::cw_serde;
use cosmwasm_std::{
    to_json_binary, Addr, Binary, Deps, DepsMut, Empty, Env, MessageInfo, Response, StdError,
    StdResult, Uint128,
};
use cw_multi_test::{AppResponse, Contract, ContractWrapper, Executor};
use cw_storage_plus::{Item, Map};
use ed25519_dalek::SigningKey;
use settlement::msg::{
    BalanceResponse, CongestionFee, Corridor, ExecuteMsg, HoldingsResponse, IntentFillResponse,
    IntentTrade, MarketParams, NodeZone, QueryMsg, ReceiveMsg, Roles, SlotStatusResponse,
    TradeResponse, TradesResponse, Zone,
};

pub const ZONE_A: u32 = 1;
pub const ZONE_B: u32 = 2;
/// Grid node of zone A's meters (the grid operator maps it to zone A).
pub const NODE_A: NodeId = 10;
/// Grid node of zone B's meters.
pub const NODE_B: NodeId = 20;

/// The node the suite registers a meter of `zone` at.
pub fn node_of(zone: u32) -> NodeId {
    match zone {
        ZONE_A => NODE_A,
        ZONE_B => NODE_B,
        other => 1_000 + other,
    }
}
pub const START_BALANCE: u128 = 1_000_000_000_000;

// ------------------------------------------------------------ mock reputation

#[cw_serde]
pub enum MockRepExec {
    SetTerms {
        terms: TradingTermsResponse,
    },
    /// Make every later settlement hook fail.
    Break {},
    #[serde(untagged)]
    Hook(ReputationExecuteHook),
}

#[cw_serde]
pub enum MockRepQuery {
    Outcomes {},
    Rulings {},
    #[serde(untagged)]
    Hook(ReputationQueryHook),
}

const TERMS: Map<&str, TradingTermsResponse> = Map::new("terms");
const OUTCOMES: Item<Vec<TradeOutcome>> = Item::new("outcomes");
const RULINGS: Item<Vec<(u64, Ruling)>> = Item::new("rulings");
const BROKEN: Item<bool> = Item::new("broken");

fn rep_exec(deps: DepsMut, _: Env, _: MessageInfo, msg: MockRepExec) -> StdResult<Response> {
    if matches!(msg, MockRepExec::Hook(_)) && BROKEN.may_load(deps.storage)?.unwrap_or(false) {
        return Err(StdError::generic_err("reputation is broken"));
    }
    match msg {
        MockRepExec::Break {} => BROKEN.save(deps.storage, &true)?,
        MockRepExec::SetTerms { terms } => {
            TERMS.save(deps.storage, &terms.account.clone(), &terms)?
        }
        MockRepExec::Hook(ReputationExecuteHook::RecordOutcomes { outcomes }) => {
            let mut all = OUTCOMES.may_load(deps.storage)?.unwrap_or_default();
            all.extend(outcomes);
            OUTCOMES.save(deps.storage, &all)?;
        }
        MockRepExec::Hook(ReputationExecuteHook::RecordRuling {
            trade_id, ruling, ..
        }) => {
            let mut all = RULINGS.may_load(deps.storage)?.unwrap_or_default();
            all.push((trade_id, ruling));
            RULINGS.save(deps.storage, &all)?;
        }
        MockRepExec::Hook(ReputationExecuteHook::MintFor { .. }) => {}
    }
    Ok(Response::new())
}

fn rep_query(deps: Deps, _: Env, msg: MockRepQuery) -> StdResult<Binary> {
    match msg {
        MockRepQuery::Outcomes {} => {
            to_json_binary(&OUTCOMES.may_load(deps.storage)?.unwrap_or_default())
        }
        MockRepQuery::Rulings {} => {
            to_json_binary(&RULINGS.may_load(deps.storage)?.unwrap_or_default())
        }
        MockRepQuery::Hook(ReputationQueryHook::TradingTerms { account }) => {
            to_json_binary(&mock_terms(deps, account)?)
        }
        MockRepQuery::Hook(ReputationQueryHook::TradingTermsBatch { accounts }) => {
            let terms = accounts
                .into_iter()
                .map(|a| mock_terms(deps, a))
                .collect::<StdResult<_>>()?;
            to_json_binary(&aip_types::hooks::TradingTermsBatchResponse { terms })
        }
        MockRepQuery::Hook(ReputationQueryHook::PriorityScores { .. }) => {
            Err(StdError::generic_err("not mocked"))
        }
    }
}

fn mock_terms(deps: Deps, account: String) -> StdResult<TradingTermsResponse> {
    Ok(TERMS
        .may_load(deps.storage, &account)?
        .unwrap_or(TradingTermsResponse {
            account,
            registered: false,
            score: 0,
            tier: Tier::Newcomer,
            collateral_ratio_bps: 10_000,
            premium_eligible: false,
            flagged: false,
        }))
}

// ------------------------------------------------------------ mock KYC verifier

#[cw_serde]
pub enum MockKycExec {
    Set { eligibility: AccountEligibility },
}

const KYC: Map<&str, AccountEligibility> = Map::new("kyc");

fn kyc_exec(deps: DepsMut, _: Env, _: MessageInfo, msg: MockKycExec) -> StdResult<Response> {
    let MockKycExec::Set { eligibility } = msg;
    KYC.save(deps.storage, &eligibility.account.clone(), &eligibility)?;
    Ok(Response::new())
}

fn kyc_query(deps: Deps, _: Env, msg: KycQueryHook) -> StdResult<Binary> {
    let KycQueryHook::Eligibilities { accounts } = msg;
    let eligibilities = accounts
        .into_iter()
        .map(|a| {
            Ok(KYC
                .may_load(deps.storage, &a)?
                .unwrap_or(AccountEligibility {
                    account: a,
                    eligible: false,
                    premium_eligible: false,
                    reason: Eligibility::Unregistered,
                }))
        })
        .collect::<StdResult<_>>()?;
    to_json_binary(&EligibilitiesResponse { eligibilities })
}

/// A KYC verifier answering `eligibilities` from what the test set: the unit
/// test of settlement's use of it (the real verifier needs real proofs; its
/// own tests cover the rule).
pub fn mock_kyc() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(kyc_exec, rep_init, kyc_query))
}

fn rep_init(_: DepsMut, _: Env, _: MessageInfo, _: Empty) -> StdResult<Response> {
    Ok(Response::new())
}

pub fn mock_reputation() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(rep_exec, rep_init, rep_query))
}

// ------------------------------------------------------------ suite

pub struct Suite {
    pub d: Deployment,
    pub slot: SlotId,
    pub users: Vec<Addr>,
    /// Registered meters by (test label, owner, zone): the suite registers a
    /// meter the first time a label is used, as the grid operator would.
    pub meters: BTreeMap<(String, Addr, u32), (MeterId, SigningKey)>,
    /// Intents placed through [`Suite::bid`], [`Suite::offer`] and
    /// [`Suite::place`], by handle.
    pub book: Vec<BatchIntent>,
    /// The last nonce [`Suite::unsigned`] gave out.
    pub next_nonce: u64,
}

pub fn params() -> MarketParams {
    default_settlement_params()
}

impl Suite {
    /// Token + settlement wired to the real meter-oracle, zones A and B (nodes
    /// [`NODE_A`] and [`NODE_B`]), a corridor A->B (capacity 10 kWh, loss 2 %,
    /// fee 10_000 uaip/kWh), users alice..erin with 1e6 AIP each.
    pub fn new() -> Self {
        let names = ["alice", "bob", "carol", "dave", "erin"];
        let cfg = DeploymentConfig {
            initial_balances: names
                .iter()
                .map(|n| (n.to_string(), START_BALANCE))
                .collect(),
            ..DeploymentConfig::default()
        };
        let d = Deployment::new(&cfg).expect("deployment");
        let now = d.app.block_info().time.seconds();
        // A slot one hour ahead.
        let slot = SlotId(SlotId::containing(now).0 + 4 * SLOT_SECONDS);
        let users = names.iter().map(|n| d.addr(n)).collect();
        let mut d = d;
        let mo = d.meter_oracle.clone();
        d.wire_settlement(None, Some(&mo))
            .expect("wire meter-oracle");
        let mut s = Suite {
            d,
            slot,
            users,
            meters: BTreeMap::new(),
            book: vec![],
            next_nonce: 0,
        };
        s.dso(ExecuteMsg::UpsertZone {
            zone: Zone {
                id: ZONE_A,
                name: "feeder A".into(),
            },
        })
        .unwrap();
        s.dso(ExecuteMsg::UpsertZone {
            zone: Zone {
                id: ZONE_B,
                name: "feeder B".into(),
            },
        })
        .unwrap();
        s.dso(ExecuteMsg::SetCorridor {
            corridor: corridor(ZONE_A, ZONE_B, 10_000, 200, 10_000),
        })
        .unwrap();
        s.dso(ExecuteMsg::SetNodeZones {
            nodes: vec![
                NodeZone {
                    node: NODE_A,
                    zone: ZONE_A,
                },
                NodeZone {
                    node: NODE_B,
                    zone: ZONE_B,
                },
            ],
        })
        .unwrap();
        s
    }

    /// The meter `label` of `who` in `zone`, registered (active, at the
    /// zone's node) on first use.
    pub fn meter(&mut self, label: &str, who: &Addr, zone: u32) -> MeterId {
        let key = (label.to_string(), who.clone(), zone);
        if let Some((id, _)) = self.meters.get(&key) {
            return *id;
        }
        let seed = (self.meters.len() + 1) as u8;
        let dev = SigningKey::from_bytes(&[seed; 32]);
        let id = self
            .d
            .register_meter(who, node_of(zone), &dev)
            .expect("register meter");
        self.meters.insert(key, (id, dev));
        id
    }

    /// The registered meter with this label (any owner and zone).
    pub fn labelled(&self, label: &str) -> (MeterId, SigningKey) {
        self.meters
            .iter()
            .find(|((l, _, _), _)| l == label)
            .map(|(_, (id, k))| (*id, k.clone()))
            .unwrap_or_else(|| panic!("no meter labelled {label}"))
    }

    /// Two of the three oracle operators (the quorum) submit the device-signed
    /// reading of meter `label` for the suite's slot: it is finalized.
    pub fn readings(&mut self, label: &str, exported: u128) -> anyhow::Result<()> {
        let (id, dev) = self.labelled(label);
        let slot = self.slot;
        for op in 0..2 {
            let r = vec![self.d.sign_reading(&dev, id, slot, exported, 0)];
            self.d.submit_readings(op, slot, r)?;
        }
        Ok(())
    }

    /// Anyone pulls finalized deliveries of the slot from the meter-oracle.
    pub fn fetch(&mut self, limit: Option<u32>) -> anyhow::Result<AppResponse> {
        let who = self.user(4);
        let slot = self.slot;
        self.exec(&who, ExecuteMsg::FetchDeliveries { slot, limit })
    }

    pub fn user(&self, i: usize) -> Addr {
        self.users[i].clone()
    }

    pub fn role(&self, name: &str) -> Addr {
        self.d.addr(name)
    }

    pub fn now(&self) -> u64 {
        self.d.now()
    }

    pub fn set_time(&mut self, t: u64) {
        self.d.set_time(t);
    }

    pub fn exec(&mut self, who: &Addr, msg: ExecuteMsg) -> anyhow::Result<AppResponse> {
        let c = self.d.settlement.clone();
        self.d.app.execute_contract(who.clone(), c, &msg, &[])
    }

    pub fn dso(&mut self, msg: ExecuteMsg) -> anyhow::Result<AppResponse> {
        let who = self.role(roles::GRID_OPERATOR);
        self.exec(&who, msg)
    }

    pub fn send(
        &mut self,
        who: &Addr,
        amount: u128,
        msg: &ReceiveMsg,
    ) -> anyhow::Result<AppResponse> {
        let token = self.d.token.clone();
        self.send_via(&token, who, amount, msg)
    }

    pub fn send_via(
        &mut self,
        token: &Addr,
        who: &Addr,
        amount: u128,
        msg: &ReceiveMsg,
    ) -> anyhow::Result<AppResponse> {
        let m = cw20::Cw20ExecuteMsg::Send {
            contract: self.d.settlement.to_string(),
            amount: Uint128::new(amount),
            msg: to_json_binary(msg).unwrap(),
        };
        self.d
            .app
            .execute_contract(who.clone(), token.clone(), &m, &[])
    }

    /// `who` deposits a bid's escrow `escrow_for(wh, max_price)` and places
    /// a buy intent for the suite's slot on its meter `meter` (a label, see
    /// [`Suite::meter`]) on chain, as a contract account does
    /// (`place_intent`); returns its handle for [`Suite::commit`].
    pub fn bid(&mut self, who: &Addr, zone: u32, meter: &str, wh: u128, max_price: u128) -> u32 {
        let escrow = aip_types::escrow_for(Uint128::new(wh), Uint128::new(max_price))
            .unwrap()
            .u128();
        self.deposit(who, escrow).expect("deposit escrow");
        self.place(who, IntentSide::Buy, zone, meter, wh, max_price)
            .expect("bid")
    }

    /// `who` deposits an offer's collateral at `ratio_bps` and places a sell
    /// intent on chain; returns its handle for [`Suite::commit`].
    pub fn offer(
        &mut self,
        who: &Addr,
        zone: u32,
        meter: &str,
        wh: u128,
        min_price: u128,
        ratio_bps: u32,
    ) -> u32 {
        let amount = settlement::rules::offer_collateral(
            Uint128::new(wh),
            Uint128::new(min_price),
            params().collateral_floor_price,
            ratio_bps,
        )
        .unwrap()
        .u128();
        if amount > 0 {
            self.deposit(who, amount).expect("deposit collateral");
        }
        self.place(who, IntentSide::Sell, zone, meter, wh, min_price)
            .expect("offer")
    }

    /// The unsigned intent of `who` for the suite's slot on its meter
    /// `meter` (registered on first use), with the next nonce.
    pub fn unsigned(
        &mut self,
        who: &Addr,
        side: IntentSide,
        zone: u32,
        meter: &str,
        wh: u64,
        limit_price: u64,
    ) -> BatchIntent {
        let meter = self.meter(meter, who, zone);
        self.next_nonce += 1;
        BatchIntent {
            owner: who.to_string(),
            nonce: self.next_nonce,
            slot_from: self.slot.start(),
            slot_until: self.slot.end(),
            side,
            meter,
            wh,
            limit_price,
            premium_only: false,
            expires: self.slot.start(),
            signature: None,
        }
    }

    /// `who` places `intent` on chain and the suite books it; returns its handle.
    pub fn place_intent(&mut self, who: &Addr, intent: BatchIntent) -> anyhow::Result<u32> {
        self.exec(
            who,
            ExecuteMsg::PlaceIntent {
                intent: intent.clone(),
            },
        )?;
        self.book.push(intent);
        Ok((self.book.len() - 1) as u32)
    }

    /// Places an intent of `who` on chain (see [`Suite::unsigned`]).
    pub fn place(
        &mut self,
        who: &Addr,
        side: IntentSide,
        zone: u32,
        meter: &str,
        wh: u128,
        price: u128,
    ) -> anyhow::Result<u32> {
        let i = self.unsigned(who, side, zone, meter, wh as u64, price as u64);
        self.place_intent(who, i)
    }

    /// The matcher commits `trades` between booked intents (by handle): the
    /// batch carries each named intent once, in order of first use.
    pub fn commit(&mut self, trades: Vec<BookTrade>) -> anyhow::Result<AppResponse> {
        let mut index: BTreeMap<u32, u32> = BTreeMap::new();
        let mut intents = vec![];
        let mut out = vec![];
        for t in trades {
            let mut at = |h: u32| {
                *index.entry(h).or_insert_with(|| {
                    intents.push(self.book[h as usize].clone());
                    (intents.len() - 1) as u32
                })
            };
            let (bid, offer) = (at(t.bid), at(t.offer));
            out.push(IntentTrade {
                bid,
                offer,
                wh: t.wh,
                price: t.price,
            });
        }
        self.commit_intents(intents, out)
    }

    /// The quorum finalizes meter `meter`'s reading, then anyone fetches.
    pub fn report(&mut self, meter: &str, exported: u128) -> anyhow::Result<AppResponse> {
        self.readings(meter, exported)?;
        self.fetch(None)
    }

    pub fn settle(&mut self, limit: Option<u32>) -> anyhow::Result<AppResponse> {
        let who = self.user(4);
        let slot = self.slot;
        self.exec(&who, ExecuteMsg::Settle { slot, limit })
    }

    /// `who` opens a dispute on a trade, sending the market's bond with the
    /// AIP token when there is one.
    pub fn dispute(
        &mut self,
        who: &Addr,
        trade_id: u64,
        reason: &str,
    ) -> anyhow::Result<AppResponse> {
        let c: settlement::msg::ConfigResponse = self.q(&QueryMsg::Config {})?;
        let reason = reason.to_string();
        if c.params.dispute_bond.is_zero() {
            self.exec(who, ExecuteMsg::OpenDispute { trade_id, reason })
        } else {
            let bond = c.params.dispute_bond.u128();
            self.send(who, bond, &ReceiveMsg::OpenDispute { trade_id, reason })
        }
    }

    pub fn withdraw(&mut self, who: &Addr) -> anyhow::Result<AppResponse> {
        self.exec(who, ExecuteMsg::Withdraw { amount: None })
    }

    pub fn q<T: serde::de::DeserializeOwned>(&self, msg: &QueryMsg) -> StdResult<T> {
        self.d.app.wrap().query_wasm_smart(&self.d.settlement, msg)
    }

    pub fn trade(&self, id: u64) -> TradeResponse {
        self.q(&QueryMsg::Trade { id }).unwrap()
    }

    pub fn trades_of(&self, who: &Addr) -> TradesResponse {
        self.q(&QueryMsg::TradesByAccount {
            account: who.to_string(),
            start_after: None,
            limit: None,
        })
        .unwrap()
    }

    pub fn claimable(&self, who: &Addr) -> u128 {
        let b: BalanceResponse = self
            .q(&QueryMsg::Balance {
                account: who.to_string(),
            })
            .unwrap();
        b.claimable.u128()
    }

    pub fn holdings(&self) -> HoldingsResponse {
        self.q(&QueryMsg::Holdings {}).unwrap()
    }

    pub fn status(&self) -> SlotStatusResponse {
        self.q(&QueryMsg::SlotStatus { slot: self.slot }).unwrap()
    }

    pub fn balance(&self, who: &Addr) -> u128 {
        self.d.balance(who).unwrap()
    }

    /// Moves the clock past the slot, the (complete) reports and the dispute window.
    pub fn after_slot(&mut self) {
        let t = self.slot.end() + 10;
        self.set_time(t);
    }

    pub fn after_dispute_window(&mut self) {
        let st = self.status();
        let t = st.settle_from.expect("slot has trades");
        self.set_time(t.max(self.now()));
    }

    pub fn before_gate(&mut self) {
        let t = self.slot.start() - params().gate_closure_secs - 60;
        self.set_time(t);
    }

    pub fn matching(&mut self) {
        let t = self.slot.start() - 60;
        self.set_time(t);
    }

    /// Settlement's AIP balance equals what its ledger says it holds.
    pub fn assert_holdings_match_balance(&self) {
        let h = self.holdings();
        assert_eq!(h.total, h.orders + h.trades + h.claimable + h.bonds);
        assert_eq!(self.balance(&self.d.settlement), h.total.u128());
    }

    pub fn with_reputation(&mut self) -> Addr {
        let code = self.d.app.store_code(mock_reputation());
        let rep = self
            .d
            .app
            .instantiate_contract(code, self.d.admin.clone(), &Empty {}, &[], "rep", None)
            .unwrap();
        let mo = self.d.meter_oracle.clone();
        self.d.wire_settlement(Some(&rep), Some(&mo)).unwrap();
        rep
    }

    /// A mock KYC verifier wired into settlement (with the mock reputation).
    pub fn with_kyc(&mut self, rep: &Addr) -> Addr {
        let code = self.d.app.store_code(mock_kyc());
        let kyc = self
            .d
            .app
            .instantiate_contract(code, self.d.admin.clone(), &Empty {}, &[], "kyc", None)
            .unwrap();
        let mut roles = self.roles();
        roles.reputation = Some(rep.to_string());
        roles.kyc_verifier = Some(kyc.to_string());
        let admin = self.d.admin.clone();
        self.exec(
            &admin,
            ExecuteMsg::UpdateConfig {
                roles: Some(roles),
                params: None,
            },
        )
        .unwrap();
        kyc
    }

    pub fn set_kyc(
        &mut self,
        kyc: &Addr,
        who: &Addr,
        eligible: bool,
        premium: bool,
        reason: Eligibility,
    ) {
        let admin = self.d.admin.clone();
        let eligibility = AccountEligibility {
            account: who.to_string(),
            eligible,
            premium_eligible: premium,
            reason,
        };
        self.d
            .app
            .execute_contract(admin, kyc.clone(), &MockKycExec::Set { eligibility }, &[])
            .unwrap();
    }

    pub fn set_terms(&mut self, rep: &Addr, who: &Addr, ratio: u32, premium: bool, flagged: bool) {
        let terms = TradingTermsResponse {
            account: who.to_string(),
            registered: true,
            score: 500,
            tier: Tier::Silver,
            collateral_ratio_bps: ratio,
            premium_eligible: premium,
            flagged,
        };
        let admin = self.d.admin.clone();
        self.d
            .app
            .execute_contract(admin, rep.clone(), &MockRepExec::SetTerms { terms }, &[])
            .unwrap();
    }

    pub fn update_params(&mut self, p: MarketParams) {
        let admin = self.d.admin.clone();
        self.exec(
            &admin,
            ExecuteMsg::UpdateConfig {
                roles: None,
                params: Some(p),
            },
        )
        .unwrap();
    }

    pub fn roles(&self) -> Roles {
        let c: settlement::msg::ConfigResponse = self.q(&QueryMsg::Config {}).unwrap();
        c.roles
    }
}

// ------------------------------------------------------------ deposits and intents

/// A household that signs intents with its own secp256k1 key: its account
/// is the key's address.
#[derive(Clone)]
pub struct Household {
    pub key: IntentKey,
    pub addr: Addr,
}

impl Suite {
    /// This chain and this settlement contract, as intents must name them.
    pub fn domain(&self) -> IntentDomain {
        IntentDomain {
            chain_id: self.d.app.block_info().chain_id,
            contract: self.d.settlement.to_string(),
        }
    }

    /// A household keyed by `label`, funded with `funds` uaip from alice and
    /// with `deposit` of them deposited in settlement.
    pub fn household(&mut self, label: &str, funds: u128, deposit: u128) -> Household {
        let key = IntentKey::from_label(label);
        let prefix = self.domain().prefix().unwrap();
        let addr = Addr::unchecked(key.address(&prefix));
        let alice = self.user(0);
        self.d.transfer(&alice, &addr, funds).unwrap();
        if deposit > 0 {
            self.deposit(&addr, deposit).unwrap();
        }
        Household { key, addr }
    }

    pub fn deposit(&mut self, who: &Addr, amount: u128) -> anyhow::Result<AppResponse> {
        self.send(who, amount, &ReceiveMsg::Deposit {})
    }

    /// An intent of `h` for the suite's slot on its meter `meter` in `zone`
    /// (registered on first use), expiring at the slot start.
    #[allow(clippy::too_many_arguments)]
    pub fn intent(
        &mut self,
        h: &Household,
        nonce: u64,
        side: IntentSide,
        meter: &str,
        zone: u32,
        wh: u64,
        limit_price: u64,
    ) -> OrderIntent {
        let meter = self.meter(meter, &h.addr, zone);
        let d = self.domain();
        OrderIntent {
            chain_id: d.chain_id,
            contract: d.contract,
            owner: h.addr.to_string(),
            nonce,
            slot_from: self.slot.start(),
            slot_until: self.slot.end(),
            side,
            meter,
            wh,
            limit_price,
            premium_only: false,
            expires: self.slot.start(),
        }
    }

    pub fn commit_intents(
        &mut self,
        intents: Vec<BatchIntent>,
        trades: Vec<IntentTrade>,
    ) -> anyhow::Result<AppResponse> {
        self.commit_settling(intents, trades, Vec::new())
    }

    /// `CommitIntents` of the suite's slot that also settles the earlier
    /// slots `settle`.
    pub fn commit_settling(
        &mut self,
        intents: Vec<BatchIntent>,
        trades: Vec<IntentTrade>,
        settle: Vec<SlotId>,
    ) -> anyhow::Result<AppResponse> {
        let who = self.role(roles::MATCHER);
        let slot = self.slot;
        self.exec(
            &who,
            ExecuteMsg::CommitIntents {
                slot,
                intents,
                trades,
                settle,
            },
        )
    }

    pub fn account(&self, who: &Addr) -> BalanceResponse {
        self.q(&QueryMsg::Balance {
            account: who.to_string(),
        })
        .unwrap()
    }

    /// What settlement records of `owner`'s intent with `nonce`.
    pub fn fill(&self, owner: &Addr, nonce: u64) -> IntentFillResponse {
        self.q(&QueryMsg::IntentFill {
            owner: owner.to_string(),
            nonce,
        })
        .unwrap()
    }

    /// `buyer` buys 1 kWh from `seller` at `price` in zone A, committed in
    /// the slot's matching phase: a bid up to `price` on meter "m-a", an
    /// offer from `price` on meter "m-b" with 20 % collateral (trade 1 of a
    /// fresh suite).
    pub fn one_kwh(&mut self, buyer: &Addr, seller: &Addr, price: u128) -> AppResponse {
        self.before_gate();
        let bid = self.bid(buyer, ZONE_A, "m-a", 1_000, price);
        let offer = self.offer(seller, ZONE_A, "m-b", 1_000, price, 2_000);
        self.matching();
        self.commit(vec![trade(bid, offer, 1_000, price)]).unwrap()
    }

    /// Alice (user 0) buys `alice_wh` and Carol (user 2) `carol_wh` from Bob
    /// (user 1), who sells both from one meter "m-b" in zone A, all at
    /// `price`, 20 % collateral; committed as trades 1 and 2 of a fresh suite.
    pub fn two_buyers_one_meter(&mut self, alice_wh: u128, carol_wh: u128, price: u128) {
        let (alice, bob, carol) = (self.user(0), self.user(1), self.user(2));
        self.before_gate();
        let bid1 = self.bid(&alice, ZONE_A, "m-a", alice_wh, price);
        let bid2 = self.bid(&carol, ZONE_A, "m-c", carol_wh, price);
        let offer = self.offer(&bob, ZONE_A, "m-b", alice_wh + carol_wh, price, 2_000);
        self.matching();
        self.commit(vec![
            trade(bid1, offer, alice_wh, price),
            trade(bid2, offer, carol_wh, price),
        ])
        .unwrap();
    }

    /// Commits `batch`, which must pass.
    pub fn commits(&mut self, (intents, trades): Batch) -> AppResponse {
        self.commit_intents(intents, trades).unwrap()
    }

    /// Commits `batch` expecting a refusal: returns its message, after
    /// checking that nothing changed (holdings and the slot's status).
    pub fn refused(&mut self, (intents, trades): Batch) -> String {
        let before = (self.holdings(), self.status());
        let e = err(self.commit_intents(intents, trades));
        assert_eq!(
            (self.holdings(), self.status()),
            before,
            "a refused batch moves nothing"
        );
        e
    }

    /// Commits `batch` expecting the refusal `message`, with nothing changed.
    pub fn refuses(&mut self, batch: Batch, message: &str) {
        assert_eq!(self.refused(batch), message);
    }

    /// The buyer's intent (nonce 1 on "b-meter", up to 250,000 uaip/kWh) and
    /// the seller's (nonce 1 on "k-meter", from 200,000 uaip/kWh) in zone A.
    pub fn bid_and_offer(
        &mut self,
        b: &Household,
        k: &Household,
        bid_wh: u64,
        offer_wh: u64,
    ) -> (OrderIntent, OrderIntent) {
        let bid = self.intent(b, 1, IntentSide::Buy, "b-meter", ZONE_A, bid_wh, 250_000);
        let offer = self.intent(k, 1, IntentSide::Sell, "k-meter", ZONE_A, offer_wh, 200_000);
        (bid, offer)
    }
}

/// A `CommitIntents` batch: the intents and the trades between them.
pub type Batch = (Vec<BatchIntent>, Vec<IntentTrade>);

/// The batch of one trade of `wh` at `price` between `b`'s signed `bid`
/// (intent 0) and `k`'s signed `offer` (intent 1).
pub fn one(
    b: &Household,
    bid: &OrderIntent,
    k: &Household,
    offer: &OrderIntent,
    wh: u128,
    price: u128,
) -> Batch {
    (
        vec![signed(b, bid), signed(k, offer)],
        vec![itrade(0, 1, wh, price)],
    )
}

/// The batch form of `h`'s ADR-036 signature over `i`.
pub fn signed(h: &Household, i: &OrderIntent) -> BatchIntent {
    BatchIntent::from_signed(&h.key.sign_cosmos(i))
}

pub fn itrade(bid: u32, offer: u32, wh: u128, price: u128) -> IntentTrade {
    IntentTrade {
        bid,
        offer,
        wh: Uint128::new(wh),
        price: Uint128::new(price),
    }
}

pub fn corridor(from: u32, to: u32, cap: u128, loss_bps: u32, fee: u128) -> Corridor {
    Corridor {
        from_zone: from,
        to_zone: to,
        capacity_wh: Uint128::new(cap),
        loss_bps,
        fee_per_kwh: Uint128::new(fee),
    }
}

pub fn fee(from: u32, to: u32, fee: u128) -> CongestionFee {
    CongestionFee {
        from_zone: from,
        to_zone: to,
        fee_per_kwh: Uint128::new(fee),
    }
}

/// A trade between two booked intents (handles from [`Suite::bid`] and
/// [`Suite::offer`]).
pub struct BookTrade {
    pub bid: u32,
    pub offer: u32,
    pub wh: Uint128,
    pub price: Uint128,
}

pub fn trade(bid: u32, offer: u32, wh: u128, price: u128) -> BookTrade {
    BookTrade {
        bid,
        offer,
        wh: Uint128::new(wh),
        price: Uint128::new(price),
    }
}

/// An attribute of a response; the contract error message of a failed call.
#[allow(unused_imports)] // not every test file reads both
pub use aip_testing::response::{attr, err};
