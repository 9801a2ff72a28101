//! Command line of `aip-sim` (`ci/sim.sh` passes its arguments through).

use std::path::PathBuf;

use clap::Parser;

/// The AIPCHAIN market simulation: households on a real SimBench LV grid
/// trade energy through the contracts on an in-process chain.
#[derive(Parser, Debug, Clone)]
#[command(name = "aip-sim", version, about)]
pub struct Args {
    /// Simulated days (the learning bidders learn across them).
    #[arg(long, default_value_t = 7)]
    pub days: usize,

    /// Households to simulate, picked evenly over the grid (default: all of it).
    #[arg(long)]
    pub households: Option<usize>,

    /// RNG seed (agent assignment, price jitter, exploration). Same seed, same KPIs.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,

    /// Output folder for kpis.json, summary.txt, series.csv and the SVG plots.
    #[arg(long, default_value = "out")]
    pub out: PathBuf,

    /// First simulated day, 0-based day of the data year (2016); default 5 September,
    /// inside the forecasters' held-out period (from 1 September).
    #[arg(long, default_value_t = 248)]
    pub start_day: usize,

    /// Folder with grid.json and households_wh.csv.gz.
    #[arg(long, default_value = "data/simbench")]
    pub data: PathBuf,

    /// Fraction of households that use the Q-learning bidder.
    #[arg(long, default_value_t = 0.5)]
    pub rl_share: f64,

    /// Home battery per household, kWh.
    #[arg(long, default_value_t = 5.0)]
    pub battery_kwh: f64,

    /// Q-learning rate.
    #[arg(long, default_value_t = crate::rl::QParams::default().alpha)]
    pub alpha: f64,

    /// Q-learning discount per slot.
    #[arg(long, default_value_t = crate::rl::QParams::default().gamma)]
    pub gamma: f64,

    /// Exploration rate on the first day (decays daily).
    #[arg(long, default_value_t = crate::rl::QParams::default().epsilon_start)]
    pub epsilon: f64,

    /// Use the seasonal-naive forecast (baseline) instead of the trained ONNX models.
    #[arg(long)]
    pub naive_forecast: bool,

    /// Use the day-ahead forecast as it is, without the intra-day update from
    /// the last metered hour (`forecast::IntraDay`).
    #[arg(long)]
    pub no_intraday: bool,

    /// Folder with the forecasters' load.onnx and pv.onnx.
    #[arg(long, default_value = "offchain/matcher/models")]
    pub models: PathBuf,

    /// aip-matcher's method: auto (network-aware), exact, flow, or price-only (the
    /// baseline that ignores zones, losses and capacities; for comparisons).
    #[arg(long, default_value = "auto")]
    pub method: aip_matcher::Method,

    /// Run against a node (CometBFT RPC URL) through packages/chain-client instead of the
    /// in-process chain: a localnet with the test clock hook (`ci/localnet.sh start`, wasmd
    /// from ci/install-wasmd.sh). Deploys fresh contracts from artifacts/ (repository root:
    /// AIP_ROOT or the current directory); defaults to 10 households, 8 slots from 11:00.
    #[arg(long)]
    pub node: Option<String>,

    /// Simulate only this many slots (15 min each) from the first day (default with --node: 8).
    #[arg(long)]
    pub slots: Option<usize>,

    /// Start at this slot of the first day, 0..=95 (default with --node: 44, 11:00).
    #[arg(long)]
    pub first_slot: Option<usize>,

    /// No battery firming: batteries run the plan made on the forecast even
    /// when it leaves a sale short (the behaviour before issue 19).
    #[arg(long)]
    pub no_firming: bool,

    /// Skip the twin run (the same households bidding by rule) that measures the learning gain.
    #[arg(long)]
    pub no_twin: bool,

    /// Attack evaluation (attack.rs): adversaries (`wash`, `ring`, `sybil`, `meter`,
    /// comma-separated, or `none` for honest households only) join the market, the
    /// sentinel watches; writes sentinel.json and sentinel.md to --out.
    #[arg(long, value_delimiter = ',')]
    pub attack: Vec<String>,

    /// What the learning households run: `policy` (the trained battery policy
    /// of --policy, frozen; the default) or `q` (tabular Q-learning from the
    /// rule, online).
    #[arg(long, default_value = "policy", value_parser = ["policy", "q"])]
    pub learner: String,

