//! The perfect-foresight bound of a home battery's tariff saving (issue 19;
//! `aip-sim --bound`).
//!
//! For one household and one stretch of slots, [`optimal`] finds the
//! lowest grid bill its battery can reach when the real load and PV of
//! every slot are known in advance: an exact dynamic programme over the
//! battery's state of charge, on the simulation's own [`Battery`] rules
//! (capacity, power per slot, charging efficiency with its rounding up) and
//! the time-of-use [`Tariff`]; no market. As in the simulation
//! ([`Battery::at_delivery`]), battery energy never goes to the grid: the
//! battery delivers at most the slot's load above its PV. [`rule`] runs
//! the rule's self-consuming battery on the same real data and
//! [`grid_only`] bills the household without a battery, so a week's bound
//! says how many points of its import bill a battery can save at most
//! beyond the rule, whatever the policy.
//!
//! **Money.** Bills are exact integers in milli-uaip (Wh × uaip/kWh): import
//! at the slot's retail price, export at the feed-in tariff, nothing
//! rounded. (The simulation rounds each slot's bill toward zero to uaip,
//! less than 1 uaip a slot.)
//!
//! **State grid.** The programme runs over states of charge that are
//! multiples of `step_wh` (1: every Wh, exact). With a coarser step a
//! discharge may lower the state by up to `step_wh - 1` Wh more than the
//! battery delivers; that plan is still one a real battery can better (it
//! keeps the rest), so the bill found is reachable and at most the exact
//! optimum's plus the step's loss.

use thiserror::Error;

use crate::agent::{Battery, Tariff};
use crate::policy::{self, EpisodeEnv, Policy};
use crate::rl::BatteryMode;
use crate::scenario::{Household, SLOTS_PER_DAY};

/// Why a bound cannot be computed.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum BoundError {
    /// The load and PV series differ in length.
    #[error("load has {load} slots, PV {pv}: the series must be aligned")]
    Lengths {
        /// Slots of the load series.
        load: usize,
        /// Slots of the PV series.
        pv: usize,
    },
    /// The state grid does not fit the battery.
    #[error("a state-of-charge step of {step_wh} Wh must be at least 1 and divide the capacity ({capacity_wh} Wh) and the starting charge ({soc_wh} Wh)")]
    Step {
        /// The step asked for, Wh.
        step_wh: u64,
        /// The battery's capacity, Wh.
        capacity_wh: u64,
        /// Its starting charge, Wh.
        soc_wh: u64,
    },
    /// The battery's efficiency is not a percentage in 1..=100.
    #[error("charging efficiency {efficiency_pct} % is not in 1..=100")]
    Efficiency {
        /// The efficiency given, percent.
        efficiency_pct: u64,
    },
}

/// What the battery did in one slot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SlotFlow {
    /// Energy drawn into the battery (from PV surplus or the grid), Wh.
    pub drawn_wh: u64,
    /// Energy the battery delivered to the household's load, Wh.
    pub served_wh: u64,
    /// State of charge after the slot, Wh.
    pub soc_wh: u64,
}

/// A household's stretch of slots, run one way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Grid bill, milli-uaip (Wh × uaip/kWh): import at retail minus export at feed-in.
    pub bill_mu: i128,
    /// Per slot, in order.
    pub flows: Vec<SlotFlow>,
}

/// Hour of day (UTC) of profile slot `idx` (profile index 0 is midnight).
pub fn hour_of(idx: usize) -> u32 {
    ((idx % SLOTS_PER_DAY) / 4) as u32
}

/// A slot's grid bill for a net import `net_wh` (negative: export), milli-uaip.
pub fn slot_bill(net_wh: i64, hour: u32, tariff: &Tariff) -> i128 {
    let price = if net_wh > 0 {
        tariff.retail(hour)
    } else {
        tariff.feed_in
    };
    i128::from(net_wh) * i128::from(price)
}

/// The least draw that stores at least `stored_wh` at `efficiency_pct`
/// (the battery rounds the stored energy up: [`Battery::execute`]).
pub fn least_draw(stored_wh: u64, efficiency_pct: u64) -> u64 {
    if stored_wh == 0 {
        0
    } else {
        (stored_wh - 1) * 100 / efficiency_pct + 1
    }
}

fn check(load: &[u64], pv: &[u64]) -> Result<(), BoundError> {
    if load.len() != pv.len() {
        return Err(BoundError::Lengths {
            load: load.len(),
            pv: pv.len(),
        });
    }
    Ok(())
}

