//! The trained battery policy of the learning households, and its training.
//!
//! **Policy.** A linear scoring policy over hand-made features of what a
//! household sees before gate closure: the time-of-day band (8 bands that
//! follow the tariff), its battery's state of charge, its forecast net
//! load and the PV surplus of the last metered day. Each of the
//! [`ACTIONS`] gets a score `w_a · φ(obs)`; the household takes the best
//! (ties: the lowest index, so the rule's self-consumption wins a tie). The
//! weights are the whole model (`models/policy.json`, 5 × 40 numbers). Bids and offers keep the rule's price levels: the policy
//! decides what the battery does, hence how much the household bids or offers.
//!
//! **Training** ([`train`]): evolution strategies (antithetic Gaussian
//! perturbations of the weights, rank-shaped returns, Adam steps on the
//! estimated gradient) on episodes of the training period: a household of
//! the real data, a few days from a random start, its battery run by the
//! policy on seasonal-naive forecasts, billed at the time-of-use tariff,
//! its exports valued at the price the market pays for them
//! ([`TrainConfig::export_level`]; [`episode`]). No market and no chain in the loop: the objective is the
//! household's import bill, which the market lowers further for both the
//! policy and the rule. The objective also charges a **grid fee** on what
//! the battery draws from the grid above [`GridFee::cap_wh`] per slot (a
//! DSO's charging limit: 160 Wh a slot, 0.64 kW, just above the
//! [`Mode::Trickle`] charge of a 5 kWh battery), so a policy that charges at
//! full power in one cheap slot pays for the peak it makes; it learns to
//! charge slowly over the night, which spreads the community's charging load
//! instead of stacking it in one slot. The fee is in the training objective
//! only; in the simulation the households pay the tariff and the market.
//!
//! Deterministic: the same data, configuration and seed give the same
//! weights (ChaCha8 RNG, one thread).

use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::agent::{Battery, Tariff};
use crate::rl::BatteryMode;
use crate::scenario::{Household, SLOTS_PER_DAY};
use crate::SimError;

/// Hour boundaries of the policy's time bands: they follow the tariff
/// (off-peak 22–06, day 06–17 and 21–22, peak 17–21) and split the long ones.
pub const BANDS: [u32; 8] = [0, 3, 6, 10, 14, 17, 21, 22];
/// Features per band: 1, state of charge, its square, forecast net load (kWh
/// per slot), the PV surplus of the last metered day (a persistence forecast
/// of tomorrow's: with much of it the battery need not charge from the grid).
/// (A season feature was tried, with exports valued at the offer level in
/// training: the held-out gain fell; `offchain/sim/README.md`.)
pub const PER_BAND: usize = 5;
/// Width of the feature vector.
pub const N_FEATURES: usize = BANDS.len() * PER_BAND;

/// What the battery does in a slot, as the policy chooses it.
pub const ACTIONS: [BatteryMode; 5] = [
    BatteryMode::SelfConsume,
    BatteryMode::Hold,
    BatteryMode::Trickle,
    BatteryMode::Charge,
    BatteryMode::Discharge,
];
/// Number of actions of a [`Inputs::Bands`] policy.
pub const N_ACTIONS: usize = ACTIONS.len();
/// The action index of "follow the day plan" in a [`Inputs::BandsPlan`]
/// policy: the mode [`crate::plan::DayPlan::advice`] gives (self-consumption
/// when the household has no plan).
pub const FOLLOW_PLAN: usize = N_ACTIONS;

/// What a policy decides on: the version of its inputs and actions. A file
/// without the field is a [`Inputs::Bands`] policy (the format before the
/// day plan), and runs as before.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Inputs {
    /// The time-band features, the [`ACTIONS`].
    #[default]
    Bands,
    /// The same features, and a sixth action: follow the household's day
    /// plan ([`crate::plan`], [`FOLLOW_PLAN`]). Training learns, per band and
    /// state, when the plan's mode scores above the policy's own.
    BandsPlan,
}

impl Inputs {
    /// Rows of weights (one per action).
    pub fn actions(self) -> usize {
        match self {
            Inputs::Bands => N_ACTIONS,
            Inputs::BandsPlan => N_ACTIONS + 1,
        }
    }

    /// True for the inputs without a day plan (the field is then left out
    /// of the file, so a policy trained as before is written as before).
    pub fn is_bands(&self) -> bool {
        *self == Inputs::Bands
    }
}

/// Alias kept short in signatures.
pub type Mode = BatteryMode;

/// What a household knows when it decides.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Obs {
    /// Hour of the slot, 0..24 (UTC, as the tariff).
    pub hour: u32,
    /// Battery state of charge, 0..=1.
    pub soc: f64,
    /// Forecast load minus forecast PV of the slot, Wh.
    pub net_forecast_wh: i64,
    /// PV surplus over the last metered day ([`surplus_last_day`]), Wh.
    pub surplus_day_wh: u64,
    /// The day plan's advice for the slot, when the household plans
    /// ([`Inputs::BandsPlan`]).
    pub plan: Option<crate::plan::Advice>,
}

/// The PV surplus (PV above load, slot by slot) of the last day metered:
/// the `SLOTS_PER_DAY` slots before `seen` (fewer at the start of the data).
/// The same function feeds the policy in training and in the simulation.
pub fn surplus_last_day(load_wh: &[u64], pv_wh: &[u64], seen: usize) -> u64 {
    let from = seen.saturating_sub(SLOTS_PER_DAY);
    let to = seen.min(load_wh.len()).min(pv_wh.len());
    (from..to)
        .map(|j| pv_wh[j].saturating_sub(load_wh[j]))
        .fold(0u64, u64::saturating_add)
}

/// The feature vector of an observation: one block per time band, all zero
/// except the observation's band.
pub fn features(o: &Obs) -> [f64; N_FEATURES] {
    let band = BANDS.iter().rposition(|&h| o.hour >= h).unwrap_or(0);
    let mut f = [0.0; N_FEATURES];
    let soc = o.soc.clamp(0.0, 1.0);
    let b = band * PER_BAND;
    f[b] = 1.0;
    f[b + 1] = soc;
    f[b + 2] = soc * soc;
    f[b + 3] = (o.net_forecast_wh as f64 / 1000.0).clamp(-2.0, 2.0);
    // kWh per day over 5, clamped at 10 kWh
    f[b + 4] = (o.surplus_day_wh as f64 / 5000.0).min(2.0);
    f
}

/// A trained policy: weights and where they came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Format tag, [`FORMAT`].
    pub format: String,
    /// Inputs and actions; absent in the files before the day plan
    /// ([`Inputs::Bands`]).
    #[serde(default, skip_serializing_if = "Inputs::is_bands")]
    pub inputs: Inputs,
    /// [`Inputs::actions`] rows of `N_FEATURES` weights.
    pub weights: Vec<Vec<f64>>,
    /// How it was trained (command, configuration, metrics); not used to act.
    #[serde(default)]
    pub training: serde_json::Value,
}

