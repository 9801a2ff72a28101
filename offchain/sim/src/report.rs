//! KPIs of a finished run, the printed summary, and the files in the output
//! folder (kpis.json, series.csv, SVG plots).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::agent::Strategy;
use crate::engine::Engine;
use crate::plot::{Chart, Line};
use crate::scenario::SLOTS_PER_DAY;

/// The run's key figures. Energy in kWh, money in AIP.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Kpis {
    /// Households in the scenario.
    pub households: usize,
    /// Households with the learning strategy (trained policy or Q-learning).
    pub rl_households: usize,
    /// Simulated days (the last may be partial).
    pub days: usize,
    /// Slots simulated (delivered and settled).
    pub slots: u64,
    /// Consumption of all households, kWh.
    pub load_kwh: f64,
    /// PV generation of all households, kWh.
    pub pv_kwh: f64,
    /// Buy orders the chain accepted.
    pub bids: u64,
    /// Sell orders the chain accepted.
    pub offers: u64,
    /// P2P trades settled (estimated off chain without a settlement contract).
    pub trades: u64,
    /// Energy contracted in P2P trades.
    pub traded_kwh: f64,
    /// Energy sellers delivered against trades.
    pub delivered_kwh: f64,
    /// Corridor losses.
    pub losses_kwh: f64,
    /// Losses as a fraction of the delivered energy.
    pub loss_rate: f64,
    /// Declared surplus of the matched orders (sum of wh x (bid limit - offer floor)).
    pub welfare_declared_aip: f64,
    /// What the community saved against buying and selling everything at the grid tariff
    /// without batteries or a market.
    pub welfare_savings_aip: f64,
    /// Savings as a fraction of the grid-only import bill.
    pub savings_rate: f64,
    /// Volume-weighted P2P price, AIP/kWh.
    pub mean_price_aip_per_kwh: f64,
    /// 1 - grid import / consumption (load plus what the batteries drew).
    pub self_sufficiency: f64,
    /// 1 - grid export / local production (PV plus what the batteries released).
    pub self_consumption: f64,
    /// Trades whose seller delivered in full, fraction of trades.
    pub delivery_success: f64,
    /// Trades the settlement contract settled, fraction of trades (None: not deployed).
    pub settlement_success: Option<f64>,
    /// Matching batches with trades the chain committed.
    pub batches_committed: u64,
    /// Matching batches the chain rejected.
    pub batches_rejected: u64,
    /// Reputation scores: min, mean, max, standard deviation (None: not deployed).
    pub reputation: Option<[f64; 4]>,
    /// Mean savings rate of learning / rule-based households, final day.
    pub rl_savings_last_day: f64,
    /// Mean savings rate of the rule-based households, final day.
    pub rule_savings_last_day: f64,
    /// RL bidder gain over rule-based: the difference, percentage points of the bill.
    pub rl_gain_pp: f64,
    /// The learning households' savings rate, first day.
    pub rl_savings_first_day: f64,
    /// Twin run (the same households bidding by rule, all else equal): the
    /// learning households' savings on the last day there, and the gain of
    /// learning over it in percentage points of their import bill.
    pub twin_rule_savings_last_day: Option<f64>,
    /// Learning households' last-day gain over the twin, percentage points
    /// (None without a twin run).
    pub rl_gain_over_twin_pp: Option<f64>,
    /// The same over the whole run (every day, not only the last).
    pub rl_gain_over_twin_run_pp: Option<f64>,
    /// Shortfall penalties paid by sellers who delivered less than sold, AIP.
    pub penalties_aip: f64,
    /// Congestion fees the buyers paid the DSO's treasury on their trades'
    /// routes (the fee of each settled trade), AIP.
    pub congestion_fees_aip: f64,
    /// Matched trades the chain left out of their slot's batch (beyond its
    /// maximum, not allowed by the route, or refused).
    pub trades_skipped: u64,
    /// Peak net import of the community through its transformer (meters'
    /// imports minus exports, [`crate::grid`]), kW, and the slot it happened in.
    pub peak_import_kw: f64,
    /// Unix start (seconds) of the first slot with that peak (None without imports).
    pub peak_import_slot: Option<u64>,
    /// The transformer's rating, kVA, and the slots whose net import power
    /// exceeded it (None: no rating known).
    pub transformer_kva: Option<f64>,
    /// Slots whose net import power exceeded the rating (None: no rating known).
    pub slots_over_transformer: Option<u64>,
    /// The twin run's peak import, kW (every household on the rule).
    pub twin_peak_import_kw: Option<f64>,
    /// Mean absolute error of the load forecasts, Wh per slot.
    pub forecast_load_mae_wh: f64,
    /// Mean absolute error of the PV forecasts, Wh per slot.
    pub forecast_pv_mae_wh: f64,
    /// Load forecast MAE as a fraction of the mean actual load.
    pub forecast_load_nmae: f64,
    /// PV forecast MAE as a fraction of the mean actual PV production.
    pub forecast_pv_nmae: f64,
    /// Token audits (supply = balances + contract holdings) passed / made.
    pub audits_passed: u64,
    /// Token audits made (one at the end of each simulated day and of the run).
    pub audits: u64,
}

fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        0.0
    } else {
        a / b
    }
}

impl Kpis {
    /// Computes the KPIs of an engine (after, or during, a run).
    pub fn of(e: &Engine) -> Result<Kpis> {
        let t = &e.totals;
        let kwh = |wh: u64| wh as f64 / 1000.0;
        let aip = |u: f64| u / 1e6;
        let cost: i128 = e.households.iter().map(|h| h.cost_uaip).sum();
        let base: i128 = e.households.iter().map(|h| h.baseline_uaip).sum();
        let base_import: i128 = e.households.iter().map(|h| h.baseline_import_uaip).sum();
        let caps = e.chain.capabilities();
        let reputation = if caps.reputation {
            let s: Vec<f64> = e.chain.scores()?.iter().map(|&v| f64::from(v)).collect();
            let n = s.len().max(1) as f64;
            let mean = s.iter().sum::<f64>() / n;
            let var = s.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
            Some([
                s.iter().cloned().fold(f64::INFINITY, f64::min),
                mean,
                s.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
                var.sqrt(),
            ])
        } else {
            None
        };
        let last = e.days.last().cloned().unwrap_or_default();
        let grid = grid_kpis_of(e);
        let first = e.days.first().cloned().unwrap_or_default();
        Ok(Kpis {
            households: e.households.len(),
            rl_households: e
                .households
                .iter()
                .filter(|h| matches!(h.strategy, Strategy::Learning))
                .count(),
            days: e.days.len(),
            slots: t.slots,
            load_kwh: kwh(t.load_wh),
            pv_kwh: kwh(t.pv_wh),
            bids: t.bids,
            offers: t.offers,
            trades: t.trades,
            traded_kwh: kwh(t.contracted_wh),
            delivered_kwh: kwh(t.delivered_wh),
            losses_kwh: kwh(t.loss_wh),
            loss_rate: ratio(t.loss_wh as f64, t.delivered_wh as f64),
            welfare_declared_aip: aip(t.declared_welfare_uaip as f64),
            welfare_savings_aip: aip((base - cost) as f64),
            savings_rate: ratio((base - cost) as f64, base_import as f64),
            mean_price_aip_per_kwh: ratio(t.traded_value_uaip as f64, t.received_wh as f64) / 1e3,
            self_sufficiency: 1.0
                - ratio(
                    t.grid_import_wh as f64,
                    (t.load_wh + t.battery_in_wh) as f64,
                ),
            self_consumption: 1.0
                - ratio(t.grid_export_wh as f64, (t.pv_wh + t.battery_out_wh) as f64),
            delivery_success: ratio(t.full_trades as f64, t.trades as f64),
            settlement_success: caps
                .settlement
                .then(|| ratio(t.settle.settled as f64, t.trades as f64)),
            batches_committed: t.batches_committed,
            batches_rejected: t.batches_rejected,
            reputation,
            rl_savings_last_day: last.rl_savings,
            rule_savings_last_day: last.rule_savings,
            rl_gain_pp: 100.0 * (last.rl_savings - last.rule_savings),
            rl_savings_first_day: first.rl_savings,
            twin_rule_savings_last_day: None,
            rl_gain_over_twin_pp: None,
            rl_gain_over_twin_run_pp: None,
            penalties_aip: aip(t.penalties_uaip as f64),
            congestion_fees_aip: aip(t.fees_uaip as f64),
            trades_skipped: t.trades_skipped,
            peak_import_kw: grid.peak_import_w as f64 / 1000.0,
            peak_import_slot: grid.peak_slot,
            transformer_kva: e.cfg.transformer_va.map(|va| va as f64 / 1000.0),
            slots_over_transformer: grid.slots_over_rating,
            twin_peak_import_kw: None,
            forecast_load_mae_wh: t.forecast_load.mae(),
            forecast_pv_mae_wh: t.forecast_pv.mae(),
            forecast_load_nmae: t.forecast_load.nmae(),
            forecast_pv_nmae: t.forecast_pv.nmae(),
            audits_passed: t.audits - t.audit_failures,
            audits: t.audits,
        })
    }
}

