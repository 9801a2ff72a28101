//! Tabular Q-learning for the learning bidder.
//!
//! State: time-of-day band x battery state-of-charge band x whether the
//! household forecasts a surplus or a deficit. Action: a battery mode x a
//! price level. The learning bidders of one run share one table (parameter
//! sharing): every RL household contributes its transitions, so the policy
//! learns from `n_rl * 96` transitions per simulated day.
//!
//! Update rule (Watkins): `Q(s,a) += alpha * (r + gamma * max_a' Q(s',a') - Q(s,a))`.
//! Exploration is epsilon-greedy with a seeded RNG, so a run is reproducible.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Time-of-day bands (hour boundaries): night, morning, midday, evening peak, late.
pub const TIME_BANDS: [u32; 5] = [0, 6, 10, 16, 21];
/// State-of-charge bands.
pub const SOC_BANDS: usize = 4;
/// Surplus or deficit forecast.
pub const NET_BANDS: usize = 2;
/// Number of states.
pub const N_STATES: usize = TIME_BANDS.len() * SOC_BANDS * NET_BANDS;

/// What the battery does in a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BatteryMode {
    /// Charge from the forecast surplus, discharge to cover the forecast deficit.
    SelfConsume,
    /// Leave the battery alone.
    Hold,
    /// Charge at full power (buying if needed).
    Charge,
    /// Charge at a quarter of full power (the trained policy's slow charge;
    /// not an action of the Q-table).
    Trickle,
    /// Discharge at full power (selling the excess).
    Discharge,
}

/// Battery modes, in action order.
pub const BATTERY_MODES: [BatteryMode; 4] = [
    BatteryMode::SelfConsume,
    BatteryMode::Hold,
    BatteryMode::Charge,
    BatteryMode::Discharge,
];

/// Price levels, as a fraction of the way from the feed-in tariff to the retail
/// tariff of the slot: a bid's limit or an offer's floor.
pub const PRICE_LEVELS: [f64; 3] = [0.2, 0.5, 0.8];

/// Number of actions.
pub const N_ACTIONS: usize = BATTERY_MODES.len() * PRICE_LEVELS.len();

/// An action: battery mode and price level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Action {
    /// What the battery does in the slot.
    pub battery: BatteryMode,
    /// Where the order's price sits between the feed-in and the retail tariff,
    /// 0..=1 (one of [`PRICE_LEVELS`]).
    pub price_level: f64,
}

/// The action index of a battery mode and price level (the nearest level).
pub fn action_index(battery: BatteryMode, price_level: f64) -> usize {
    let m = BATTERY_MODES
        .iter()
        .position(|&b| b == battery)
        .expect("every mode is listed");
    let mut l = 0;
    for (i, p) in PRICE_LEVELS.iter().enumerate() {
        if (p - price_level).abs() < (PRICE_LEVELS[l] - price_level).abs() {
            l = i;
        }
    }
    m * PRICE_LEVELS.len() + l
}

/// Decodes an action index.
pub fn action(index: usize) -> Action {
    Action {
        battery: BATTERY_MODES[index / PRICE_LEVELS.len()],
        price_level: PRICE_LEVELS[index % PRICE_LEVELS.len()],
    }
}

/// A discretised observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct State {
    /// Index into [`TIME_BANDS`] of the slot's hour.
    pub time_band: usize,
    /// State-of-charge band, `0..SOC_BANDS` (equal-width bands of the capacity).
    pub soc_band: usize,
    /// True when the household forecasts a surplus for the slot (PV forecast above load forecast).
    pub surplus: bool,
}

impl State {
    /// Discretises hour of day (0..24), state of charge (0..=1) and the sign
    /// of the forecast net position.
    pub fn observe(hour: u32, soc_fraction: f64, surplus: bool) -> State {
        let time_band = TIME_BANDS.iter().rposition(|&h| hour >= h).unwrap_or(0);
        let soc_band =
            ((soc_fraction.clamp(0.0, 1.0) * SOC_BANDS as f64) as usize).min(SOC_BANDS - 1);
        State {
            time_band,
            soc_band,
            surplus,
        }
    }

