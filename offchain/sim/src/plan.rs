//! The household's day plan: an exact dynamic programme over its battery's
//! state of charge for the coming hours, on the household's own forecasts.
//!
//! At the first decision of a day (its midnight slot) the household solves,
//! backwards over the [`HORIZON_SLOTS`] slots from that midnight (today and
//! tomorrow), the cheapest way to run its battery: the state is the stored
//! energy on a grid of [`STEP_WH`]-Wh levels, a move is the energy stored or
//! taken out in a slot, and a slot costs what the household's import would
//! cost at the time-of-use tariff (exports of PV at the feed-in tariff), plus
//! the DSO-friendly grid fee ([`GridFee`]: battery draw from the grid above
//! [`GridFee::cap_wh`] a slot pays [`GridFee::uaip_per_kwh`] on top). The
//! battery's limits are the simulation's [`Battery`]: capacity, power per
//! slot, charging efficiency. **No battery energy is exported**: a slot's
//! discharge is at most the slot's forecast deficit (load above PV), rounded
//! up to the next level. What is stored at the horizon's end is worth the
//! off-peak tariff (what the next night would charge to replace it).
//!
//! The result is a table, for every slot of the day and every level, of the
//! best move: a state-feedback plan, so a household whose battery ended the
//! last slot elsewhere than planned (a forecast miss, a firmed sale, another
//! action) reads the plan for the state it is in ([`DayPlan::advice`]).
//! Every decision sees at least 24 h ahead (the last slot of the day still
//! sees all of tomorrow).
//!
//! Units: energy in integer Wh, money in `uaip · Wh / kWh` inside the
//! programme (the tariff's uaip/kWh times Wh, divided by nothing, so exact);
//! drawn energy is rounded up from the stored energy (`stored · 100 /
//! efficiency`, up, as [`Battery::execute`] rounds the other way).
//! Pure: no I/O, no clock; the same forecasts give the same plan.

use crate::agent::{Battery, Tariff};
use crate::policy::GridFee;
use crate::rl::BatteryMode;
use crate::scenario::SLOTS_PER_DAY;

/// Slots the programme looks ahead from a day's midnight: today and tomorrow.
pub const HORIZON_SLOTS: usize = 2 * SLOTS_PER_DAY;
/// The grid of the state of charge, Wh (101 levels for a 5 kWh battery).
pub const STEP_WH: u64 = 50;
/// The plan's spreading term: a slot's import from the grid `d` (Wh, the
/// household's load and battery draw beyond PV and battery delivery) costs
/// `SPREAD · d²` more (`uaip · Wh / kWh`): on average `SPREAD · d` uaip/kWh,
/// at the margin twice that (at 400 Wh, 0.04 and 0.08 AIP/kWh: as much as a
/// tariff step, so the plan also trades a little tariff for a flatter
/// import). Between slots of the same tariff the plan charges where its own
/// load is low and evenly, and discharges where its load is high: a
/// household's night charging moves away from the evening's high load
/// toward the small hours, spread over them. (With 10, the learners' night
/// charging still raised the September week's peak import above all-rule;
/// `docs/benchmarks.md`.)
pub const SPREAD: i64 = 100;

/// A slot's forecast, as the plan sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotForecast {
    /// Hour of the slot, 0..24 (UTC, as the tariff).
    pub hour: u32,
    /// Forecast load, Wh.
    pub load_wh: u64,
    /// Forecast PV, Wh.
    pub pv_wh: u64,
}

/// What the plan says for the slot being decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Advice {
    /// The battery mode that carries the plan's move out
    /// ([`DayPlan::advice`]).
    pub mode: BatteryMode,
    /// The state of charge the plan aims at after the slot, Wh.
    pub target_soc_wh: u64,
    /// The plan's move as the battery's (drawn, delivered) Wh for the slot,
    /// what [`crate::policy::FOLLOW_PLAN`] executes: the draw that stores the
    /// move (rounded up), or a delivery of the move, at most the slot's
    /// forecast deficit (no battery energy exported).
    pub flows: (u64, u64),
}