/// The grid-only bill (no battery) and its import part, milli-uaip.
pub fn grid_only(load: &[u64], pv: &[u64], first: usize, tariff: &Tariff) -> (i128, i128) {
    let mut bill = 0i128;
    let mut import = 0i128;
    for (j, (&l, &p)) in load.iter().zip(pv).enumerate() {
        let b = slot_bill(l as i64 - p as i64, hour_of(first + j), tariff);
        bill += b;
        import += b.max(0);
    }
    (bill, import)
}

/// The rule's battery (self-consumption, [`BatteryMode::SelfConsume`]) on
/// the real load and PV of profile slots `first..first + load.len()`.
pub fn rule(
    battery: &Battery,
    tariff: &Tariff,
    load: &[u64],
    pv: &[u64],
    first: usize,
) -> Result<Outcome, BoundError> {
    check(load, pv)?;
    let mut b = *battery;
    let mut out = Outcome {
        bill_mu: 0,
        flows: Vec::with_capacity(load.len()),
    };
    for (j, (&l, &p)) in load.iter().zip(pv).enumerate() {
        let (draw, deliver) = b.plan(BatteryMode::SelfConsume, l, p);
        let (drawn, served) = b.execute(draw, deliver);
        let net = l as i64 + drawn as i64 - p as i64 - served as i64;
        out.bill_mu += slot_bill(net, hour_of(first + j), tariff);
        out.flows.push(SlotFlow {
            drawn_wh: drawn,
            served_wh: served,
            soc_wh: b.soc_wh,
        });
    }
    Ok(out)
}

/// The least grid bill `battery` (starting at its `soc_wh`) can reach over
/// profile slots `first..first + load.len()` with the real `load` and
/// `pv` known in advance, and the plan that reaches it: a dynamic programme
/// over states of charge in multiples of `step_wh` (1: exact; module doc).
/// In a slot the battery holds, charges (from PV surplus first, the rest
/// from the grid; the stored energy rounds up as [`Battery::execute`]
/// does) or discharges into the load (never beyond the load above PV, never
/// more than its power). Ties go to holding, then the smaller move.
pub fn optimal(
    battery: &Battery,
    tariff: &Tariff,
    load: &[u64],
    pv: &[u64],
    first: usize,
    step_wh: u64,
) -> Result<Outcome, BoundError> {
    check(load, pv)?;
    let g = step_wh;
    if g == 0 || !battery.capacity_wh.is_multiple_of(g) || !battery.soc_wh.is_multiple_of(g) {
        return Err(BoundError::Step {
            step_wh,
            capacity_wh: battery.capacity_wh,
            soc_wh: battery.soc_wh,
        });
    }
    if !(1..=100).contains(&battery.efficiency_pct) {
        return Err(BoundError::Efficiency {
            efficiency_pct: battery.efficiency_pct,
        });
    }
    let states = (battery.capacity_wh / g) as usize + 1;
    let slots = load.len();
    // value of the rest of the stretch from each state; nothing after its end
    let mut value = vec![0i128; states];
    let mut next = vec![0i128; states];
    // the best move per slot and state, in steps (+ charge, - discharge)
    let mut moves = vec![0i32; slots * states];
    // each option: (steps, drawn, served, bill)
    let mut options: Vec<(i32, u64, u64, i128)> = Vec::new();
    for t in (0..slots).rev() {
        let hour = hour_of(first + t);
        let net = load[t] as i64 - pv[t] as i64;
        let deficit = u64::try_from(net).unwrap_or(0);
        options.clear();
        options.push((0, 0, 0, slot_bill(net, hour, tariff)));
        for j in 1.. {
            let drawn = least_draw(j * g, battery.efficiency_pct);
            if drawn > battery.max_slot_wh || j as usize >= states {
                break;
            }
            let bill = slot_bill(net + drawn as i64, hour, tariff);
            options.push((j as i32, drawn, 0, bill));
        }
        let can_serve = deficit.min(battery.max_slot_wh);
        for j in 1.. {
            if (j - 1) * g >= can_serve || j as usize >= states {
                break;
            }
            let served = (j * g).min(can_serve);
            let bill = slot_bill(net - served as i64, hour, tariff);
            options.push((-(j as i32), 0, served, bill));
        }
        for k in 0..states {
            let mut best = (i128::MAX, 0i32);
            for &(j, _, _, bill) in &options {
                let to = k as i64 + i64::from(j);
                if to < 0 || to >= states as i64 {
                    continue;
                }
                let v = bill + value[to as usize];
                if v < best.0 || (v == best.0 && j.unsigned_abs() < best.1.unsigned_abs()) {
                    best = (v, j);
                }
            }
            next[k] = best.0;
            moves[t * states + k] = best.1;
        }
        std::mem::swap(&mut value, &mut next);
    }
    // the plan, forward from the starting charge
    let mut k = (battery.soc_wh / g) as usize;
    let mut out = Outcome {
        bill_mu: value[k],
        flows: Vec::with_capacity(slots),
    };
    for t in 0..slots {
        let j = moves[t * states + k];
        let net = load[t] as i64 - pv[t] as i64;
        let can_serve = u64::try_from(net).unwrap_or(0).min(battery.max_slot_wh);
        let steps = u64::from(j.unsigned_abs());
        let (drawn, served) = match j {
            0 => (0, 0),
            j if j > 0 => (least_draw(steps * g, battery.efficiency_pct), 0),
            _ => (0, (steps * g).min(can_serve)),
        };
        k = (k as i64 + i64::from(j)) as usize;
        out.flows.push(SlotFlow {
            drawn_wh: drawn,
            served_wh: served,
            soc_wh: k as u64 * g,
        });
    }
    Ok(out)
}