    /// Index into the Q-table.
    pub fn index(self) -> usize {
        (self.time_band * SOC_BANDS + self.soc_band) * NET_BANDS + usize::from(self.surplus)
    }
}

/// Learning parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QParams {
    /// Learning rate.
    pub alpha: f64,
    /// Discount per slot.
    pub gamma: f64,
    /// Exploration on the first day.
    pub epsilon_start: f64,
    /// Exploration floor.
    pub epsilon_min: f64,
    /// Exploration multiplier per simulated day.
    pub epsilon_decay: f64,
    /// Initial value of every action except the rule-based default (reward
    /// units): a pessimistic prior, so the greedy policy starts as the rule
    /// and leaves it only for what exploration found better.
    pub prior: f64,
}

impl Default for QParams {
    fn default() -> Self {
        QParams {
            alpha: 0.1,
            gamma: 0.9,
            epsilon_start: 0.2,
            epsilon_min: 0.02,
            epsilon_decay: 0.7,
            prior: -5.0,
        }
    }
}

/// A Q-table with epsilon-greedy action choice.
#[derive(Debug, Clone)]
pub struct QTable {
    /// The learning parameters.
    pub params: QParams,
    q: Vec<f64>,
    /// Current exploration probability (from `epsilon_start`, decaying per
    /// day to `epsilon_min`).
    pub epsilon: f64,
    /// Updates made so far.
    pub updates: u64,
}

impl QTable {
    /// A table of zeros.
    pub fn new(params: QParams) -> QTable {
        QTable {
            params,
            q: vec![0.0; N_STATES * N_ACTIONS],
            epsilon: params.epsilon_start,
            updates: 0,
        }
    }

    /// A table that starts as the `default` action everywhere: 0 for it,
    /// `params.prior` for every other action.
    pub fn warm(params: QParams, default: usize) -> QTable {
        let mut t = QTable::new(params);
        for s in 0..N_STATES {
            for a in 0..N_ACTIONS {
                if a != default {
                    t.set(s, a, params.prior);
                }
            }
        }
        t
    }

    /// Q(s, a).
    pub fn get(&self, s: usize, a: usize) -> f64 {
        self.q[s * N_ACTIONS + a]
    }

    /// Sets Q(s, a) (tests and warm starts).
    pub fn set(&mut self, s: usize, a: usize, v: f64) {
        self.q[s * N_ACTIONS + a] = v;
    }

    /// The greedy action in `s` (lowest index among ties, so it is deterministic).
    pub fn greedy(&self, s: usize) -> usize {
        let row = &self.q[s * N_ACTIONS..(s + 1) * N_ACTIONS];
        let mut best = 0;
        for (i, v) in row.iter().enumerate() {
            if *v > row[best] {
                best = i;
            }
        }
        best
    }

    /// max_a Q(s, a).
    pub fn max(&self, s: usize) -> f64 {
        self.get(s, self.greedy(s))
    }

    /// Epsilon-greedy choice.
    pub fn choose(&self, s: usize, rng: &mut ChaCha8Rng) -> usize {
        if rng.gen::<f64>() < self.epsilon {
            rng.gen_range(0..N_ACTIONS)
        } else {
            self.greedy(s)
        }
    }

    /// One Q-learning update for the transition `(s, a, r, s')`; returns the TD error.
    pub fn update(&mut self, s: usize, a: usize, reward: f64, next: usize) -> f64 {
        let target = reward + self.params.gamma * self.max(next);
        let td = target - self.get(s, a);
        self.q[s * N_ACTIONS + a] += self.params.alpha * td;
        self.updates += 1;
        td
    }