/// The solved plan of one day: the best move for every slot of the day and
/// every level of the state of charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayPlan {
    /// Level width, Wh.
    step_wh: u64,
    /// Levels 0..levels (level `i` holds `i · step_wh`).
    levels: usize,
    /// Capacity of the battery planned, Wh.
    capacity_wh: u64,
    /// Charging efficiency, percent.
    efficiency_pct: u64,
    /// Most energy in or out in one slot, Wh.
    max_slot_wh: u64,
    /// Slots of the table (the day's, at most).
    slots: usize,
    /// `slots × levels` moves, in levels (negative: discharge).
    moves: Vec<i16>,
    /// Cost of the horizon from the first slot at each level, `uaip · Wh / kWh`.
    first_cost: Vec<i64>,
}

/// Energy drawn from outside the battery to store `stored` Wh (rounded up).
fn drawn_for(stored: u64, efficiency_pct: u64) -> u64 {
    (stored * 100).div_ceil(efficiency_pct.max(1))
}

/// The cost of one slot, `uaip · Wh / kWh`, for a battery move of `stored`
/// (positive: into the battery, that much stored; negative: delivered).
fn slot_cost(
    f: &SlotForecast,
    moved: i64,
    efficiency_pct: u64,
    tariff: &Tariff,
    fee: &GridFee,
) -> i64 {
    let drawn = if moved > 0 {
        drawn_for(moved.unsigned_abs(), efficiency_pct) as i64
    } else {
        0
    };
    let delivered = if moved < 0 { -moved } else { 0 };
    let net = f.load_wh as i64 + drawn - f.pv_wh as i64 - delivered;
    let mut cost = if net > 0 {
        net * tariff.retail(f.hour) as i64
    } else {
        net * tariff.feed_in as i64
    };
    let import = net.max(0);
    let over = drawn.min(import) - fee.cap_wh as i64;
    if over > 0 {
        cost += over * fee.uaip_per_kwh as i64;
    }
    cost + SPREAD * import * import
}

impl DayPlan {
    /// Solves the plan for `forecasts` (the horizon's slots, from a day's
    /// midnight, at most [`HORIZON_SLOTS`] used), a battery of `battery`'s
    /// capacity, power and efficiency (its charge is not used: the plan
    /// covers every level), the tariff and the grid fee. The table covers
    /// the first [`SLOTS_PER_DAY`] slots (fewer when the forecasts are fewer).
    pub fn solve(
        forecasts: &[SlotForecast],
        battery: &Battery,
        tariff: &Tariff,
        fee: &GridFee,
    ) -> DayPlan {
        let step = STEP_WH;
        let levels = usize::try_from(battery.capacity_wh / step).unwrap_or(0) + 1;
        let eff = battery.efficiency_pct.max(1);
        // most levels up: what the slot's power can draw; down: deliver
        let mut up = 0i64;
        while drawn_for((up as u64 + 1) * step, eff) <= battery.max_slot_wh
            && (up as usize + 1) < levels
            && up < i64::from(i16::MAX)
        {
            up += 1;
        }
        let down = ((battery.max_slot_wh / step) as i64)
            .min(levels as i64 - 1)
            .min(i64::from(i16::MAX));
        let horizon = forecasts.len().min(HORIZON_SLOTS);
        let slots = horizon.min(SLOTS_PER_DAY);
        // what is stored at the end is worth the off-peak tariff
        let mut v: Vec<i64> = (0..levels)
            .map(|i| -((i as u64 * step) as i64) * tariff.offpeak as i64)
            .collect();
        let mut moves = vec![0i16; slots * levels];
        let mut next = vec![0i64; levels];
        // moves in the order ties are broken: the largest first (act now
        // rather than later: a charge for the peak is made at the first
        // cheap slot, a discharge at the first dear one), discharge before
        // charge, hold last
        let mut order: Vec<i64> = (-down..=up).collect();
        order.sort_by_key(|&k| (std::cmp::Reverse(k.abs()), k > 0));
        for t in (0..horizon).rev() {
            let f = &forecasts[t];
            let deficit = f.load_wh.saturating_sub(f.pv_wh);
            // no battery energy exported: a discharge covers at most the
            // deficit, rounded up to a level
            let most_down = (deficit.div_ceil(step) as i64).min(down);
            let cost: Vec<(i64, i64)> = order
                .iter()
                .filter(|&&k| k >= -most_down)
                .map(|&k| (k, slot_cost(f, k * step as i64, eff, tariff, fee)))
                .collect();
            for (i, n) in next.iter_mut().enumerate() {
                let mut best = (i64::MAX, 0i64);
                for &(k, c) in &cost {
                    let j = i as i64 + k;
                    if j < 0 || j >= levels as i64 {
                        continue;
                    }
                    let total = c.saturating_add(v[j as usize]);
                    if total < best.0 {
                        best = (total, k);
                    }
                }
                *n = best.0;
                if t < slots {
                    // within ±i16::MAX: `up` and `down` are bounded by it
                    moves[t * levels + i] = i16::try_from(best.1).unwrap_or(0);
                }
            }
            std::mem::swap(&mut v, &mut next);
        }
        DayPlan {
            step_wh: step,
            levels,
            capacity_wh: battery.capacity_wh,
            efficiency_pct: eff,
            max_slot_wh: battery.max_slot_wh,
            slots,
            moves,
            first_cost: v,
        }
    }