/// The run's grid KPIs from its meter readings ([`crate::grid::grid_kpis`]).
pub fn grid_kpis_of(e: &Engine) -> crate::grid::GridKpis {
    let flows: Vec<(u64, i128)> = e
        .series
        .iter()
        .zip(&e.readings)
        .map(|(p, r)| (p.start, crate::grid::net_import_wh(r)))
        .collect();
    crate::grid::grid_kpis(&flows, e.cfg.transformer_va)
}

/// The printed summary.
pub fn summary(e: &Engine, k: &Kpis) -> String {
    let caps = e.chain.capabilities();
    let mut s = String::new();
    let pct = |v: f64| format!("{:.1} %", 100.0 * v);
    let _ = writeln!(s, "AIPCHAIN simulation");
    let _ = writeln!(
        s,
        "  grid        {} ({} zones, {} corridors) — {}",
        e.scenario.name,
        e.scenario.zones.len(),
        e.scenario.corridors.len(),
        e.scenario.source
    );
    let _ = writeln!(
        s,
        "  agents      {} households ({} learning: {}, {} rule-based), {:.1} kWh battery each, {} day(s), seed {}",
        k.households,
        k.rl_households,
        if e.cfg.policy.is_some() {
            "trained battery policy, frozen"
        } else {
            "tabular Q-learning, online"
        },
        k.households - k.rl_households,
        e.cfg.battery_kwh,
        k.days,
        e.cfg.seed
    );
    let _ = writeln!(s, "  chain       {}", e.chain.label());
    let step = |on: bool, what: &str| {
        if on {
            format!("{what}: on chain")
        } else {
            format!("{what}: SKIPPED (contract not deployed)")
        }
    };
    let _ = writeln!(
        s,
        "  steps       {}; {}; {}",
        if caps.settlement && caps.signed_intents {
            "orders: intents signed off chain, one CommitIntents per slot from deposits; settlement: on chain".to_string()
        } else {
            step(caps.settlement, "orders/escrow/settlement")
        },
        step(caps.reputation, "reputation"),
        if caps.meter_oracle {
            "delivery: meter-oracle readings".to_string()
        } else if caps.settlement {
            "delivery: settlement oracle-role report (meter-oracle not deployed)".to_string()
        } else {
            "delivery: SKIPPED (no contract takes it)".to_string()
        }
    );
    let _ = writeln!(s, "  matcher     {}", e.clearing.label());
    let _ = writeln!(s, "  forecaster  {}", e.forecaster.label());
    let _ = writeln!(s);
    let _ = writeln!(s, "KPIs");
    let _ = writeln!(
        s,
        "  energy            load {:.1} kWh, PV {:.1} kWh",
        k.load_kwh, k.pv_kwh
    );
    let _ = writeln!(
        s,
        "  orders            {} bids, {} offers -> {} trades in {} batches ({} rejected by the chain)",
        k.bids, k.offers, k.trades, k.batches_committed, k.batches_rejected
    );
    if e.totals.orders_refused > 0 {
        let _ = writeln!(
            s,
            "  refused           {} orders; first: {}",
            e.totals.orders_refused,
            e.totals.first_refusal.as_deref().unwrap_or("")
        );
    }
    let _ = writeln!(
        s,
        "  skipped           {} matched trades left out of their batch{}",
        k.trades_skipped,
        e.totals
            .first_skip
            .as_deref()
            .map_or(String::new(), |w| format!("; first: {w}"))
    );
    if let Some(r) = &e.totals.first_rejection {
        let _ = writeln!(s, "  rejected batch    {r}");
    }
    let _ = writeln!(
        s,
        "  traded            {:.2} kWh contracted, {:.2} kWh delivered, mean price {:.3} AIP/kWh",
        k.traded_kwh, k.delivered_kwh, k.mean_price_aip_per_kwh
    );
    let _ = writeln!(
        s,
        "  welfare           {:.2} AIP declared surplus; community saves {:.2} AIP vs grid only ({} of the import bill)",
        k.welfare_declared_aip,
        k.welfare_savings_aip,
        pct(k.savings_rate)
    );
    let _ = writeln!(s, "  self-sufficiency  {}", pct(k.self_sufficiency));
    let _ = writeln!(s, "  self-consumption  {}", pct(k.self_consumption));
    let _ = writeln!(
        s,
        "  losses            {:.3} kWh ({} of delivered P2P energy)",
        k.losses_kwh,
        pct(k.loss_rate)
    );
    let _ = writeln!(
        s,
        "  delivery          {} of trades delivered in full; shortfall penalties {:.3} AIP",
        pct(k.delivery_success),
        k.penalties_aip
    );
    let _ = writeln!(
        s,
        "  congestion fees   {:.3} AIP paid on the trades' routes",
        k.congestion_fees_aip
    );
    let _ = writeln!(
        s,
        "  grid              peak import {:.1} kW{}{}; {}",
        k.peak_import_kw,
        k.peak_import_slot
            .map(|t| format!(" (slot {})", slot_time(t)))
            .unwrap_or_default(),
        k.twin_peak_import_kw
            .map(|p| format!(", {p:.1} kW with every household on the rule (twin)"))
            .unwrap_or_default(),
        match (k.transformer_kva, k.slots_over_transformer) {
            (Some(kva), Some(n)) => format!("{n} slot(s) above the transformer's {kva:.0} kVA"),
            _ => "transformer rating unknown".into(),
        }
    );
    let _ = writeln!(
        s,
        "  settlement        {}",
        match k.settlement_success {
            Some(v) => format!("{} of trades settled on chain", pct(v)),
            None =>
                "skipped (settlement contract not deployed); money above is an off-chain estimate"
                    .into(),
        }
    );
    let _ = writeln!(
        s,
        "  reputation        {}",
        match k.reputation {
            Some([lo, mean, hi, sd]) =>
                format!("scores min {lo:.0}, mean {mean:.0}, max {hi:.0}, spread (sd) {sd:.1}"),
            None => "skipped (reputation contract not deployed)".into(),
        }
    );
    let _ = writeln!(
        s,
        "  RL bidder         saves {} of its import bill on the last day vs {} for rule-based: gain {:+.1} pp (first day {})",
        pct(k.rl_savings_last_day),
        pct(k.rule_savings_last_day),
        k.rl_gain_pp,
        pct(k.rl_savings_first_day)
    );
    if let (Some(t), Some(g)) = (k.twin_rule_savings_last_day, k.rl_gain_over_twin_pp) {
        let _ = writeln!(
            s,
            "  RL vs twin        the same households bidding by rule (twin run, same seed) save {} on the last day: learning gains {:+.1} pp ({:+.1} pp over the whole run)",
            pct(t),
            g,
            k.rl_gain_over_twin_run_pp.unwrap_or(0.0)
        );
    }
    let _ = writeln!(
        s,
        "  forecasts         load MAE {:.0} Wh/slot ({} of mean), PV MAE {:.0} Wh/slot ({} of mean)",
        k.forecast_load_mae_wh,
        pct(k.forecast_load_nmae),
        k.forecast_pv_mae_wh,
        pct(k.forecast_pv_nmae)
    );
    let _ = writeln!(
        s,
        "  token audit       {}/{} daily audits: supply = balances + contract holdings",
        k.audits_passed, k.audits
    );
    s
}