/// The rule's score margin in [`Policy::rule`].
pub const RULE_MARGIN: f64 = 0.1;

/// The format tag of [`Policy`] files.
pub const FORMAT: &str = "aip-sim linear battery policy v2";

impl Policy {
    /// The rule as a policy: self-consumption in every band (by a margin of
    /// [`RULE_MARGIN`], small enough for training's perturbations to explore).
    pub fn rule() -> Policy {
        let mut weights = vec![vec![0.0; N_FEATURES]; N_ACTIONS];
        for b in 0..BANDS.len() {
            weights[0][b * PER_BAND] = RULE_MARGIN;
        }
        Policy {
            format: FORMAT.into(),
            inputs: Inputs::Bands,
            weights,
            training: serde_json::Value::Null,
        }
    }

    /// A hand-made reference, not trained: follow the day plan in every
    /// band (by a margin of [`RULE_MARGIN`] over self-consumption). The
    /// start of a plan policy's training ([`Start::Plan`]).
    pub fn plan_follower() -> Policy {
        let mut p = Policy::rule();
        p.inputs = Inputs::BandsPlan;
        let mut follow = vec![0.0; N_FEATURES];
        for b in 0..BANDS.len() {
            follow[b * PER_BAND] = 2.0 * RULE_MARGIN;
        }
        p.weights.push(follow);
        p
    }

    /// A hand-made reference, not trained: trickle-charge in the off-peak
    /// bands (22–06), self-consume otherwise. Training reports it next to
    /// the trained policy.
    pub fn night_trickle() -> Policy {
        let mut p = Policy::rule();
        for b in [0, 1, 7] {
            p.weights[2][b * PER_BAND] = 2.0 * RULE_MARGIN;
        }
        p
    }

    /// A hand-made reference for short PV days, not trained: trickle-charge
    /// in the off-peak bands (22–06); from 06 to 17 charge from a forecast
    /// surplus (self-consume) but hold the charge through a forecast deficit,
    /// keeping it for the 17–21 peak; self-consume from 17 to 22.
    pub fn peak_reserve() -> Policy {
        let mut p = Policy::night_trickle();
        for b in [2, 3, 4] {
            // hold scores 0.1 + net forecast (kWh): above self-consumption's
            // 0.1 when the slot's forecast is a deficit
            p.weights[1][b * PER_BAND] = RULE_MARGIN;
            p.weights[1][b * PER_BAND + 3] = 1.0;
        }
        p
    }

    /// The action index for an observation (best score; ties to the lowest index).
    pub fn act_index(&self, o: &Obs) -> usize {
        let f = features(o);
        let mut best = 0;
        let mut best_score = f64::NEG_INFINITY;
        for (a, w) in self.weights.iter().enumerate() {
            let s: f64 = w.iter().zip(&f).map(|(w, x)| w * x).sum();
            if s > best_score {
                best = a;
                best_score = s;
            }
        }
        best
    }

    /// The battery mode for an observation: the action's, or the plan's
    /// for [`FOLLOW_PLAN`].
    pub fn act(&self, o: &Obs) -> Mode {
        match ACTIONS.get(self.act_index(o)) {
            Some(&m) => m,
            None => o.plan.map_or(Mode::SelfConsume, |a| a.mode),
        }
    }

    /// The battery's (drawn, delivered) Wh for an observation, with the
    /// mode it stands for: the chosen mode's [`Battery::plan`] on the
    /// slot's forecast, or for [`FOLLOW_PLAN`] the plan's own flows
    /// ([`crate::plan::Advice::flows`], within the battery's power and
    /// charge).
    pub fn flows(&self, o: &Obs, b: &Battery, load_f: u64, pv_f: u64) -> (Mode, (u64, u64)) {
        match (ACTIONS.get(self.act_index(o)), o.plan) {
            (Some(&m), _) => (m, b.plan(m, load_f, pv_f)),
            (None, Some(a)) => (
                a.mode,
                (
                    a.flows.0.min(b.charge_room()),
                    a.flows.1.min(b.discharge_room()),
                ),
            ),
            (None, None) => (Mode::SelfConsume, b.plan(Mode::SelfConsume, load_f, pv_f)),
        }
    }

    /// Checks the format tag, the shape and that every weight is finite.
    pub fn validate(&self) -> Result<(), String> {
        if self.format != FORMAT {
            return Err(format!(
                "policy format {:?}, expected {FORMAT:?}",
                self.format
            ));
        }
        let rows = self.inputs.actions();
        if self.weights.len() != rows || self.weights.iter().any(|r| r.len() != N_FEATURES) {
            return Err(format!(
                "policy weights must be {rows} rows of {N_FEATURES}, got {} rows ({:?} wide)",
                self.weights.len(),
                self.weights.iter().map(Vec::len).collect::<Vec<_>>()
            ));
        }
        if self.weights.iter().flatten().any(|w| !w.is_finite()) {
            return Err("policy weights must be finite".into());
        }
        Ok(())
    }

    /// Where a policy file is: `path` itself when it exists or is absolute,
    /// otherwise the first parent of the current directory that holds the
    /// relative `path`; `path` unchanged when none does (loading it then
    /// reports the missing file).
    pub fn find(path: &Path) -> std::path::PathBuf {
        if path.is_absolute() || path.exists() {
            return path.to_path_buf();
        }
        std::env::current_dir()
            .ok()
            .and_then(|cwd| {
                cwd.ancestors()
                    .skip(1)
                    .map(|dir| dir.join(path))
                    .find(|p| p.is_file())
            })
            .unwrap_or_else(|| path.to_path_buf())
    }

    /// Reads and checks a policy file.
    pub fn load(path: &Path) -> Result<Policy, SimError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            SimError::Data(format!(
                "policy {}: {e} (train one with `aip-sim --train-policy {}`)",
                path.display(),
                path.display()
            ))
        })?;
        let p: Policy = serde_json::from_str(&text)
            .map_err(|e| SimError::Data(format!("policy {}: {e}", path.display())))?;
        p.validate()
            .map_err(|e| SimError::Data(format!("policy {}: {e}", path.display())))?;
        Ok(p)
    }

    fn flat(&self) -> Vec<f64> {
        self.weights.iter().flatten().copied().collect()
    }

    fn from_flat(v: &[f64], inputs: Inputs) -> Policy {
        Policy {
            format: FORMAT.into(),
            inputs,
            weights: v.chunks(N_FEATURES).map(<[f64]>::to_vec).collect(),
            training: serde_json::Value::Null,
        }
    }
}

/// The training objective's grid fee: battery charging from the grid above
/// `cap_wh` in a slot costs `uaip_per_kwh` on top of the tariff. The
/// battery's grid draw is the part of the slot's import the battery caused:
/// `min(drawn, import)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GridFee {
    /// Battery draw from the grid per slot (15 min) free of the fee, Wh.
    pub cap_wh: u64,
    /// Fee on the import above the cap, uaip per kWh.
    pub uaip_per_kwh: u64,
}