    /// The level nearest to `soc_wh`.
    fn level(&self, soc_wh: u64) -> usize {
        usize::try_from((soc_wh + self.step_wh / 2) / self.step_wh)
            .unwrap_or(usize::MAX)
            .min(self.levels - 1)
    }

    /// The plan's move at slot `t` of the day from `soc_wh`, Wh (positive:
    /// stored); 0 past the table.
    pub fn move_wh(&self, t: usize, soc_wh: u64) -> i64 {
        if t >= self.slots {
            return 0;
        }
        i64::from(self.moves[t * self.levels + self.level(soc_wh)]) * self.step_wh as i64
    }

    /// The horizon's cost from the first slot at the level of `soc_wh`,
    /// uaip (rounded toward zero).
    pub fn cost_uaip(&self, soc_wh: u64) -> i64 {
        self.first_cost[self.level(soc_wh)] / 1000
    }

    /// What the plan says at slot `t` of the day (0..96) for a battery
    /// holding `soc_wh`, with the slot's forecast load and PV as the
    /// household has them now. The mode that carries the move out:
    /// - a discharge: [`BatteryMode::SelfConsume`] (it covers the forecast
    ///   deficit, no more: no battery energy exported);
    /// - no move: [`BatteryMode::Hold`];
    /// - a charge the forecast PV surplus covers: [`BatteryMode::SelfConsume`];
    ///   one that needs the grid: the charging mode whose draw is nearer to
    ///   the plan's, [`BatteryMode::Trickle`] (a quarter of the battery's
    ///   power; ties to it) or [`BatteryMode::Charge`] (full power).
    ///
    /// The target is `soc_wh` plus the move, within the capacity.
    pub fn advice(&self, t: usize, soc_wh: u64, load_f: u64, pv_f: u64) -> Advice {
        let m = self.move_wh(t, soc_wh);
        let mode = if m < 0 {
            BatteryMode::SelfConsume
        } else if m == 0 {
            BatteryMode::Hold
        } else {
            let drawn = drawn_for(m.unsigned_abs(), self.efficiency_pct);
            let from_grid = drawn.saturating_sub(pv_f.saturating_sub(load_f));
            if from_grid == 0 {
                BatteryMode::SelfConsume
            } else if from_grid.abs_diff(self.max_slot_wh / 4)
                <= from_grid.abs_diff(self.max_slot_wh)
            {
                BatteryMode::Trickle
            } else {
                BatteryMode::Charge
            }
        };
        let target = soc_wh.saturating_add_signed(m).min(self.capacity_wh);
        let flows = if m > 0 {
            (drawn_for(target - soc_wh, self.efficiency_pct), 0)
        } else {
            (0, m.unsigned_abs().min(load_f.saturating_sub(pv_f)))
        };
        Advice {
            mode,
            target_soc_wh: target,
            flows,
        }
    }
}