/// A slot's start as `YYYY-MM-DD HH:MM` UTC.
pub fn slot_time(unix: u64) -> String {
    let d = aip_matcher::features::date_from_days((unix / 86_400) as i64);
    let s = unix % 86_400;
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        d.year,
        d.month,
        d.day,
        s / 3_600,
        s % 3_600 / 60
    )
}

fn ticks(n: usize, start: u64) -> Vec<(usize, String)> {
    let every = if n <= 2 * SLOTS_PER_DAY {
        16
    } else {
        SLOTS_PER_DAY
    };
    (0..n)
        .step_by(every)
        .map(|i| {
            let t = start + i as u64 * 900;
            let (d, h) = (i / SLOTS_PER_DAY + 1, (t % 86_400) / 3_600);
            (i, format!("d{d} {h:02}h"))
        })
        .collect()
}

/// Header of `injections.csv`.
pub const INJECTIONS_HEADER: &str =
    "slot_start,household,bus,zone,exported_wh,imported_wh,net_injection_wh";

/// `injections.csv`: one row per slot and household, the meter's export and
/// import (battery included) at the household's grid bus, and the net
/// injection into the grid (export minus import, Wh in the 15-min slot). The
/// input of the AC power flow (`offchain/sim/powerflow`).
pub fn injections_csv(e: &Engine) -> String {
    let mut csv = String::with_capacity(48 * e.readings.len() * e.households.len());
    csv.push_str(INJECTIONS_HEADER);
    csv.push('\n');
    for (p, slot) in e.series.iter().zip(&e.readings) {
        for r in slot {
            let h = &e.scenario.households[r.owner];
            let _ = writeln!(
                csv,
                "{},{},{},{},{},{},{}",
                p.start,
                h.name,
                h.node,
                h.zone,
                r.exported_wh,
                r.imported_wh,
                r.exported_wh as i64 - r.imported_wh as i64
            );
        }
    }
    csv
}