impl Default for GridFee {
    fn default() -> Self {
        // 0.64 kW of charging from the grid per household, 0.50 AIP/kWh above
        // it: more than the off-peak-to-peak margin (0.40 - 0.22 / 0.95), so
        // fast charging from the grid never pays
        GridFee {
            cap_wh: 160,
            uaip_per_kwh: 500_000,
        }
    }
}

/// What one episode cost a household, uaip.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EpisodeCost {
    /// Its grid bill (import at retail, export at feed-in) with the battery.
    pub bill: i128,
    /// The grid-only bill without a battery.
    pub baseline: i128,
    /// The import part of the grid-only bill (the savings rate's denominator).
    pub baseline_import: i128,
    /// The training grid fee.
    pub fee: i128,
}

/// Seasonal naive (same slot yesterday), the forecast the training episodes use.
fn naive(series: &[u64], idx: usize) -> u64 {
    series[idx.saturating_sub(SLOTS_PER_DAY)]
}

/// Where an episode runs: the price exports are valued at and the grid fee.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpisodeEnv {
    /// Exports are valued at this share of the way from the feed-in tariff
    /// to retail ([`Tariff::level`]; 0: the feed-in tariff).
    pub export_level: f64,
    /// The grid fee of the objective.
    pub fee: GridFee,
    /// The simulation's no-export rule at delivery
    /// ([`Battery::at_delivery`] with nothing sold): the battery delivers
    /// no more than the slot's real load, the rest stays stored.
    pub at_delivery: bool,
    /// With [`EpisodeEnv::at_delivery`]: the plan's firm offer
    /// ([`Battery::firm_offer`], as the simulation's households offer) counts
    /// as sold, so at delivery the battery covers it and the export leaves
    /// (valued at [`EpisodeEnv::export_level`], as every export): a plan that
    /// discharges beyond the forecast load sells that energy, as it does in
    /// the simulation's market, instead of keeping it.
    pub sell_offers: bool,
}

/// Runs `policy` for household `h` over profile slots `from..from + slots`
/// (needs a day of history before `from`), battery starting half full:
/// plan on seasonal-naive forecasts, execute the plan, bill at the tariff
/// (exports at `env.export_level`), as the simulation's engine does for a
/// household without trades and without firming (with firming on, the
/// engine's [`Battery::at_delivery`] keeps a plan's battery energy from the
/// grid; training with it gave a worse held-out policy, README). The grid-only baseline bills exports
/// at the feed-in tariff, as the simulation's does.
pub fn episode(
    policy: &Policy,
    h: &Household,
    from: usize,
    slots: usize,
    battery_kwh: f64,
    tariff: &Tariff,
    env: &EpisodeEnv,
) -> EpisodeCost {
    episode_planned(policy, h, from, slots, battery_kwh, tariff, env, None)
}

/// The day plans of an episode ([`crate::plan`]), one per day it touches:
/// each solved at the day's first decision (its midnight, or `from`) on
/// seasonal-naive forecasts of what is metered by then (the slot before
/// the decision is not metered yet, as in the simulation).
pub fn episode_plans(
    h: &Household,
    from: usize,
    slots: usize,
    battery_kwh: f64,
    tariff: &Tariff,
    fee: &GridFee,
) -> Vec<crate::plan::DayPlan> {
    let b = Battery::new(battery_kwh);
    let first = from / SLOTS_PER_DAY;
    let last = (from + slots).div_ceil(SLOTS_PER_DAY);
    (first..last)
        .map(|d| {
            let day_idx = d * SLOTS_PER_DAY;
            let known = day_idx.max(from).saturating_sub(1);
            let f = crate::plan::naive_horizon(&h.load_wh, &h.pv_wh, day_idx, known, None);
            crate::plan::DayPlan::solve(&f, &b, tariff, fee)
        })
        .collect()
}

/// [`episode`] with the day plans given ([`episode_plans`] of the same
/// episode, so training solves them once for every perturbation; `None`:
/// solved here when the policy follows a plan).
#[allow(clippy::too_many_arguments)]
pub fn episode_planned(
    policy: &Policy,
    h: &Household,
    from: usize,
    slots: usize,
    battery_kwh: f64,
    tariff: &Tariff,
    env: &EpisodeEnv,
    plans: Option<&[crate::plan::DayPlan]>,
) -> EpisodeCost {
    episode_traced(
        policy,
        h,
        from,
        slots,
        &Battery::new(battery_kwh),
        tariff,
        env,
        plans,
        |_, _, _, _| {},
    )
}

/// [`episode_planned`] from a given battery state, reporting every slot to
/// `on_slot(profile slot, drawn Wh, delivered Wh, state of charge after, Wh)`.
#[allow(clippy::too_many_arguments)]
pub fn episode_traced(
    policy: &Policy,
    h: &Household,
    from: usize,
    slots: usize,
    battery: &Battery,
    tariff: &Tariff,
    env: &EpisodeEnv,
    plans: Option<&[crate::plan::DayPlan]>,
    mut on_slot: impl FnMut(usize, u64, u64, u64),
) -> EpisodeCost {
    let fee = &env.fee;
    let solved;
    let plans = match (policy.inputs, plans) {
        (Inputs::Bands, _) => &[][..],
        (Inputs::BandsPlan, Some(p)) => p,
        (Inputs::BandsPlan, None) => {
            solved = episode_plans(
                h,
                from,
                slots,
                battery.capacity_wh as f64 / 1000.0,
                tariff,
                fee,
            );
            &solved[..]
        }
    };
    let mut b = *battery;
    let mut c = EpisodeCost::default();
    for idx in from..from + slots {
        let hour = ((idx % SLOTS_PER_DAY) / 4) as u32;
        let (load_f, pv_f) = (naive(&h.load_wh, idx), naive(&h.pv_wh, idx));
        let plan = plans
            .get(idx / SLOTS_PER_DAY - from / SLOTS_PER_DAY)
            .map(|p| p.advice(idx % SLOTS_PER_DAY, b.soc_wh, load_f, pv_f));
        let obs = Obs {
            hour,
            soc: b.soc_fraction(),
            net_forecast_wh: load_f as i64 - pv_f as i64,
            // as in the simulation: the slot before this one is not metered yet
            surplus_day_wh: surplus_last_day(&h.load_wh, &h.pv_wh, idx.saturating_sub(1)),
            plan,
        };
        let (_, mut plan) = policy.flows(&obs, &b, load_f, pv_f);
        if env.at_delivery {
            let sold = if env.sell_offers {
                b.firm_offer(plan, load_f, pv_f)
            } else {
                0
            };
            plan = b.at_delivery(plan, h.load_wh[idx], h.pv_wh[idx], sold);
        }
        let (drawn, delivered) = b.execute(plan.0, plan.1);
        on_slot(idx, drawn, delivered, b.soc_wh);
        let (load, pv) = (i128::from(h.load_wh[idx]), i128::from(h.pv_wh[idx]));
        let net = load + i128::from(drawn) - pv - i128::from(delivered);
        let retail = i128::from(tariff.retail(hour));
        let feed_in = i128::from(tariff.feed_in);
        let export = i128::from(tariff.level(hour, env.export_level));
        // money rounds toward zero per slot, as in the engine
        let bill = |e: i128, out: i128| if e > 0 { e * retail } else { e * out } / 1000;
        c.bill += bill(net, export);
        let raw = load - pv;
        c.baseline += bill(raw, feed_in);
        c.baseline_import += bill(raw, feed_in).max(0);
        let over = i128::from(drawn).min(net) - i128::from(fee.cap_wh);
        if over > 0 {
            c.fee += over * i128::from(fee.uaip_per_kwh) / 1000;
        }
    }
    c
}

