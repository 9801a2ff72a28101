//! `aip-matcher report`: the figures of docs/benchmarks.md (section "Matcher").
use aip_matcher::{clear, simbench, Clearing, Method, Network, OrderBook};
use anyhow::Result;
use serde_json::json;
use std::path::Path;
use std::time::Instant;

fn timed(book: &OrderBook, net: &Network, m: Method, runs: usize) -> Result<(Clearing, f64)> {
    let mut best = f64::INFINITY;
    let mut out = None;
    for _ in 0..runs {
        let t = Instant::now();
        let c = clear(book, net, m)?;
        best = best.min(t.elapsed().as_secs_f64() * 1e3);
        out = Some(c);
    }
    Ok((out.expect("runs >= 1"), best))
}

pub fn run(
    data: &Path,
    exact_max: usize,
    from: usize,
    slots: usize,
    json_out: Option<&Path>,
) -> Result<()> {
    let net = simbench::load_network(data)?;
    let mut synthetic = Vec::new();
    println!(
        "## synthetic books on the {}-zone SimBench network (fastest of 3 runs, ms)\n",
        net.zones.len()
    );
    println!("| orders | gated offers | flow ms | flow welfare | LP ms | LP optimum | flow / LP | price-only ms |");
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for n in [1_000usize, 10_000, 100_000] {
        for gated in [0.0, 0.1] {
            let book = simbench::synthetic_book(n, &net, 42, gated);
            let (flow, flow_ms) = timed(&book, &net, Method::Flow, 3)?;
            let (_, po_ms) = timed(&book, &net, Method::PriceOnly, 3)?;
            let (lp_ms, opt) = if n <= exact_max {
                let (c, ms) = timed(&book, &net, Method::Exact, 1)?;
                (Some(ms), c.lp_optimum)
            } else {
                (None, None)
            };
            let frac = opt.map(|o| flow.welfare / o);
            let f = |v: Option<f64>, p: usize| v.map_or("-".to_string(), |v| format!("{v:.p$}"));
            println!(
                "| {n} | {:.0} % | {flow_ms:.1} | {:.0} | {} | {} | {} | {po_ms:.1} |",
                gated * 100.0,
                flow.welfare,
                f(lp_ms, 0),
                f(opt, 0),
                frac.map_or("-".to_string(), |v| format!("{:.4} %", v * 100.0)),
            );
            synthetic.push(
                json!({"orders": n, "gated_share": gated, "flow_ms": flow_ms,
                "flow_welfare": flow.welfare, "lp_ms": lp_ms, "lp_optimum": opt,
                "flow_over_lp": frac, "price_only_ms": po_ms}),
            );
        }
    }

    let grid = simbench::load_grid(data)?;
    let profiles = simbench::load_profiles(data)?;
    let (mut aware, mut naive) = (Totals::default(), Totals::default());
    let mut lp_checked = 0;
    let mut lp_max_gap: f64 = 0.0;
    for t in from..(from + slots).min(grid.slots) {
        let book = simbench::book_for_slot(&grid, &profiles, t, 7);
        let a = clear(&book, &net, Method::Flow)?;
        let p = clear(&book, &net, Method::PriceOnly)?;
        if t % 16 == 0 && !a.trades.is_empty() {
            let e = clear(&book, &net, Method::Exact)?;
            let opt = e.lp_optimum.unwrap_or(0.0);
            lp_max_gap = lp_max_gap.max((opt - a.welfare).abs() / opt.abs().max(1.0));
            lp_checked += 1;
        }
        aware.add(&a);
        naive.add(&p);
    }
    println!(
        "\n## real LV grid {} ({} households), slots {from}..{} (seeded prices)\n",
        grid.grid,
        grid.households.len(),
        from + slots
    );
    println!("| matcher | traded kWh | self-sufficiency | local share | losses kWh | loss share | gross surplus | welfare (net) | capacity excess kWh |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (name, s) in [("network-aware (flow)", &aware), ("price-only", &naive)] {
        println!(
            "| {name} | {:.1} | {:.2} % | {:.1} % | {:.2} | {:.2} % | {:.0} | {:.0} | {:.1} |",
            s.traded / 1e3,
            100.0 * s.traded / s.demand.max(1.0),
            100.0 * s.local / s.traded.max(1.0),
            s.losses / 1e3,
            100.0 * s.losses / s.traded.max(1.0),
            s.gross,
            s.welfare,
            s.excess / 1e3
        );
    }
    let loss_cut = 1.0 - aware.losses / naive.losses.max(1e-9);
    let gross_cost = 1.0 - aware.gross / naive.gross.max(1e-9);
    let welfare_gain = aware.welfare / naive.welfare.max(1e-9) - 1.0;
    println!(
        "\nnetwork-aware vs price-only: {:.1} % fewer losses, gross surplus {:.3} % lower, net welfare {:+.3} %; \
         flow = LP optimum on {lp_checked} checked slots (max relative gap {lp_max_gap:.2e})",
        100.0 * loss_cut,
        100.0 * gross_cost,
        100.0 * welfare_gain
    );
    if let Some(p) = json_out {
        let v = json!({"synthetic": synthetic, "real_grid": {
            "grid": grid.grid, "from_slot": from, "slots": slots,
            "aware": aware.json(), "price_only": naive.json(),
            "loss_reduction": loss_cut, "gross_surplus_cost": gross_cost, "net_welfare_gain": welfare_gain,
            "lp_checked_slots": lp_checked, "lp_max_relative_gap": lp_max_gap}});
        std::fs::write(p, serde_json::to_string_pretty(&v)?)?;
    }
    Ok(())
}

#[derive(Default)]
struct Totals {
    traded: f64,
    demand: f64,
    local: f64,
    losses: f64,
    gross: f64,
    welfare: f64,
    excess: f64,
}

impl Totals {
    fn add(&mut self, c: &Clearing) {
        self.traded += c.traded_wh as f64;
        self.demand += c.demand_wh as f64;
        self.local += c.local_wh as f64;
        self.losses += c.losses_wh;
        self.gross += c.gross_surplus;
        self.welfare += c.welfare;
        self.excess += c.capacity_excess_wh as f64;
    }
    fn json(&self) -> serde_json::Value {
        json!({"traded_wh": self.traded, "demand_wh": self.demand, "local_wh": self.local,
            "losses_wh": self.losses, "gross_surplus": self.gross, "welfare": self.welfare,
            "capacity_excess_wh": self.excess})
    }
}