/// Writes kpis.json, summary.txt, series.csv, injections.csv and the SVG plots into `dir`.
pub fn write_outputs(e: &Engine, k: &Kpis, dir: &Path) -> Result<Vec<String>> {
    std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    let mut files = Vec::new();
    let mut put = |name: &str, body: String| -> Result<()> {
        let p = dir.join(name);
        std::fs::write(&p, body).with_context(|| format!("write {}", p.display()))?;
        files.push(p.display().to_string());
        Ok(())
    };
    put("kpis.json", serde_json::to_string_pretty(k)? + "\n")?;
    put("summary.txt", summary(e, k))?;
    let mut csv = String::from(
        "slot_start,load_wh,pv_wh,load_forecast_wh,pv_forecast_wh,bid_wh,offer_wh,traded_wh,price,retail,feed_in,grid_import_wh,grid_export_wh\n",
    );
    for p in &e.series {
        let _ = writeln!(
            csv,
            "{},{},{},{},{},{},{},{},{},{},{},{},{}",
            p.start,
            p.load_wh,
            p.pv_wh,
            p.load_forecast_wh,
            p.pv_forecast_wh,
            p.bid_wh,
            p.offer_wh,
            p.traded_wh,
            p.price,
            p.retail,
            p.feed_in,
            p.grid_import_wh,
            p.grid_export_wh
        );
    }
    put("series.csv", csv)?;
    put("injections.csv", injections_csv(e))?;

    let n = e.series.len();
    let start = e.series.first().map_or(0, |p| p.start);
    let col = |f: &dyn Fn(&crate::engine::SlotPoint) -> f64| -> Vec<f64> {
        e.series.iter().map(f).collect()
    };
    let kw = |wh: u64| wh as f64 * 4.0 / 1000.0; // Wh per 15 min -> kW
    let supply = Chart {
        title: "Supply and demand (community, kW)".into(),
        y_label: "kW".into(),
        lines: vec![
            Line {
                label: "load".into(),
                color: "#d62728",
                values: col(&|p| kw(p.load_wh)),
                dashed: false,
            },
            Line {
                label: "PV".into(),
                color: "#ff9f0e",
                values: col(&|p| kw(p.pv_wh)),
                dashed: false,
            },
            Line {
                label: "bids".into(),
                color: "#9467bd",
                values: col(&|p| kw(p.bid_wh)),
                dashed: true,
            },
            Line {
                label: "offers".into(),
                color: "#2ca02c",
                values: col(&|p| kw(p.offer_wh)),
                dashed: true,
            },
            Line {
                label: "P2P traded".into(),
                color: "#1f77b4",
                values: col(&|p| kw(p.traded_wh)),
                dashed: false,
            },
            Line {
                label: "grid import".into(),
                color: "#7f7f7f",
                values: col(&|p| kw(p.grid_import_wh)),
                dashed: false,
            },
        ],
        x_ticks: ticks(n, start),
    };
    put("supply_demand.svg", supply.to_svg())?;
    let aipk = |u: u64| u as f64 / 1e6;
    let prices = Chart {
        title: "Prices (AIP/kWh)".into(),
        y_label: "AIP/kWh".into(),
        lines: vec![
            Line {
                label: "P2P (vol.-weighted)".into(),
                color: "#1f77b4",
                values: col(&|p| {
                    if p.traded_wh > 0 {
                        aipk(p.price)
                    } else {
                        f64::NAN
                    }
                }),
                dashed: false,
            },
            Line {
                label: "grid retail".into(),
                color: "#d62728",
                values: col(&|p| aipk(p.retail)),
                dashed: true,
            },
            Line {
                label: "feed-in".into(),
                color: "#2ca02c",
                values: col(&|p| aipk(p.feed_in)),
                dashed: true,
            },
        ],
        x_ticks: ticks(n, start),
    };
    put("prices.svg", prices.to_svg())?;
    let fc = Chart {
        title: format!("Forecasts vs actuals ({})", e.forecaster.label()),
        y_label: "kW".into(),
        lines: vec![
            Line {
                label: "load actual".into(),
                color: "#d62728",
                values: col(&|p| kw(p.load_wh)),
                dashed: false,
            },
            Line {
                label: "load forecast".into(),
                color: "#d62728",
                values: col(&|p| kw(p.load_forecast_wh)),
                dashed: true,
            },
            Line {
                label: "PV actual".into(),
                color: "#ff9f0e",
                values: col(&|p| kw(p.pv_wh)),
                dashed: false,
            },
            Line {
                label: "PV forecast".into(),
                color: "#ff9f0e",
                values: col(&|p| kw(p.pv_forecast_wh)),
                dashed: true,
            },
        ],
        x_ticks: ticks(n, start),
    };
    put("forecast_vs_actual.svg", fc.to_svg())?;
    let learning = Chart {
        title: "Savings vs grid-only, per day (% of the grid-only import bill)".into(),
        y_label: "%".into(),
        lines: vec![
            Line {
                label: "RL bidders".into(),
                color: "#1f77b4",
                values: e.days.iter().map(|d| 100.0 * d.rl_savings).collect(),
                dashed: false,
            },
            Line {
                label: "rule-based".into(),
                color: "#7f7f7f",
                values: e.days.iter().map(|d| 100.0 * d.rule_savings).collect(),
                dashed: false,
            },
        ],
        x_ticks: e
            .days
            .iter()
            .enumerate()
            .map(|(i, d)| (i, format!("day {}", d.day)))
            .collect(),
    };
    put("learning.svg", learning.to_svg())?;
    Ok(files)
}

/// Savings rate on the last day of the households that learn in `main`,
/// in `main` and in `twin` (same households bidding by rule).
pub fn twin_savings(main: &Engine, twin: &Engine) -> (f64, f64) {
    let (mut c, mut ct, mut b, mut imp) = (0i128, 0i128, 0i128, 0i128);
    for (h, t) in main.households.iter().zip(&twin.households) {
        if matches!(h.strategy, Strategy::Learning) {
            if let (Some(d), Some(dt)) = (h.days.last(), t.days.last()) {
                c += d.0;
                ct += dt.0;
                b += d.1;
                imp += d.2;
            }
        }
    }
    (
        ratio((b - c) as f64, imp as f64),
        ratio((b - ct) as f64, imp as f64),
    )
}