/// The horizon's forecasts from a day's midnight slot `day_idx` when the
/// household has metered its series up to (not including) slot `known`:
/// seasonal naive, each slot's value on the latest day metered (the same
/// rule as [`crate::forecast::SeasonalNaive`]). `today`, when given, replaces
/// the first slots (the household's forecaster's for the day). The training
/// episodes plan on these; the simulation with the forecaster's day.
pub fn naive_horizon(
    load_wh: &[u64],
    pv_wh: &[u64],
    day_idx: usize,
    known: usize,
    today: Option<&[(u64, u64)]>,
) -> Vec<SlotForecast> {
    let known = known.min(load_wh.len()).min(pv_wh.len());
    let back = |t: usize| {
        let mut i = t;
        while i >= known && i >= SLOTS_PER_DAY {
            i -= SLOTS_PER_DAY;
        }
        i
    };
    (0..HORIZON_SLOTS)
        .map(|s| {
            let t = day_idx + s;
            let (load, pv) = match today.and_then(|d| d.get(s)) {
                Some(&f) => f,
                None => {
                    let i = back(t);
                    (
                        load_wh.get(i).copied().unwrap_or(0),
                        pv_wh.get(i).copied().unwrap_or(0),
                    )
                }
            };
            SlotForecast {
                hour: ((s % SLOTS_PER_DAY) / 4) as u32,
                load_wh: load,
                pv_wh: pv,
            }
        })
        .collect()
}