    /// Lowers exploration after a simulated day.
    pub fn end_of_day(&mut self) {
        self.epsilon = (self.epsilon * self.params.epsilon_decay).max(self.params.epsilon_min);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn params() -> QParams {
        QParams {
            alpha: 0.5,
            gamma: 0.9,
            ..QParams::default()
        }
    }

    #[test]
    fn update_moves_q_toward_the_td_target_by_alpha() {
        let mut q = QTable::new(params());
        q.set(3, 1, 2.0); // max over s'=3 is 2.0
        let td = q.update(0, 0, 1.0, 3);
        // target = 1 + 0.9 * 2 = 2.8; Q = 0 + 0.5 * 2.8
        assert!((td - 2.8).abs() < 1e-12);
        assert!((q.get(0, 0) - 1.4).abs() < 1e-12);
        // a second identical update halves the remaining gap
        q.update(0, 0, 1.0, 3);
        assert!((q.get(0, 0) - 2.1).abs() < 1e-12);
        assert_eq!(q.updates, 2);
        // other entries untouched
        assert_eq!(q.get(0, 1), 0.0);
    }

    #[test]
    fn update_bootstraps_from_the_best_next_action_only() {
        let mut q = QTable::new(params());
        q.set(5, 0, -10.0);
        q.set(5, 7, 4.0);
        q.set(5, 8, 1.0);
        q.update(2, 4, 0.0, 5);
        assert!((q.get(2, 4) - 0.5 * 0.9 * 4.0).abs() < 1e-12);
    }

    #[test]
    fn repeated_updates_converge_to_the_fixed_point() {
        // self-loop with reward 1: Q* = 1 / (1 - gamma) = 10
        let mut q = QTable::new(params());
        for _ in 0..500 {
            q.update(7, q.greedy(7), 1.0, 7);
        }
        assert!((q.max(7) - 10.0).abs() < 1e-6);
    }

    #[test]
    fn greedy_breaks_ties_by_lowest_index_and_epsilon_zero_is_greedy() {
        let mut q = QTable::new(QParams {
            epsilon_start: 0.0,
            ..params()
        });
        assert_eq!(q.greedy(0), 0);
        q.set(0, 5, 1.0);
        q.set(0, 9, 1.0);
        assert_eq!(q.greedy(0), 5);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..100 {
            assert_eq!(q.choose(0, &mut rng), 5);
        }
    }

    #[test]
    fn warm_table_starts_greedy_on_the_default_action() {
        let d = action_index(BatteryMode::SelfConsume, 0.5);
        assert_eq!(action(d).battery, BatteryMode::SelfConsume);
        assert_eq!(action(d).price_level, 0.5);
        let q = QTable::warm(QParams::default(), d);
        for s in 0..N_STATES {
            assert_eq!(q.greedy(s), d);
            assert_eq!(q.get(s, (d + 1) % N_ACTIONS), QParams::default().prior);
        }
    }

    #[test]
    fn exploration_decays_to_its_floor() {
        let mut q = QTable::new(QParams::default());
        for _ in 0..100 {
            q.end_of_day();
        }
        assert_eq!(q.epsilon, QParams::default().epsilon_min);
    }

    #[test]
    fn states_and_actions_index_densely() {
        let mut seen = std::collections::BTreeSet::new();
        for hour in 0..24 {
            for soc in [0.0, 0.3, 0.6, 1.0] {
                for surplus in [false, true] {
                    let s = State::observe(hour, soc, surplus).index();
                    assert!(s < N_STATES);
                    seen.insert(s);
                }
            }
        }
        assert_eq!(seen.len(), N_STATES);
        assert_eq!(State::observe(17, 1.0, true).time_band, 3);
        assert_eq!(State::observe(5, 0.0, false).time_band, 0);
        assert_eq!(action(0).battery, BatteryMode::SelfConsume);
        assert_eq!(action(N_ACTIONS - 1).battery, BatteryMode::Discharge);
        assert_eq!(action(N_ACTIONS - 1).price_level, 0.8);
    }
}
