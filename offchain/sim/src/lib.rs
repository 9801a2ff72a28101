//! `aip-sim`: the AIPCHAIN market simulation, the README's main job.
//!
//! Households on a real benchmark low-voltage grid, with real load and PV
//! profiles, forecast their next slot, plan a home battery and trade bids and
//! offers through the contracts on a chain (the in-process chain by default,
//! where each household signs its orders as intents and the matcher commits
//! each slot once; [`protocol`] is that market protocol, written once over a
//! small transport). The matcher clears each slot on the online agent's own
//! path (the DSO's congestion fees and the corridor capacity left included),
//! the meters report the real profile as delivery, settlement and reputation
//! run, and a part of the households bid with a trained battery policy
//! ([`policy`], the default) or learn with tabular Q-learning ([`rl`]). The
//! run ends with a KPI summary and SVG plots.
//!
//! Every external part sits behind a small trait so it can be swapped:
//! [`forecast::Forecaster`], [`market::Clearing`], [`chain::MarketChain`].
#![cfg_attr(test, allow(clippy::unwrap_used))]
// tests report failures by panicking

pub mod adapters;
pub mod agent;
pub mod attack;
pub mod bound;
pub mod chain;
pub mod cli;
pub mod data;
pub mod dso;
pub mod engine;
pub mod evaluate;
pub mod forecast;
pub mod grid;
pub mod inprocess;
pub mod market;
pub mod node;
pub mod plan;
pub mod plot;
pub mod policy;
pub mod protocol;
pub mod report;
pub mod rl;
pub mod scenario;

use thiserror::Error;

/// Errors of the simulation's own checks.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum SimError {
    /// The scenario is inconsistent.
    #[error("invalid scenario: {0}")]
    Scenario(String),
    /// Input data could not be read.
    #[error("data: {0}")]
    Data(String),
}

/// Builds the engine the CLI asks for: the real scenario from `args.data`,
/// the in-process chain with every deployed contract, the matcher and the
/// forecaster.
pub fn build(args: &cli::Args) -> anyhow::Result<engine::Engine> {
    build_with(args, false)
}

/// [`build`], or its twin (`twin`: the learning households bid by rule).
pub fn build_with(args: &cli::Args, twin: bool) -> anyhow::Result<engine::Engine> {
    build_on(args, twin, |_, c| Ok(c))
}

/// [`build_with`], the chain passed through `wrap` (the attack evaluation
/// wraps the in-process chain, `attack.rs`).
pub fn build_on(
    args: &cli::Args,
    twin: bool,
    wrap: impl FnOnce(
        &scenario::Scenario,
        Box<dyn chain::MarketChain>,
    ) -> anyhow::Result<Box<dyn chain::MarketChain>>,
) -> anyhow::Result<engine::Engine> {
    // On a node: few households and slots by default (every order is a
    // transaction); `--slots` cuts the run short anywhere.
    let slots = args.slots.or(args.node.as_ref().map(|_| 8));
    let households = args.households.or(args.node.as_ref().map(|_| 10));
    let days = slots.map_or(args.days, |s| s.div_ceil(96).max(1));
    let mut scenario = data::load(
        &args.data,
        data::Window {
            start_day: args.start_day,
            days,
            history_days: 7,
            households,
        },
    )?;
    // On a node: from 11:00, when the sun is up and households trade.
    let first = args.first_slot.or(args.node.as_ref().map(|_| 44));
    if let Some(f) = first {
        anyhow::ensure!(f < 96, "--first-slot {f}: a day has slots 0..=95");
        scenario.history_slots += f;
        scenario.sim_slots -= f;
    }
    if let Some(s) = slots {
        scenario.sim_slots = scenario.sim_slots.min(s.max(1));
    }
    let policy = if args.learner == "policy" && args.rl_share > 0.0 && !twin {
        Some(policy::Policy::load(&policy::Policy::find(&args.policy))?)
    } else {
        None
    };
    let cfg = engine::SimConfig {
        policy,
        seed: args.seed,
        rl_share: args.rl_share,
        battery_kwh: args.battery_kwh,
        twin,
        firming: !args.no_firming,
        transformer_va: Some(grid::load_transformer(&args.data)?.rating_va),
        q: rl::QParams {
            alpha: args.alpha,
            gamma: args.gamma,
            epsilon_start: args.epsilon,
            ..rl::QParams::default()
        },
        ..engine::SimConfig::default()
    };
    let chain: Box<dyn chain::MarketChain> = match &args.node {
        None => Box::new(inprocess::InProcessChain::new()?),
        Some(rpc) => Box::new(node::NodeChain::connect(&node::NodeOptions {
            rpc: rpc.clone(),
            root: node::repo_root(),
            deployment: args.out.join(if twin {
                "deployment-twin.json"
            } else {
                "deployment.json"
            }),
        })?),
    };
    let chain = wrap(&scenario, chain)?;
    let clearing: Box<dyn market::Clearing> = Box::new(adapters::MatcherClearing {
        method: args.method,
    });
    let day_ahead: Box<dyn forecast::Forecaster> = if args.naive_forecast {
        Box::new(forecast::SeasonalNaive)
    } else {
        match adapters::OnnxForecaster::load(&args.models, &scenario) {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("ONNX forecaster unavailable ({e:#}); using the seasonal-naive baseline");
                Box::new(forecast::SeasonalNaive)
            }
        }
    };
    let forecaster: Box<dyn forecast::Forecaster> = if args.no_intraday {
        day_ahead
    } else {
        Box::new(forecast::IntraDay::new(day_ahead))
    };
    engine::Engine::new(scenario, cfg, chain, clearing, forecaster)
}