/// Training configuration.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TrainConfig {
    /// Seed of the training RNG (perturbations and episode draws); the
    /// validation set's RNG is derived from it.
    pub seed: u64,
    /// ES iterations.
    pub iterations: usize,
    /// Antithetic pairs per iteration (population = 2 × pairs).
    pub pairs: usize,
    /// Episodes per evaluation (the same for every member of an iteration).
    pub episodes: usize,
    /// Days per episode.
    pub episode_days: usize,
    /// Perturbation scale.
    pub sigma: f64,
    /// Adam step size.
    pub step: f64,
    /// Capacity of the episodes' home battery, kWh.
    pub battery_kwh: f64,
    /// The DSO's grid fee on battery charging from the grid, charged in the objective.
    pub fee: GridFee,
    /// Exports valued at this share of the way from feed-in to retail
    /// ([`EpisodeEnv::export_level`]): 0, the feed-in tariff. (0.4, the
    /// level households offer at, was tried: the held-out gain fell.)
    pub export_level: f64,
    /// The weights training starts from.
    pub start: Start,
    /// Episodes apply the no-export rule at delivery
    /// ([`EpisodeEnv::at_delivery`]), as the simulation does.
    pub at_delivery: bool,
    /// Episodes sell the plan's firm offer ([`EpisodeEnv::sell_offers`]).
    pub sell_offers: bool,
    /// The demand fee on the episodes' synchronised grid import
    /// ([`demand_fee`]), uaip per kW per 7 days; 0: none.
    pub demand_uaip_per_kw: u64,
    /// Share of the episodes drawn from the training range's first
    /// `winter_days` days (its short-PV-day part) instead of the whole range;
    /// 0: uniform over the range.
    pub winter_share: f64,
    /// Days at the start of the range that [`TrainConfig::winter_share`]
    /// draws from.
    pub winter_days: usize,
    /// Keep the best weights on a fixed validation set of episodes (drawn
    /// once from the training distribution, its own seeded RNG), checked
    /// every this many iterations; 0: return the last weights.
    pub select_every: usize,
    /// Validation episodes of [`TrainConfig::select_every`] (7 days each).
    pub validation_episodes: usize,
}

/// Where training starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Start {
    /// [`Policy::rule`]: self-consumption everywhere.
    Rule,
    /// [`Policy::peak_reserve`]: night trickle, the charge kept for the peak.
    PeakReserve,
    /// [`Policy::plan_follower`]: follow the day plan everywhere (a
    /// [`Inputs::BandsPlan`] policy).
    Plan,
}

impl Start {
    /// The policy of this starting point.
    pub fn policy(self) -> Policy {
        match self {
            Start::Rule => Policy::rule(),
            Start::PeakReserve => Policy::peak_reserve(),
            Start::Plan => Policy::plan_follower(),
        }
    }
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            seed: 1,
            iterations: 300,
            pairs: 16,
            episodes: 48,
            episode_days: 3,
            sigma: 0.3,
            step: 0.05,
            battery_kwh: 5.0,
            fee: GridFee::default(),
            export_level: 0.0,
            start: Start::Rule,
            at_delivery: false,
            sell_offers: false,
            demand_uaip_per_kw: 0,
            winter_share: 0.0,
            winter_days: 84,
            select_every: 0,
            validation_episodes: 256,
        }
    }
}

impl TrainConfig {
    /// The episodes' environment of this configuration.
    pub fn env(&self) -> EpisodeEnv {
        EpisodeEnv {
            export_level: self.export_level,
            fee: self.fee,
            at_delivery: self.at_delivery,
            sell_offers: self.sell_offers,
        }
    }
}

/// Training progress, every 10 iterations and at the end.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainPoint {
    /// Iterations done, counted from 1.
    pub iteration: usize,
    /// Objective of the current weights on the iteration's episodes:
    /// (baseline − bill − fee) / baseline import.
    pub objective: f64,
}

/// The objective of a set of episode costs: saving net of the grid fee, as a
/// fraction of the grid-only import bill.
pub fn objective(costs: &[EpisodeCost]) -> f64 {
    let (mut gain, mut imp) = (0i128, 0i128);
    for c in costs {
        gain += c.baseline - c.bill - c.fee;
        imp += c.baseline_import;
    }
    if imp == 0 {
        0.0
    } else {
        gain as f64 / imp as f64
    }
}

/// Rank shaping: each return's rank scaled to [-0.5, 0.5]; tied returns
/// share their mean rank (so equal returns push the weights nowhere).
pub fn centred_ranks(returns: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..returns.len()).collect();
    order.sort_by(|&a, &b| returns[a].total_cmp(&returns[b]));
    let mut rank = vec![0.0; returns.len()];
    let denom = (returns.len().max(2) - 1) as f64;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && returns[order[j + 1]] == returns[order[i]] {
            j += 1;
        }
        let r = (i + j) as f64 / 2.0 / denom - 0.5;
        for &k in &order[i..=j] {
            rank[k] = r;
        }
        i = j + 1;
    }
    rank
}