    /// The trained policy (`--train-policy` writes it). The default is the
    /// day-plan policy (`models/policy-plan.json`: it decides when to follow
    /// the household's day plan, `src/plan.rs`); `models/policy.json` is the
    /// earlier policy on time-band features alone. A relative path that is
    /// not under the current directory is looked up in its parents (so the
    /// default is found from a crate's folder too).
    #[arg(long, default_value = "models/policy-plan.json")]
    pub policy: PathBuf,

    /// Train the battery policy on 2016-01-08..08-31 (every household of --data),
    /// write it to this file and exit (seed: --train-seed).
    #[arg(long)]
    pub train_policy: Option<PathBuf>,

    /// Seed of --train-policy.
    #[arg(long, default_value_t = 1)]
    pub train_seed: u64,

    /// Training iterations of --train-policy (evolution strategies).
    #[arg(long, default_value_t = crate::policy::TrainConfig::default().iterations)]
    pub train_iterations: usize,

    /// Training of --train-policy values exports at this share of the way
    /// from the feed-in tariff to retail (0: the feed-in tariff; 0.4, the
    /// level households offer at, gave a worse held-out policy).
    #[arg(long, default_value_t = crate::policy::TrainConfig::default().export_level)]
    pub train_export_level: f64,

    /// Antithetic pairs per iteration of --train-policy (population: twice this).
    #[arg(long, default_value_t = crate::policy::TrainConfig::default().pairs)]
    pub train_pairs: usize,

    /// Episodes per iteration of --train-policy (drawn anew every iteration).
    #[arg(long, default_value_t = crate::policy::TrainConfig::default().episodes)]
    pub train_episodes: usize,

    /// Days per training episode of --train-policy.
    #[arg(long, default_value_t = crate::policy::TrainConfig::default().episode_days)]
    pub train_episode_days: usize,

    /// The weights --train-policy starts from: `rule` (self-consumption) or
    /// `peak-reserve` (night trickle, the charge kept for the evening peak).
    #[arg(long, value_enum, default_value_t = crate::policy::TrainConfig::default().start)]
    pub train_start: crate::policy::Start,

    /// Training episodes of --train-policy apply the simulation's no-export
    /// rule at delivery (the battery delivers no more than the real load).
    #[arg(long)]
    pub train_at_delivery: bool,

    /// With --train-at-delivery: a plan's firm offer counts as sold in the
    /// training episodes (its export leaves at the export level), as the
    /// simulation's market sells it.
    #[arg(long)]
    pub train_sell_offers: bool,

    /// Demand fee of --train-policy on the training episodes' synchronised
    /// grid import: uaip per kW of the largest mean import of one slot
    /// over the episodes, per 7 days (0: none).
    #[arg(long, default_value_t = crate::policy::TrainConfig::default().demand_uaip_per_kw)]
    pub train_demand_fee: u64,

    /// Share of the training episodes of --train-policy drawn from the
    /// training period's short-PV-day part (8 January to 31 March); 0: uniform.
    #[arg(long, default_value_t = crate::policy::TrainConfig::default().winter_share)]
    pub train_winter_share: f64,

    /// --train-policy keeps the best weights on a fixed validation set of
    /// training-period episodes, checked every this many iterations (0: the
    /// last weights).
    #[arg(long, default_value_t = crate::policy::TrainConfig::default().select_every)]
    pub train_select_every: usize,

    /// Held-out evaluation: for every week of --eval-weeks and seed of --eval-seeds,
    /// the learning households against their twin; writes evaluation.md and
    /// evaluation.json to --out.
    #[arg(long)]
    pub evaluate: bool,

    /// First days (0-based days of 2016) of the held-out weeks of --evaluate.
    #[arg(long, value_delimiter = ',', default_value = "248,276,304,332")]
    pub eval_weeks: Vec<usize>,

    /// Seeds of --evaluate.
    #[arg(long, value_delimiter = ',', default_value = "1,2,3")]
    pub eval_seeds: Vec<u64>,

    /// The perfect-foresight bound (`src/bound.rs`): for every week of
    /// --eval-weeks, the learning households' best tariff-only import bill
    /// with their real load and PV known in advance (an exact programme over
    /// the battery's charge) against the rule's battery on the same data;
    /// writes bound.md and bound.json to --out.
    #[arg(long)]
    pub bound: bool,

    /// State-of-charge step of --bound, Wh (1: every Wh; must divide the
    /// battery's capacity and its half).
    #[arg(long, default_value_t = 10)]
    pub bound_step: u64,

    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}
