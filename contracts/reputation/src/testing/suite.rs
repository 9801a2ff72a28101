//! A multitest suite: the reputation contract alone, with test addresses
//! playing settlement, the zk-verifier and the guardian.

use aip_types::hooks::reputation::{Ruling, TradeOutcome, TradingTermsResponse};
use aip_types::SlotId;
use cosmwasm_std::{Addr, Empty, Uint128};
use cw_multi_test::{App, AppResponse, Contract, ContractWrapper, Executor};

use crate::msg::{ExecuteMsg, InstantiateMsg, QueryMsg, ReputationResponse, TierTerms};

pub fn contract() -> Box<dyn Contract<Empty>> {
    Box::new(
        ContractWrapper::new(
            crate::contract::execute,
            crate::contract::instantiate,
            crate::contract::query,
        )
        .with_migrate(crate::contract::migrate),
    )
}

pub const SLOT0: u64 = 1_767_225_600; // 2026-01-01T00:00Z, slot-aligned

pub struct Suite {
    pub app: App,
    pub rep: Addr,
    pub admin: Addr,
    pub settlement: Addr,
    pub guardian: Addr,
    pub next_trade: u64,
    pub slot: u64,
}

impl Suite {
    /// Settlement and guardian configured, no zk-verifier (the admin mints).
    pub fn new() -> Self {
        Self::with(true, None)
    }

    pub fn with(settlement_set: bool, terms: Option<TierTerms>) -> Self {
        let mut app = App::default();
        let admin = app.api().addr_make("admin");
        let settlement = app.api().addr_make("settlement");
        let guardian = app.api().addr_make("guardian");
        let code = app.store_code(contract());
        let rep = app
            .instantiate_contract(
                code,
                admin.clone(),
                &InstantiateMsg {
                    name: "AIPCHAIN reputation".into(),
                    symbol: "AIPREP".into(),
                    admin: None,
                    settlement: settlement_set.then(|| settlement.to_string()),
                    zk_verifier: None,
                    guardian: Some(guardian.to_string()),
                    terms,
                    review_window_secs: None,
                },
                &[],
                "reputation",
                Some(admin.to_string()),
            )
            .unwrap();
        Suite {
            app,
            rep,
            admin,
            settlement,
            guardian,
            next_trade: 1,
            slot: SLOT0,
        }
    }

    pub fn addr(&self, name: &str) -> Addr {
        self.app.api().addr_make(name)
    }

    pub fn exec(&mut self, sender: &Addr, msg: &ExecuteMsg) -> anyhow::Result<AppResponse> {
        self.app
            .execute_contract(sender.clone(), self.rep.clone(), msg, &[])
    }

    /// The error message of a failing execute.
    pub fn err(&mut self, sender: &Addr, msg: &ExecuteMsg) -> String {
        let e = self.exec(sender, msg).unwrap_err();
        e.root_cause().to_string()
    }

    /// A suite in which each of `names` holds a token (minted in that
    /// order), and their addresses.
    pub fn members<const N: usize>(names: [&str; N]) -> (Self, [Addr; N]) {
        let mut s = Self::new();
        let addrs = names.map(|n| s.addr(n));
        for a in &addrs {
            s.mint(a);
        }
        (s, addrs)
    }

    pub fn mint(&mut self, who: &Addr) {
        let admin = self.admin.clone();
        self.exec(
            &admin,
            &ExecuteMsg::MintFor {
                owner: who.to_string(),
            },
        )
        .unwrap();
    }

    /// An outcome with a fresh trade id in the current slot.
    pub fn outcome(
        &mut self,
        seller: &Addr,
        buyer: &Addr,
        contracted: u128,
        delivered: u128,
    ) -> TradeOutcome {
        let id = self.next_trade;
        self.next_trade += 1;
        TradeOutcome {
            trade_id: id,
            slot: SlotId(self.slot),
            seller: seller.to_string(),
            buyer: buyer.to_string(),
            contracted_wh: Uint128::new(contracted),
            delivered_wh: Uint128::new(delivered),
        }
    }

    pub fn record(&mut self, outcomes: Vec<TradeOutcome>) -> anyhow::Result<AppResponse> {
        let s = self.settlement.clone();
        self.exec(&s, &ExecuteMsg::RecordOutcomes { outcomes })
    }

    /// `n` trades, one per slot, `delivered` of `contracted` Wh each; returns their ids.
    pub fn trades(
        &mut self,
        seller: &Addr,
        buyer: &Addr,
        n: usize,
        contracted: u128,
        delivered: u128,
    ) -> Vec<u64> {
        let mut ids = vec![];
        for _ in 0..n {
            self.slot += 900;
            let o = self.outcome(seller, buyer, contracted, delivered);
            ids.push(o.trade_id);
            self.record(vec![o]).unwrap();
        }
        ids
    }

    pub fn ruling(
        &mut self,
        trade_id: u64,
        seller: &Addr,
        buyer: &Addr,
        ruling: Ruling,
    ) -> anyhow::Result<AppResponse> {
        let s = self.settlement.clone();
        self.exec(
            &s,
            &ExecuteMsg::RecordRuling {
                trade_id,
                seller: seller.to_string(),
                buyer: buyer.to_string(),
                ruling,
            },
        )
    }

    pub fn review(
        &mut self,
        reviewer: &Addr,
        trade_id: u64,
        counterparty: &Addr,
        rating: u8,
    ) -> anyhow::Result<AppResponse> {
        self.exec(
            reviewer,
            &ExecuteMsg::Review {
                trade_id,
                counterparty: counterparty.to_string(),
                rating,
            },
        )
    }

    pub fn flag(&mut self, who: &Addr) -> anyhow::Result<AppResponse> {
        let g = self.guardian.clone();
        self.exec(
            &g,
            &ExecuteMsg::Flag {
                account: who.to_string(),
                reason: "review ring".into(),
            },
        )
    }

    pub fn unflag(&mut self, who: &Addr) -> anyhow::Result<AppResponse> {
        let g = self.guardian.clone();
        self.exec(
            &g,
            &ExecuteMsg::Unflag {
                account: who.to_string(),
            },
        )
    }

    pub fn query<T: serde::de::DeserializeOwned>(&self, msg: &QueryMsg) -> T {
        self.app.wrap().query_wasm_smart(&self.rep, msg).unwrap()
    }

    pub fn query_err(&self, msg: &QueryMsg) -> String {
        self.app
            .wrap()
            .query_wasm_smart::<cosmwasm_std::Empty>(&self.rep, msg)
            .unwrap_err()
            .to_string()
    }

    pub fn rep_of(&self, who: &Addr) -> ReputationResponse {
        self.query(&QueryMsg::Reputation {
            account: who.to_string(),
        })
    }

    pub fn score(&self, who: &Addr) -> u16 {
        self.rep_of(who).score
    }

    pub fn terms(&self, who: &Addr) -> TradingTermsResponse {
        self.query(&QueryMsg::TradingTerms {
            account: who.to_string(),
        })
    }

    pub fn advance(&mut self, secs: u64) {
        self.app.update_block(|b| {
            b.time = b.time.plus_seconds(secs);
            b.height += secs / 5;
        });
    }
}