/// The trained policy's battery on the real data of `h`, slots
/// `from..from + slots`, deciding on seasonal-naive forecasts with the
/// simulation's no-export rule at delivery, no market (the training
/// episode, [`policy::episode_traced`]): the per-slot flows for the
/// diagnosis and the bill, milli-uaip.
pub fn policy_run(
    p: &Policy,
    h: &Household,
    from: usize,
    slots: usize,
    battery: &Battery,
    tariff: &Tariff,
) -> Outcome {
    let env = EpisodeEnv {
        export_level: 0.0,
        fee: policy::GridFee::default(),
        at_delivery: true,
        sell_offers: false,
    };
    let mut out = Outcome {
        bill_mu: 0,
        flows: Vec::with_capacity(slots),
    };
    policy::episode_traced(
        p,
        h,
        from,
        slots,
        battery,
        tariff,
        &env,
        None,
        |idx, drawn, served, soc| {
            let net = h.load_wh[idx] as i64 + drawn as i64 - h.pv_wh[idx] as i64 - served as i64;
            out.bill_mu += slot_bill(net, hour_of(idx), tariff);
            out.flows.push(SlotFlow {
                drawn_wh: drawn,
                served_wh: served,
                soc_wh: soc,
            });
        },
    );
    out
}

/// Per hour of day, the mean over a set of household-days: energy drawn
/// into the battery and delivered by it in the hour, and the charge at the
/// hour's end, Wh.
#[derive(Debug, Clone, PartialEq)]
pub struct HourProfile {
    /// Mean energy drawn per hour, Wh.
    pub drawn_wh: [f64; 24],
    /// Mean energy delivered per hour, Wh.
    pub served_wh: [f64; 24],
    /// Mean state of charge at the end of the hour, Wh.
    pub soc_end_wh: [f64; 24],
}

/// The hour-of-day profile of a set of runs (each starting at profile slot
/// `first`, whole days).
pub fn hour_profile(runs: &[&[SlotFlow]], first: usize) -> HourProfile {
    let mut p = HourProfile {
        drawn_wh: [0.0; 24],
        served_wh: [0.0; 24],
        soc_end_wh: [0.0; 24],
    };
    let mut days = [0u64; 24];
    for flows in runs {
        for (j, f) in flows.iter().enumerate() {
            let h = hour_of(first + j) as usize;
            p.drawn_wh[h] += f.drawn_wh as f64;
            p.served_wh[h] += f.served_wh as f64;
            if (first + j) % 4 == 3 {
                p.soc_end_wh[h] += f.soc_wh as f64;
                days[h] += 1;
            }
        }
    }
    for (h, d) in days.iter().enumerate() {
        let n = (*d).max(1) as f64;
        p.drawn_wh[h] /= n;
        p.served_wh[h] /= n;
        p.soc_end_wh[h] /= n;
    }
    p
}