/// The day plan of household `household` at its decision for profile slot
/// `idx` (unix start `slot_start`), in the simulation: today's slots from
/// `idx` on from the household's forecaster (the trained day-ahead models,
/// issued at midnight), with what is metered before `idx - 1`; tomorrow's
/// seasonal naive, as the forecaster itself falls back to before tomorrow's
/// midnight (calling it for them would only count fallbacks). Slots of
/// today before `idx` are never read by a decision at or after `idx`.
#[allow(clippy::too_many_arguments)]
pub fn simulation_plan(
    forecaster: &mut dyn crate::forecast::Forecaster,
    household: usize,
    h: &crate::scenario::Household,
    idx: usize,
    slot_start: u64,
    battery: &Battery,
    tariff: &Tariff,
    fee: &GridFee,
) -> DayPlan {
    use crate::forecast::{ForecastInput, Series};
    let day_idx = idx - idx % SLOTS_PER_DAY;
    let seen = idx.saturating_sub(1);
    let today: Vec<(u64, u64)> = (day_idx..day_idx + SLOTS_PER_DAY)
        .map(|t| {
            if t < idx {
                return (0, 0);
            }
            let start = slot_start + (t - idx) as u64 * aip_types::SLOT_SECONDS;
            let mut one = |series, known: &[u64]| {
                forecaster.forecast(&ForecastInput {
                    household,
                    series,
                    known: &known[..seen.min(known.len())],
                    target: t,
                    slot_start: start,
                })
            };
            let load = one(Series::Load, &h.load_wh);
            let pv = if h.has_pv() {
                one(Series::Pv, &h.pv_wh)
            } else {
                0
            };
            (load, pv)
        })
        .collect();
    let f = naive_horizon(&h.load_wh, &h.pv_wh, day_idx, seen, Some(&today));
    DayPlan::solve(&f, battery, tariff, fee)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(n: usize, load: u64, pv: u64) -> Vec<SlotForecast> {
        (0..n)
            .map(|s| SlotForecast {
                hour: ((s % SLOTS_PER_DAY) / 4) as u32,
                load_wh: load,
                pv_wh: pv,
            })
            .collect()
    }

    /// A 1 kWh battery: 125 Wh a slot, 21 levels.
    fn small() -> Battery {
        Battery::new(1.0)
    }

    #[test]
    fn a_slot_costs_the_tariff_the_feed_in_and_the_fee_above_the_cap() {
        let t = Tariff::default();
        let fee = GridFee::default();
        let f = SlotForecast {
            hour: 18,
            load_wh: 300,
            pv_wh: 100,
        };
        // no move: 200 Wh imported at the peak's 0.40
        assert_eq!(
            slot_cost(&f, 0, 95, &t, &fee),
            200 * 400_000 + SPREAD * 200 * 200
        );
        // 150 delivered: 50 imported
        assert_eq!(
            slot_cost(&f, -150, 95, &t, &fee),
            50 * 400_000 + SPREAD * 50 * 50
        );
        // 250 delivered (beyond the deficit): 50 exported at feed-in
        assert_eq!(slot_cost(&f, -250, 95, &t, &fee), -50 * 80_000);
        // 300 stored: 316 drawn (300 / 0.95, up), 516 imported, 156 over the
        // 160 Wh cap at 0.50, and the spreading term on the 516 Wh
        assert_eq!(
            slot_cost(&f, 300, 95, &t, &fee),
            516 * 400_000 + 156 * 500_000 + SPREAD * 516 * 516
        );
        // PV surplus charging draws nothing from the grid: no fee
        let sunny = SlotForecast {
            hour: 12,
            load_wh: 100,
            pv_wh: 700,
        };
        assert_eq!(slot_cost(&sunny, 300, 95, &t, &fee), -284 * 80_000);
    }

    #[test]
    fn a_battery_charges_at_night_within_the_fee_cap_for_the_evening_peak() {
        // no PV, 100 Wh of load every slot: the evening peak (0.40) is worth
        // charging for at night (0.22 / 0.95 = 0.232), within the cap
        let t = Tariff::default();
        let fee = GridFee::default();
        let b = small();
        let p = DayPlan::solve(&flat(HORIZON_SLOTS, 100, 0), &b, &t, &fee);
        // following the plan from an empty battery at 00:00: full by 06:00,
        // charged evenly (the spreading term: no slot more than 50 Wh above
        // another), within the fee's cap
        let mut soc = 0u64;
        let mut moves = Vec::new();
        for s in 0..24 {
            let a = p.advice(s, soc, 100, 0);
            assert!(a.target_soc_wh >= soc);
            let stored = a.target_soc_wh - soc;
            assert_eq!(a.flows, (drawn_for(stored, 95), 0));
            assert!(a.flows.0 <= fee.cap_wh);
            if stored > 0 {
                // 53 Wh drawn: the trickle's 31 is nearer than full power's 125
                assert_eq!(a.mode, BatteryMode::Trickle, "{a:?}");
            }
            moves.push(stored);
            soc = a.target_soc_wh;
        }
        let (lo, hi) = (moves.iter().min().unwrap(), moves.iter().max().unwrap());
        assert!(hi - lo <= 50, "{moves:?}");
        assert_eq!(soc, 1_000);
        // at 18:00 with a full battery: discharge to cover the load, no more
        let a = p.advice(72, 1_000, 100, 0);
        assert_eq!(a.mode, BatteryMode::SelfConsume);
        assert_eq!(a.target_soc_wh, 900);
        // moves stay within the battery's power (125 Wh a slot: 2 levels of 50 up,
        // 2 down) and its capacity
        for s in 0..SLOTS_PER_DAY {
            for soc in (0..=1_000).step_by(50) {
                let m = p.move_wh(s, soc);
                assert!((-125..=125).contains(&m), "slot {s} soc {soc}: {m}");
                assert!(soc as i64 + m >= 0 && soc as i64 + m <= 1_000);
            }
        }
    }

    #[test]
    fn the_plan_keeps_the_charge_for_the_peak_instead_of_the_day() {
        // a 1 kWh battery, full at 06:00, no PV, 100 Wh of load a slot: the
        // day tariff (0.30) is below the peak's (0.40), and 16 peak slots
        // need 1,600 Wh, more than the battery holds: it holds through the day
        let t = Tariff::default();
        let fee = GridFee::default();
        let p = DayPlan::solve(&flat(HORIZON_SLOTS, 100, 0), &small(), &t, &fee);
        for s in 24..68 {
            assert_eq!(
                p.advice(s, 1_000, 100, 0).mode,
                BatteryMode::Hold,
                "slot {s}"
            );
        }
        assert!(p.move_wh(68, 1_000) < 0, "17:00: the peak, discharge");
    }

    #[test]
    fn a_battery_never_discharges_beyond_the_forecast_deficit() {
        // PV covers the load: a discharge would only export
        let t = Tariff::default();
        let fee = GridFee::default();
        let p = DayPlan::solve(&flat(HORIZON_SLOTS, 100, 100), &small(), &t, &fee);
        for s in 0..SLOTS_PER_DAY {
            assert!(p.move_wh(s, 1_000) >= 0, "slot {s}");
        }
        // a 40 Wh deficit: one level (50 Wh) out at the peak, not two (the
        // second would export 50 Wh at the feed-in tariff instead of keeping
        // it, worth the off-peak tariff at the horizon's end)
        let p = DayPlan::solve(&flat(HORIZON_SLOTS, 140, 100), &small(), &t, &fee);
        assert_eq!(p.move_wh(70, 1_000), -50);
        for s in 0..SLOTS_PER_DAY {
            for soc in (0..=1_000).step_by(50) {
                assert!(p.move_wh(s, soc) >= -50, "slot {s} soc {soc}");
            }
        }
    }

    #[test]
    fn pv_surplus_charges_the_battery_through_self_consumption() {
        // a 600 Wh surplus at noon, a deficit in the evening
        let t = Tariff::default();
        let fee = GridFee::default();
        let mut f = flat(HORIZON_SLOTS, 100, 0);
        for s in [48, 144] {
            f[s].pv_wh = 700;
        }
        let b = small();
        let p = DayPlan::solve(&f, &b, &t, &fee);
        let a = p.advice(48, 0, 100, 700);
        // 100 Wh stored per 50-Wh level within 125 Wh of power: 2 levels
        assert_eq!(a.target_soc_wh, 100);
        assert_eq!(a.mode, BatteryMode::SelfConsume);
    }

    #[test]
    fn a_large_battery_moves_more_levels_a_slot_than_a_byte_holds() {
        // 100 kWh, 12,500 Wh a slot; 12,000 Wh of PV at noon and no load:
        // stored rather than exported (worth the off-peak tariff at the
        // end, the feed-in tariff exported): 11,400 Wh (228 levels) stored
        // from exactly 12,000 drawn
        let t = Tariff::default();
        let mut f = flat(HORIZON_SLOTS, 0, 0);
        f[48].pv_wh = 12_000;
        let p = DayPlan::solve(&f, &Battery::new(100.0), &t, &GridFee::default());
        assert_eq!(p.move_wh(48, 0), 11_400);
    }

    #[test]
    fn an_empty_battery_or_no_battery_has_nothing_to_plan() {
        let t = Tariff::default();
        let fee = GridFee::default();
        let none = Battery::new(0.0);
        let p = DayPlan::solve(&flat(HORIZON_SLOTS, 100, 0), &none, &t, &fee);
        assert_eq!(
            p.advice(10, 0, 100, 0),
            Advice {
                mode: BatteryMode::Hold,
                target_soc_wh: 0,
                flows: (0, 0),
            }
        );
        // no forecasts: an empty table, hold
        let p = DayPlan::solve(&[], &small(), &t, &fee);
        assert_eq!(p.move_wh(0, 500), 0);
    }

    #[test]
    fn the_plan_cost_is_the_grid_bill_when_the_battery_is_useless() {
        // flat tariff slots (all day at 0.30 would make storage useless; here
        // with PV = load the bill is 0 in every slot) and nothing to store
        let t = Tariff::default();
        let fee = GridFee::default();
        let p = DayPlan::solve(&flat(HORIZON_SLOTS, 100, 100), &small(), &t, &fee);
        // an empty battery: the horizon costs nothing, ends with nothing
        assert_eq!(p.cost_uaip(0), 0);
        // a full one keeps its 1,000 Wh, worth the off-peak tariff
        assert_eq!(p.cost_uaip(1_000), -220_000);
    }

    #[test]
    fn the_naive_horizon_takes_each_slot_from_the_latest_metered_day() {
        let load: Vec<u64> = (0..400).collect();
        let pv: Vec<u64> = (0..400).map(|i| i * 2).collect();
        // deciding at midnight slot 192 with slots up to 190 metered
        let h = naive_horizon(&load, &pv, 192, 191, None);
        assert_eq!(h.len(), HORIZON_SLOTS);
        assert_eq!(h[0].load_wh, 96);
        assert_eq!(h[0].pv_wh, 192);
        // slot 191 is not metered: its value comes from two days back
        assert_eq!(h[94].load_wh, 190);
        assert_eq!(h[95].load_wh, 287 - 192);
        // tomorrow: the latest metered day too
        assert_eq!(h[96].load_wh, 96);
        assert_eq!(h[96].hour, 0);
        assert_eq!(h[100].hour, 1);
        // the forecaster's day replaces today's slots
        let today = vec![(7u64, 9u64); 96];
        let h = naive_horizon(&load, &pv, 192, 191, Some(&today));
        assert_eq!((h[95].load_wh, h[95].pv_wh), (7, 9));
        assert_eq!(h[96].load_wh, 96);
    }
}