fn gaussian(rng: &mut ChaCha8Rng) -> f64 {
    // Box–Muller
    let u1: f64 = rng.gen_range(f64::EPSILON..1.0);
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// The training objective's demand fee on the episodes' synchronised grid
/// import: `draws` holds, per episode, the household's grid import of every
/// slot (Wh; the episodes start at midnight and are aligned slot by slot);
/// the community's peak is the largest mean import over the episodes in one
/// slot (kW: Wh per 15-minute slot × 4 / 1000), and every episode pays
/// `uaip_per_kw` per kW of it per 7 days of `slots`. A policy whose
/// batteries all charge in the same slots, on top of the load there, pays
/// for the peak they make together; charging in the night's valley, below
/// the evening's peak, costs nothing more. uaip, rounded down.
pub fn demand_fee(draws: &[Vec<u64>], uaip_per_kw: u64, slots: usize) -> i128 {
    if draws.is_empty() || uaip_per_kw == 0 {
        return 0;
    }
    let peak_wh_sum = (0..slots)
        .map(|t| {
            draws
                .iter()
                .map(|d| u128::from(d.get(t).copied().unwrap_or(0)))
                .sum::<u128>()
        })
        .max()
        .unwrap_or(0);
    // per episode: mean peak (sum / n) in kW (× 4 / 1000) × rate × slots / week;
    // summed over the n episodes the mean's division cancels
    let week = (7 * SLOTS_PER_DAY) as u128;
    let fee = peak_wh_sum * 4 * u128::from(uaip_per_kw) * slots as u128 / (1000 * week);
    i128::try_from(fee).unwrap_or(i128::MAX)
}

/// Offset of the validation set's seed from the training seed.
pub const VALIDATION_SEED: u64 = 0x005e_ed0f_7a11;

/// Trains a policy on `households`, episodes drawn from profile slots
/// `range` (a day of history must precede it), starting from the rule.
pub fn train(
    households: &[Household],
    range: std::ops::Range<usize>,
    cfg: &TrainConfig,
    tariff: &Tariff,
) -> Result<(Policy, Vec<TrainPoint>), SimError> {
    let len = cfg.episode_days * SLOTS_PER_DAY;
    if households.is_empty() || range.start < SLOTS_PER_DAY || range.len() < len {
        return Err(SimError::Scenario(format!(
            "training needs households and at least {len} slots after a day of history, got {} households, slots {range:?}",
            households.len()
        )));
    }
    if households
        .iter()
        .any(|h| h.load_wh.len() < range.end || h.pv_wh.len() < range.end)
    {
        return Err(SimError::Scenario(format!(
            "a household's profile ends before slot {}",
            range.end
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let start = cfg.start.policy();
    let inputs = start.inputs;
    let mut theta = start.flat();
    let n = theta.len();
    let (mut m, mut v) = (vec![0.0; n], vec![0.0; n]);
    let (b1, b2) = (0.9, 0.999);
    let mut log = Vec::new();
    let env = cfg.env();
    // the episodes' day plans, solved once for every perturbation
    let plans_of = |eps: &[(usize, usize)], slots: usize| -> Vec<Vec<crate::plan::DayPlan>> {
        match inputs {
            Inputs::Bands => Vec::new(),
            Inputs::BandsPlan => eps
                .iter()
                .map(|&(h, from)| {
                    episode_plans(
                        &households[h],
                        from,
                        slots,
                        cfg.battery_kwh,
                        tariff,
                        &env.fee,
                    )
                })
                .collect(),
        }
    };
    // the objective of weights `w` on episodes `eps` of `slots` slots, net
    // of the demand fee on the episodes' synchronised grid import
    let score = |w: &[f64],
                 eps: &[(usize, usize)],
                 slots: usize,
                 plans: &[Vec<crate::plan::DayPlan>]| {
        let p = Policy::from_flat(w, inputs);
        let battery = Battery::new(cfg.battery_kwh);
        let mut draws = Vec::with_capacity(eps.len());
        let costs: Vec<EpisodeCost> = eps
            .iter()
            .enumerate()
            .map(|(k, &(h, from))| {
                let hh = &households[h];
                let mut d = Vec::with_capacity(slots);
                let c = episode_traced(
                    &p,
                    hh,
                    from,
                    slots,
                    &battery,
                    tariff,
                    &env,
                    plans.get(k).map(Vec::as_slice),
                    |idx, drawn, out, _| {
                        if cfg.demand_uaip_per_kw > 0 {
                            d.push((hh.load_wh[idx] + drawn).saturating_sub(hh.pv_wh[idx] + out));
                        }
                    },
                );
                draws.push(d);
                c
            })
            .collect();
        let imp: i128 = costs.iter().map(|c| c.baseline_import).sum();
        let demand = demand_fee(&draws, cfg.demand_uaip_per_kw, slots);
        objective(&costs)
            - if imp == 0 {
                0.0
            } else {
                demand as f64 / imp as f64
            }
    };
    let eval = |w: &[f64], eps: &[(usize, usize)], plans: &[Vec<crate::plan::DayPlan>]| {
        score(w, eps, len, plans)
    };
    // episode starts: uniform over the range, or with `winter_share` from
    // its first `winter_days` days (no extra draw when the share is 0, so
    // the uniform runs keep their random sequence)
    let winter_days = (cfg.winter_days * SLOTS_PER_DAY)
        .min(range.len())
        .saturating_sub(len)
        / SLOTS_PER_DAY
        + 1;
    let draw = |rng: &mut ChaCha8Rng, episode_days: usize| {
        let h = rng.gen_range(0..households.len());
        let last = (range.len() - episode_days * SLOTS_PER_DAY) / SLOTS_PER_DAY + 1;
        let winter = cfg.winter_share > 0.0 && rng.gen_bool(cfg.winter_share.clamp(0.0, 1.0));
        let pool = if winter { winter_days.min(last) } else { last };
        (h, range.start + rng.gen_range(0..pool) * SLOTS_PER_DAY)
    };
    let validation: Vec<(usize, usize)> =
        if cfg.select_every > 0 && range.len() >= 7 * SLOTS_PER_DAY {
            let mut vrng = ChaCha8Rng::seed_from_u64(cfg.seed.wrapping_add(VALIDATION_SEED));
            (0..cfg.validation_episodes)
                .map(|_| draw(&mut vrng, 7))
                .collect()
        } else {
            Vec::new()
        };
    let validation_plans = plans_of(&validation, 7 * SLOTS_PER_DAY);
    let validate = |w: &[f64]| score(w, &validation, 7 * SLOTS_PER_DAY, &validation_plans);
    let mut best = (f64::NEG_INFINITY, theta.clone());
    for it in 0..cfg.iterations {
        let eps: Vec<(usize, usize)> = (0..cfg.episodes)
            .map(|_| draw(&mut rng, cfg.episode_days))
            .collect();
        let plans = plans_of(&eps, len);
        let noise: Vec<Vec<f64>> = (0..cfg.pairs)
            .map(|_| (0..n).map(|_| gaussian(&mut rng)).collect())
            .collect();
        let mut returns = Vec::with_capacity(2 * cfg.pairs);
        for z in &noise {
            for sign in [1.0, -1.0] {
                let w: Vec<f64> = theta
                    .iter()
                    .zip(z)
                    .map(|(t, z)| t + sign * cfg.sigma * z)
                    .collect();
                returns.push(eval(&w, &eps, &plans));
            }
        }
        let rank = centred_ranks(&returns);
        let mut g = vec![0.0; n];
        for (k, z) in noise.iter().enumerate() {
            let d = rank[2 * k] - rank[2 * k + 1];
            for (gi, zi) in g.iter_mut().zip(z) {
                *gi += d * zi / (2.0 * cfg.pairs as f64 * cfg.sigma);
            }
        }
        let t = (it + 1) as f64;
        for i in 0..n {
            m[i] = b1 * m[i] + (1.0 - b1) * g[i];
            v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
            let (mh, vh) = (m[i] / (1.0 - b1.powf(t)), v[i] / (1.0 - b2.powf(t)));
            theta[i] += cfg.step * mh / (vh.sqrt() + 1e-8);
        }
        if (it + 1) % 10 == 0 || it + 1 == cfg.iterations {
            log.push(TrainPoint {
                iteration: it + 1,
                objective: eval(&theta, &eps, &plans),
            });
        }
        if !validation.is_empty() && ((it + 1) % cfg.select_every == 0 || it + 1 == cfg.iterations)
        {
            let v = validate(&theta);
            if v > best.0 {
                best = (v, theta.clone());
            }
        }
    }
    if !validation.is_empty() {
        theta = best.1;
    }
    Ok((Policy::from_flat(&theta, inputs), log))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    fn obs(hour: u32, soc: f64, net: i64) -> Obs {
        Obs {
            hour,
            soc,
            net_forecast_wh: net,
            surplus_day_wh: 0,
            plan: None,
        }
    }

    /// The episodes' environment with the default fee, exports at the
    /// feed-in tariff.
    fn env(_: &Scenario) -> EpisodeEnv {
        EpisodeEnv {
            export_level: 0.0,
            fee: GridFee::default(),
            at_delivery: false,
            sell_offers: false,
        }
    }

    #[test]
    fn features_fill_only_the_band_of_the_hour() {
        let f = features(&Obs {
            surplus_day_wh: 2_500,
            ..obs(18, 0.5, 1500)
        });
        // 17–21 is band 5
        assert_eq!(&f[25..30], &[1.0, 0.5, 0.25, 1.5, 0.5]);
        assert_eq!(f.iter().filter(|&&x| x != 0.0).count(), 5);
        let f = features(&Obs {
            surplus_day_wh: 40_000,
            ..obs(23, 2.0, -9000)
        });
        assert_eq!(&f[35..40], &[1.0, 1.0, 1.0, -2.0, 2.0], "clamped");
        assert_eq!(features(&obs(0, 0.0, 0))[0], 1.0);
    }

    #[test]
    fn the_rule_policy_self_consumes_everywhere_and_scores_pick_the_best_action() {
        let p = Policy::rule();
        for hour in 0..24 {
            assert_eq!(p.act(&obs(hour, 0.3, 100)), Mode::SelfConsume);
        }
        let mut q = Policy::rule();
        // band 0 (00–03): trickle when the battery is empty, not when full
        q.weights[2][0] = 0.15;
        q.weights[2][1] = -0.1;
        assert_eq!(q.act(&obs(1, 0.0, 0)), Mode::Trickle);
        assert_eq!(q.act(&obs(1, 1.0, 0)), Mode::SelfConsume);
        assert_eq!(q.act(&obs(12, 0.0, 0)), Mode::SelfConsume);
    }

    #[test]
    fn the_rule_policy_in_an_episode_bills_like_the_grid_with_a_self_consuming_battery() {
        let s = Scenario::fixture(2, 2);
        let h = &s.households[1]; // no PV: the battery only discharges
        let t = Tariff::default();
        let c = episode(&Policy::rule(), h, 96, 96, 5.0, &t, &env(&s));
        let c0 = episode(&Policy::rule(), h, 96, 96, 0.0, &t, &env(&s));
        assert_eq!(c0.bill, c0.baseline, "no battery: the grid-only bill");
        assert_eq!(c.baseline, c0.baseline);
        // the half-full battery (2,500 Wh) covered load at retail prices
        assert!(c.bill < c.baseline);
        assert!(c.baseline - c.bill <= 2_500 * 400_000 / 1000);
        assert!(c.baseline_import > 0);
    }

    #[test]
    fn the_grid_fee_charges_battery_draw_from_the_grid_above_the_cap() {
        let s = Scenario::fixture(1, 1);
        let mut h = s.households[0].clone();
        h.load_wh = vec![300; 192];
        h.pv_wh = vec![0; 192];
        let t = Tariff::default();
        let fee = env(&s);
        let c = episode(&Policy::rule(), &h, 96, 96, 5.0, &t, &fee);
        assert_eq!(c.fee, 0, "household load alone pays no fee");
        let mut charge = Policy::rule();
        charge.weights[3] = vec![10.0; N_FEATURES]; // always full power
        let cc = episode(&charge, &h, 96, 1, 5.0, &t, &fee);
        // 625 Wh drawn from the grid, 465 over the cap, at 0.5 AIP/kWh
        assert_eq!(cc.fee, 465 * 500_000 / 1000);
        let mut trickle = Policy::rule();
        trickle.weights[2] = vec![10.0; N_FEATURES]; // always a quarter power
        assert_eq!(episode(&trickle, &h, 96, 96, 5.0, &t, &fee).fee, 0);
        // PV surplus charging the battery draws nothing from the grid
        h.pv_wh = vec![1_000; 192];
        assert_eq!(episode(&charge, &h, 96, 96, 5.0, &t, &fee).fee, 0);
    }

    #[test]
    fn exports_are_billed_at_the_export_level_and_the_baseline_at_the_feed_in_tariff() {
        let s = Scenario::fixture(1, 1);
        let mut h = s.households[0].clone();
        // 1,000 Wh of PV over 200 Wh of load in every slot, no battery
        h.load_wh = vec![200; 192];
        h.pv_wh = vec![1_200; 192];
        let t = Tariff::default();
        let at = |level| {
            let e = EpisodeEnv {
                export_level: level,
                ..env(&s)
            };
            episode(&Policy::rule(), &h, 96, 4, 0.0, &t, &e)
        };
        // hour 0: feed-in 0.08 AIP/kWh, retail 0.22: level 0.4 is 0.136
        assert_eq!(at(0.0).bill, -4 * 80_000);
        assert_eq!(at(0.4).bill, -4 * 136_000);
        assert_eq!(at(0.4).baseline, -4 * 80_000, "grid-only: feed-in");
        assert_eq!(at(0.4).baseline_import, 0);
    }

    #[test]
    fn training_is_deterministic_and_depends_on_the_seed() {
        let s = Scenario::fixture(4, 6);
        let t = Tariff::default();
        let cfg = TrainConfig {
            iterations: 60,
            pairs: 8,
            episodes: 8,
            episode_days: 2,
            ..TrainConfig::default()
        };
        let range = 96..s.history_slots + s.sim_slots;
        let (a, log_a) = train(&s.households, range.clone(), &cfg, &t).unwrap();
        let (b, log_b) = train(&s.households, range.clone(), &cfg, &t).unwrap();
        assert_eq!(a, b, "same seed, same weights");
        assert_eq!(log_a, log_b);
        assert_ne!(a, Policy::rule(), "training moved the weights");
        let (c, _) = train(
            &s.households,
            range.clone(),
            &TrainConfig { seed: 2, ..cfg },
            &t,
        )
        .unwrap();
        assert_ne!(a, c, "another seed, other weights");
        // not asserted: that training beats the rule here (it did not on the
        // fixture; see the README's "Trained policy" status)
        assert!(log_a.iter().all(|p| p.objective.is_finite()));
    }

    #[test]
    fn the_no_export_rule_in_an_episode_keeps_the_battery_energy_the_load_does_not_take() {
        let s = Scenario::fixture(1, 1);
        let mut h = s.households[0].clone();
        h.load_wh = vec![100; 192];
        h.pv_wh = vec![0; 192];
        let t = Tariff::default();
        let mut discharge = Policy::rule();
        discharge.weights[4] = vec![10.0; N_FEATURES]; // always full power
        let free = episode(&discharge, &h, 96, 1, 5.0, &t, &env(&s));
        // 625 Wh delivered against 100 Wh of load: 525 Wh to the grid at feed-in
        assert_eq!(free.bill, -525 * 80_000 / 1000);
        let kept = EpisodeEnv {
            at_delivery: true,
            ..env(&s)
        };
        assert_eq!(episode(&discharge, &h, 96, 1, 5.0, &t, &kept).bill, 0);
        // selling the plan's firm offer: 525 Wh planned beyond the forecast
        // load (yesterday's 100), 200 kept back for a load miss: 325 offered,
        // sold and delivered (at feed-in), the other 200 stay stored
        let sell = EpisodeEnv {
            sell_offers: true,
            ..kept
        };
        let mut flows = Vec::new();
        let sold = episode_traced(
            &discharge,
            &h,
            96,
            1,
            &Battery::new(5.0),
            &t,
            &sell,
            None,
            |_, d, x, soc| flows.push((d, x, soc)),
        );
        assert_eq!(sold.bill, -325 * 80_000 / 1000);
        assert_eq!(flows, vec![(0, 425, 2_500 - 425)]);
        // over a day the kept energy covers later load instead
        let day = episode(&discharge, &h, 96, 96, 5.0, &t, &kept);
        assert!(day.bill > 0 && day.bill < day.baseline, "{day:?}");
    }

    #[test]
    fn training_with_winter_episodes_and_best_of_validation_is_deterministic_and_differs() {
        // 9 days: room for the 7-day validation episodes
        let s = Scenario::fixture(4, 9);
        let t = Tariff::default();
        let base = TrainConfig {
            iterations: 30,
            pairs: 4,
            episodes: 4,
            episode_days: 2,
            ..TrainConfig::default()
        };
        let cfg = TrainConfig {
            winter_share: 0.5,
            winter_days: 2,
            select_every: 10,
            validation_episodes: 8,
            ..base
        };
        let range = 96..s.history_slots + s.sim_slots;
        let (a, _) = train(&s.households, range.clone(), &cfg, &t).unwrap();
        let (b, _) = train(&s.households, range.clone(), &cfg, &t).unwrap();
        assert_eq!(a, b, "same configuration, same weights");
        let (c, _) = train(&s.households, range.clone(), &base, &t).unwrap();
        assert_ne!(a, c, "the options change the training");
    }

    #[test]
    fn the_surplus_of_the_last_day_sums_pv_above_load_before_the_slot_seen() {
        let load = vec![100u64; 200];
        let mut pv = vec![0u64; 200];
        pv[150] = 400; // 300 over load
        pv[160] = 50; // under load: no surplus
        pv[199] = 1_000; // not metered yet at seen = 199
        assert_eq!(surplus_last_day(&load, &pv, 199), 300);
        // the window is the 96 slots before `seen`: 150 is out at 247, 199 in
        assert_eq!(surplus_last_day(&load, &pv, 150 + 96 + 1), 900);
        assert_eq!(surplus_last_day(&load, &pv, 200), 1_200);
        assert_eq!(surplus_last_day(&load, &pv, 0), 0);
        assert_eq!(
            surplus_last_day(&load, &pv, 10_000),
            0,
            "past the data: nothing"
        );
    }

    #[test]
    fn the_demand_fee_charges_the_largest_mean_draw_of_one_slot() {
        let week = 7 * SLOTS_PER_DAY;
        // two episodes importing 160 Wh in the same slot: a mean of 160 Wh a
        // slot, 0.64 kW, at 1 AIP per kW-week, for each of the two
        let together = vec![vec![0, 160, 0], vec![0, 160, 0]];
        assert_eq!(demand_fee(&together, 1_000_000, week), 2 * 640_000);
        // the same energy in two slots: half the peak, half the fee
        let spread = vec![vec![160, 0, 0], vec![0, 160, 0]];
        assert_eq!(demand_fee(&spread, 1_000_000, week), 2 * 320_000);
        // a 1-day episode pays a seventh
        assert_eq!(
            demand_fee(&together, 1_000_000, SLOTS_PER_DAY),
            2 * 640_000 / 7
        );
        assert_eq!(demand_fee(&together, 0, week), 0);
        assert_eq!(demand_fee(&[], 1_000_000, week), 0);
    }

    #[test]
    fn ranks_are_centred_and_ties_share_them() {
        assert_eq!(centred_ranks(&[3.0, 1.0, 2.0]), vec![0.5, -0.5, 0.0]);
        assert_eq!(centred_ranks(&[1.0, 1.0, 1.0, 1.0]), vec![0.0; 4]);
        assert_eq!(centred_ranks(&[5.0, 1.0, 5.0]), vec![0.25, -0.5, 0.25]);
    }

    #[test]
    fn training_refuses_a_window_too_short() {
        let s = Scenario::fixture(1, 1);
        let e = train(
            &s.households,
            96..150,
            &TrainConfig::default(),
            &Tariff::default(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid scenario: training needs households and at least 288 slots after a day of history, got 1 households, slots 96..150"
        );
    }

    /// A file in a fresh temporary folder, removed with it.
    struct TempFile(std::path::PathBuf);

    impl TempFile {
        fn new(tag: &str, text: &str) -> TempFile {
            let dir = std::env::temp_dir().join(format!("aip-policy-{tag}-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join("policy.json");
            std::fs::write(&path, text).unwrap();
            TempFile(path)
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            if let Some(dir) = self.0.parent() {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }

    #[test]
    fn a_policy_file_round_trips() {
        let mut p = Policy::rule();
        p.weights[1][3] = -0.25;
        let f = TempFile::new("ok", &serde_json::to_string(&p).unwrap());
        assert_eq!(Policy::load(&f.0).unwrap(), p);
    }

    #[test]
    fn a_missing_policy_file_is_refused_naming_the_file_and_how_to_train_one() {
        let path =
            std::env::temp_dir().join(format!("aip-policy-none-{}.json", std::process::id()));
        let e = Policy::load(&path).unwrap_err().to_string();
        let shown = path.display();
        assert!(e.starts_with(&format!("data: policy {shown}: ")), "{e}");
        assert!(
            e.ends_with(&format!(
                "(train one with `aip-sim --train-policy {shown}`)"
            )),
            "{e}"
        );
    }

    #[test]
    fn a_policy_of_another_format_version_is_refused_naming_the_file() {
        let mut p = Policy::rule();
        p.format = "aip-sim linear battery policy v1".into();
        let f = TempFile::new("v1", &serde_json::to_string(&p).unwrap());
        assert_eq!(
            Policy::load(&f.0).unwrap_err().to_string(),
            format!(
                "data: policy {}: policy format \"aip-sim linear battery policy v1\", expected \"aip-sim linear battery policy v2\"",
                f.0.display()
            )
        );
    }

    #[test]
    fn a_policy_with_the_wrong_feature_count_or_action_count_is_refused_naming_the_file() {
        // the v1 width: 4 features a band instead of 5
        let mut p = Policy::rule();
        for row in &mut p.weights {
            row.truncate(32);
        }
        let f = TempFile::new("width", &serde_json::to_string(&p).unwrap());
        assert_eq!(
            Policy::load(&f.0).unwrap_err().to_string(),
            format!(
                "data: policy {}: policy weights must be 5 rows of 40, got 5 rows ([32, 32, 32, 32, 32] wide)",
                f.0.display()
            )
        );
        let mut p = Policy::rule();
        p.weights.pop();
        let f = TempFile::new("rows", &serde_json::to_string(&p).unwrap());
        assert_eq!(
            Policy::load(&f.0).unwrap_err().to_string(),
            format!(
                "data: policy {}: policy weights must be 5 rows of 40, got 4 rows ([40, 40, 40, 40] wide)",
                f.0.display()
            )
        );
    }

    #[test]
    fn a_plan_policy_takes_the_plans_mode_when_following_scores_best() {
        let p = Policy::plan_follower();
        assert_eq!(p.inputs, Inputs::BandsPlan);
        assert_eq!(p.weights.len(), N_ACTIONS + 1);
        p.validate().unwrap();
        let advice = |mode| crate::plan::Advice {
            mode,
            target_soc_wh: 1_000,
            flows: (200, 0),
        };
        for mode in [Mode::Hold, Mode::Trickle, Mode::Charge, Mode::SelfConsume] {
            let o = Obs {
                plan: Some(advice(mode)),
                ..obs(3, 0.2, 100)
            };
            assert_eq!(p.act_index(&o), FOLLOW_PLAN);
            assert_eq!(p.act(&o), mode);
            // following executes the plan's flows, within the battery's room
            let b = Battery::new(5.0);
            assert_eq!(p.flows(&o, &b, 100, 0), (mode, (200, 0)));
            let full = Battery { soc_wh: 4_900, ..b };
            assert_eq!(p.flows(&o, &full, 100, 0), (mode, (106, 0)));
        }
        // another action: its mode's plan on the forecast
        let b = Battery::new(5.0);
        let o = obs(3, 0.5, 300);
        assert_eq!(
            Policy::rule().flows(&o, &b, 300, 0),
            (Mode::SelfConsume, (0, 300))
        );
        // no plan: following it is self-consumption
        assert_eq!(p.act(&obs(3, 0.2, 100)), Mode::SelfConsume);
        // a band where the policy's own action scores above following
        let mut q = Policy::plan_follower();
        q.weights[1][0] = 1.0; // hold in band 0 (00–03)
        let o = Obs {
            plan: Some(advice(Mode::Trickle)),
            ..obs(1, 0.2, 100)
        };
        assert_eq!(q.act(&o), Mode::Hold);
        assert_eq!(q.act(&Obs { hour: 4, ..o }), Mode::Trickle);
        // a policy without the plan's action ignores the advice
        assert_eq!(Policy::rule().act(&o), Mode::SelfConsume);
    }

    #[test]
    fn a_policy_file_without_inputs_is_a_bands_policy_and_is_written_without_them() {
        let committed = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/policy.json"),
        )
        .unwrap();
        assert!(!committed.contains("\"inputs\""));
        let p: Policy = serde_json::from_str(&committed).unwrap();
        assert_eq!(p.inputs, Inputs::Bands);
        p.validate().unwrap();
        let again = serde_json::to_value(&p).unwrap();
        assert!(again.get("inputs").is_none(), "{again}");
        let plan = serde_json::to_value(Policy::plan_follower()).unwrap();
        assert_eq!(plan["inputs"], "bands-plan");
    }

    #[test]
    fn a_plan_policy_with_the_rows_of_a_bands_policy_is_refused_naming_the_file() {
        let mut p = Policy::plan_follower();
        p.weights.pop();
        let f = TempFile::new("planrows", &serde_json::to_string(&p).unwrap());
        assert_eq!(
            Policy::load(&f.0).unwrap_err().to_string(),
            format!(
                "data: policy {}: policy weights must be 6 rows of 40, got 5 rows ([40, 40, 40, 40, 40] wide)",
                f.0.display()
            )
        );
        let f = TempFile::new("inputs", "{\"format\": \"aip-sim linear battery policy v2\", \"inputs\": \"plan-only\", \"weights\": []}");
        let e = Policy::load(&f.0).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!(
                "data: policy {}: unknown variant `plan-only`, expected `bands` or `bands-plan`",
                f.0.display()
            )),
            "{e}"
        );
    }

    #[test]
    fn an_episode_of_a_plan_policy_solves_its_plans_or_takes_them_given() {
        let s = Scenario::fixture(2, 4);
        let h = &s.households[0];
        let t = Tariff::default();
        let e = env(&s);
        let p = Policy::plan_follower();
        let plans = episode_plans(h, 96, 2 * 96, 5.0, &t, &e.fee);
        assert_eq!(plans.len(), 2);
        let solved = episode(&p, h, 96, 2 * 96, 5.0, &t, &e);
        let given = episode_planned(&p, h, 96, 2 * 96, 5.0, &t, &e, Some(&plans));
        assert_eq!(solved, given);
        // following the plan is not the rule
        assert_ne!(solved, episode(&Policy::rule(), h, 96, 2 * 96, 5.0, &t, &e));
        // an episode from the middle of a day: one plan per day touched
        assert_eq!(episode_plans(h, 150, 96, 5.0, &t, &e.fee).len(), 2);
    }

    #[test]
    fn training_a_plan_policy_is_deterministic_and_starts_from_the_follower() {
        let s = Scenario::fixture(3, 5);
        let t = Tariff::default();
        let cfg = TrainConfig {
            iterations: 20,
            pairs: 4,
            episodes: 4,
            episode_days: 2,
            start: Start::Plan,
            ..TrainConfig::default()
        };
        let range = 96..s.history_slots + s.sim_slots;
        let (a, log_a) = train(&s.households, range.clone(), &cfg, &t).unwrap();
        let (b, log_b) = train(&s.households, range.clone(), &cfg, &t).unwrap();
        assert_eq!(a, b);
        assert_eq!(log_a, log_b);
        assert_eq!(a.inputs, Inputs::BandsPlan);
        assert_eq!(a.weights.len(), N_ACTIONS + 1);
        assert_ne!(a, Policy::plan_follower(), "training moved the weights");
        let (none, _) = train(
            &s.households,
            range,
            &TrainConfig {
                iterations: 0,
                ..cfg
            },
            &t,
        )
        .unwrap();
        assert_eq!(none.weights, Policy::plan_follower().weights);
    }

    #[test]
    fn a_policy_file_that_is_not_a_policy_is_refused_naming_the_file() {
        let f = TempFile::new("junk", "{\"format\": 3}");
        let e = Policy::load(&f.0).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!(
                "data: policy {}: invalid type: integer `3`",
                f.0.display()
            )),
            "{e}"
        );
    }
}