/// A stretch of slots for a set of households, every way: grid-only, the
/// rule's battery, the policy's (naive forecasts, no market) and the bound.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Households summed.
    pub households: usize,
    /// Grid-only bill, milli-uaip.
    pub grid_only_mu: i128,
    /// Its import part (the savings' denominator), milli-uaip.
    pub grid_only_import_mu: i128,
    /// Bill with the rule's battery, milli-uaip.
    pub rule_mu: i128,
    /// Bill with the policy's battery, milli-uaip (None: no policy given).
    pub policy_mu: Option<i128>,
    /// The least bill with perfect foresight, milli-uaip.
    pub optimal_mu: i128,
    /// Hour-of-day profiles: the bound's plan, the policy's, the rule's.
    pub profiles: [HourProfile; 3],
}

impl Comparison {
    /// A bill's saving against grid-only, fraction of the grid-only import bill.
    pub fn saving(&self, bill_mu: i128) -> f64 {
        if self.grid_only_import_mu == 0 {
            0.0
        } else {
            (self.grid_only_mu - bill_mu) as f64 / self.grid_only_import_mu as f64
        }
    }

    /// The bound's gain over the rule, percentage points of the import bill.
    pub fn bound_gain_pp(&self) -> f64 {
        100.0 * (self.saving(self.optimal_mu) - self.saving(self.rule_mu))
    }

    /// The policy's tariff-only gain over the rule, percentage points.
    pub fn policy_gain_pp(&self) -> Option<f64> {
        self.policy_mu
            .map(|p| 100.0 * (self.saving(p) - self.saving(self.rule_mu)))
    }
}

/// Compares the ways to run the batteries of `households` over profile
/// slots `from..from + slots` (whole days from midnight; a day of history
/// before `from` for the policy's naive forecasts), each battery `battery`.
pub fn compare(
    households: &[&Household],
    from: usize,
    slots: usize,
    battery: &Battery,
    tariff: &Tariff,
    policy: Option<&Policy>,
    step_wh: u64,
) -> Result<Comparison, BoundError> {
    let mut c = Comparison {
        households: households.len(),
        grid_only_mu: 0,
        grid_only_import_mu: 0,
        rule_mu: 0,
        policy_mu: policy.map(|_| 0),
        optimal_mu: 0,
        profiles: [
            hour_profile(&[], from),
            hour_profile(&[], from),
            hour_profile(&[], from),
        ],
    };
    let mut runs: [Vec<Vec<SlotFlow>>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    for h in households {
        let (load, pv) = (&h.load_wh[from..from + slots], &h.pv_wh[from..from + slots]);
        let (bill, import) = grid_only(load, pv, from, tariff);
        c.grid_only_mu += bill;
        c.grid_only_import_mu += import;
        let r = rule(battery, tariff, load, pv, from)?;
        c.rule_mu += r.bill_mu;
        runs[2].push(r.flows);
        let o = optimal(battery, tariff, load, pv, from, step_wh)?;
        c.optimal_mu += o.bill_mu;
        runs[0].push(o.flows);
        if let (Some(p), Some(sum)) = (policy, c.policy_mu.as_mut()) {
            let q = policy_run(p, h, from, slots, battery, tariff);
            *sum += q.bill_mu;
            runs[1].push(q.flows);
        }
    }
    for (k, r) in runs.iter().enumerate() {
        let refs: Vec<&[SlotFlow]> = r.iter().map(Vec::as_slice).collect();
        c.profiles[k] = hour_profile(&refs, from);
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Slot index of hour `h` on day 0, quarter `q`.
    fn at(h: usize, q: usize) -> usize {
        h * 4 + q
    }

    fn small(efficiency_pct: u64) -> Battery {
        Battery {
            capacity_wh: 100,
            max_slot_wh: 50,
            soc_wh: 0,
            efficiency_pct,
        }
    }

    #[test]
    fn a_hand_checked_day_slot_then_peak_slot() {
        let t = Tariff::default();
        // 16:45 (day, 0.30 AIP/kWh) then 17:00 (peak, 0.40): 80 Wh of load
        // at the peak, no PV, an empty 100 Wh battery of 50 Wh a slot
        let (load, pv) = ([0, 80], [0, 0]);
        let first = at(16, 3);
        let lossless = optimal(&small(100), &t, &load, &pv, first, 1).unwrap();
        // charge 50 at 0.30, deliver 50 at the peak, import 30 at 0.40
        assert_eq!(lossless.bill_mu, 50 * 300_000 + 30 * 400_000);
        assert_eq!(
            lossless.flows,
            vec![
                SlotFlow {
                    drawn_wh: 50,
                    served_wh: 0,
                    soc_wh: 50
                },
                SlotFlow {
                    drawn_wh: 0,
                    served_wh: 50,
                    soc_wh: 0
                },
            ]
        );
        // at 95 %: 50 Wh drawn store 48 (47.5 rounded up); storing 50 would
        // need 53, beyond the power: 48 delivered, 32 imported
        let lossy = optimal(&small(95), &t, &load, &pv, first, 1).unwrap();
        assert_eq!(lossy.bill_mu, 50 * 300_000 + 32 * 400_000);
        assert_eq!(
            lossy.flows[0],
            SlotFlow {
                drawn_wh: 50,
                served_wh: 0,
                soc_wh: 48
            }
        );
        // no battery: 80 Wh at the peak
        assert_eq!(grid_only(&load, &pv, first, &t), (32_000_000, 32_000_000));
        // the rule's battery starts empty and has nothing to give
        assert_eq!(
            rule(&small(95), &t, &load, &pv, first).unwrap().bill_mu,
            32_000_000
        );
    }

    #[test]
    fn charging_from_pv_costs_the_feed_in_and_battery_energy_never_goes_to_the_grid() {
        let t = Tariff::default();
        // 16:45 a 60 Wh PV surplus, 17:00 a 30 Wh load, 17:15 nothing
        let first = at(16, 3);
        let (load, pv) = ([0, 30, 0], [60, 0, 0]);
        let b = Battery {
            soc_wh: 0,
            ..small(100)
        };
        let o = optimal(&b, &t, &load, &pv, first, 1).unwrap();
        // store 30 of the surplus (the rest is exported: 30 at feed-in) and
        // serve the peak load; storing more would be worth nothing
        assert_eq!(o.bill_mu, -30 * 80_000);
        assert_eq!(o.flows[0].drawn_wh, 30);
        assert_eq!(o.flows[1].served_wh, 30);
        // a full battery before an empty slot: nothing to deliver into
        let full = Battery {
            soc_wh: 100,
            ..small(100)
        };
        let o = optimal(&full, &t, &[0, 0], &[0, 0], first, 1).unwrap();
        assert_eq!(o.bill_mu, 0);
        assert!(o.flows.iter().all(|f| f.served_wh == 0));
    }

    /// Every plan of whole-Wh draws and deliveries, tried one by one.
    fn brute(b: Battery, t: &Tariff, load: &[u64], pv: &[u64], first: usize) -> i128 {
        if load.is_empty() {
            return 0;
        }
        let hour = hour_of(first);
        let net = load[0] as i64 - pv[0] as i64;
        let mut best = i128::MAX;
        for draw in 0..=b.charge_room() {
            let mut n = b;
            let (drawn, _) = n.execute(draw, 0);
            let bill = slot_bill(net + drawn as i64, hour, t);
            best = best.min(bill + brute(n, t, &load[1..], &pv[1..], first + 1));
        }
        let most = u64::try_from(net).unwrap_or(0).min(b.discharge_room());
        for deliver in 1..=most {
            let mut n = b;
            let (_, served) = n.execute(0, deliver);
            let bill = slot_bill(net - served as i64, hour, t);
            best = best.min(bill + brute(n, t, &load[1..], &pv[1..], first + 1));
        }
        best
    }

    #[test]
    fn the_exact_programme_matches_every_plan_tried_and_its_plan_runs_on_the_battery() {
        let t = Tariff::default();
        let b = Battery {
            capacity_wh: 12,
            max_slot_wh: 5,
            soc_wh: 3,
            efficiency_pct: 90,
        };
        // off-peak 05:30, day 06:00.., peak from 17:00: spread over a day
        let cases: [(&[u64], &[u64], usize); 4] = [
            (&[0, 4, 9, 2], &[0, 0, 3, 0], at(5, 2)),
            (&[1, 0, 7, 6], &[0, 9, 0, 0], at(16, 2)),
            (&[3, 3, 3, 3], &[0, 0, 0, 0], at(20, 2)),
            (&[2, 8, 0, 5, 1], &[6, 0, 4, 0, 0], at(21, 2)),
        ];
        for (load, pv, first) in cases {
            let o = optimal(&b, &t, load, pv, first, 1).unwrap();
            assert_eq!(o.bill_mu, brute(b, &t, load, pv, first), "{load:?} {pv:?}");
            // the plan on the simulation's battery: same charge, same bill
            let mut run = b;
            let mut bill = 0;
            for (j, f) in o.flows.iter().enumerate() {
                let (drawn, served) = run.execute(f.drawn_wh, f.served_wh);
                assert_eq!(
                    (drawn, served, run.soc_wh),
                    (f.drawn_wh, f.served_wh, f.soc_wh)
                );
                assert!(served as i64 <= load[j] as i64 - pv[j] as i64 || served == 0);
                bill += slot_bill(
                    load[j] as i64 + drawn as i64 - pv[j] as i64 - served as i64,
                    hour_of(first + j),
                    &t,
                );
            }
            assert_eq!(bill, o.bill_mu);
            // a coarser grid finds a reachable plan, never a better one
            let b4 = Battery { soc_wh: 4, ..b };
            let coarse = optimal(&b4, &t, load, pv, first, 4).unwrap();
            assert!(coarse.bill_mu >= optimal(&b4, &t, load, pv, first, 1).unwrap().bill_mu);
        }
    }

    #[test]
    fn bad_input_is_refused_with_the_figures() {
        let t = Tariff::default();
        let b = Battery::new(5.0);
        assert_eq!(
            optimal(&b, &t, &[1, 2], &[0], 0, 1)
                .unwrap_err()
                .to_string(),
            "load has 2 slots, PV 1: the series must be aligned"
        );
        assert_eq!(
            rule(&b, &t, &[1], &[0, 0], 0).unwrap_err().to_string(),
            "load has 1 slots, PV 2: the series must be aligned"
        );
        assert_eq!(
            optimal(&b, &t, &[1], &[0], 0, 3).unwrap_err().to_string(),
            "a state-of-charge step of 3 Wh must be at least 1 and divide the capacity (5000 Wh) and the starting charge (2500 Wh)"
        );
        assert!(optimal(&b, &t, &[1], &[0], 0, 0).is_err());
        let odd = Battery {
            efficiency_pct: 0,
            ..b
        };
        assert_eq!(
            optimal(&odd, &t, &[1], &[0], 0, 1).unwrap_err().to_string(),
            "charging efficiency 0 % is not in 1..=100"
        );
    }

    #[test]
    fn the_least_draw_stores_what_is_asked_and_one_wh_less_would_not() {
        for eff in [95, 90, 100, 37] {
            for s in 1..300u64 {
                let d = least_draw(s, eff);
                assert!((d * eff).div_ceil(100) >= s, "{eff} {s}");
                assert!(((d - 1) * eff).div_ceil(100) < s, "{eff} {s}");
            }
        }
        assert_eq!(least_draw(0, 95), 0);
    }

    #[test]
    fn the_hour_profile_averages_over_days_and_takes_the_charge_at_the_hour_end() {
        let flows: Vec<SlotFlow> = (0..2 * SLOTS_PER_DAY)
            .map(|j| SlotFlow {
                drawn_wh: if j % SLOTS_PER_DAY < 4 { 10 } else { 0 },
                served_wh: 0,
                soc_wh: j as u64,
            })
            .collect();
        let p = hour_profile(&[&flows], 0);
        assert_eq!(p.drawn_wh[0], 40.0);
        assert_eq!(p.drawn_wh[1], 0.0);
        // hour 0 ends at slots 3 and 99
        assert_eq!(p.soc_end_wh[0], 51.0);
    }

    #[test]
    fn the_bound_of_households_is_at_least_the_rule_and_the_policy() {
        let s = crate::scenario::Scenario::fixture(3, 3);
        let hs: Vec<&Household> = s.households.iter().collect();
        let t = Tariff::default();
        let b = Battery::new(0.2);
        let c = compare(&hs, 96, 192, &b, &t, Some(&Policy::night_trickle()), 1).unwrap();
        assert_eq!(c.households, 3);
        assert!(c.optimal_mu <= c.rule_mu, "{c:?}");
        assert!(c.optimal_mu <= c.policy_mu.unwrap(), "{c:?}");
        assert!(c.bound_gain_pp() >= 0.0);
        assert!(c.bound_gain_pp() >= c.policy_gain_pp().unwrap());
        // the trickle policy charges in the off-peak hours, the rule does not
        // (no PV at night): the profiles say so
        assert!(c.profiles[1].drawn_wh[23] > 0.0 && c.profiles[2].drawn_wh[23] == 0.0);
        // the grid-only bill is what the series say
        let (g, gi) = hs.iter().fold((0, 0), |acc, h| {
            let (a, b) = grid_only(&h.load_wh[96..288], &h.pv_wh[96..288], 96, &t);
            (acc.0 + a, acc.1 + b)
        });
        assert_eq!((c.grid_only_mu, c.grid_only_import_mu), (g, gi));
    }
}
