//! `aip-matcher report`: the figures of docs/benchmarks.md (section "Matcher").
use aip_matcher::{clear, simbench, welfare_of, Clearing, Method, Network, Order, OrderBook, Side};
use anyhow::{Context, Result};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
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

/// Every figure of the report: (grid name, network) for the integrator-book table.
pub fn run(
    data: &Path,
    grids: &[(String, Network)],
    exact_max: usize,
    from: usize,
    slots: usize,
    json_out: Option<&Path>,
) -> Result<()> {
    let integrator = integrator_table(grids)?;
    let net = simbench::load_network(data)?;
    let mut synthetic = Vec::new();
    println!(
        "## synthetic books on the {}-zone SimBench network (fastest of 3 runs, ms)\n",
        net.zones.len()
    );
    println!("| orders | gated offers | flow ms | flow welfare | LP ms | exact welfare | LP optimum | flow / LP | exact / LP | price-only ms |");
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for n in [1_000usize, 10_000, 100_000] {
        for gated in [0.0, 0.1] {
            let book = simbench::synthetic_book(n, &net, 42, gated);
            let (flow, flow_ms) = timed(&book, &net, Method::Flow, 3)?;
            let (_, po_ms) = timed(&book, &net, Method::PriceOnly, 3)?;
            let flow_w = welfare_of(&book, &net, &flow)?;
            let (lp_ms, exact_w, opt) = if n <= exact_max {
                let (c, ms) = timed(&book, &net, Method::Exact, 1)?;
                (Some(ms), Some(welfare_of(&book, &net, &c)?), c.lp_optimum)
            } else {
                (None, None, None)
            };
            let frac = opt.map(|o| flow_w / o);
            let exact_frac = opt.zip(exact_w).map(|(o, w)| w / o);
            let f = |v: Option<f64>, p: usize| v.map_or("-".to_string(), |v| format!("{v:.p$}"));
            let pct = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{:.4} %", v * 100.0));
            println!(
                "| {n} | {:.0} % | {flow_ms:.1} | {flow_w:.0} | {} | {} | {} | {} | {} | {po_ms:.1} |",
                gated * 100.0,
                f(lp_ms, 0),
                f(exact_w, 0),
                f(opt, 0),
                pct(frac),
                pct(exact_frac),
            );
            synthetic.push(
                json!({"orders": n, "gated_share": gated, "flow_ms": flow_ms,
                "flow_welfare": flow_w, "lp_ms": lp_ms, "exact_welfare": exact_w,
                "lp_optimum": opt, "flow_over_lp": frac, "exact_over_lp": exact_frac,
                "price_only_ms": po_ms}),
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
            let w = welfare_of(&book, &net, &a)?;
            lp_max_gap = lp_max_gap.max((opt - w).abs() / opt.abs().max(1.0));
            lp_checked += 1;
        }
        aware.add(&a, welfare_of(&book, &net, &a)?);
        naive.add(&p, welfare_of(&book, &net, &p)?);
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
        let v = json!({"integrator": integrator, "synthetic": synthetic, "real_grid": {
            "grid": grid.grid, "from_slot": from, "slots": slots,
            "aware": aware.json(), "price_only": naive.json(),
            "loss_reduction": loss_cut, "gross_surplus_cost": gross_cost, "net_welfare_gain": welfare_gain,
            "lp_checked_slots": lp_checked, "lp_max_relative_gap": lp_max_gap}});
        std::fs::write(p, serde_json::to_string_pretty(&v)?)?;
    }
    Ok(())
}

/// Books as an integrator might build them: half bids (150-350 uaip/kWh), half offers
/// (50-250), 50-3,000 Wh, about 10 % of offers premium-only and 30 % of bidders
/// premium; offers crowd the zones listed last, bids the zones listed first (weights
/// (rank + 1)^2), so that corridors bind.
pub fn integrator_book(n: usize, network: &Network, seed: u64) -> OrderBook {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let ids: Vec<u32> = network.zones.iter().map(|z| z.id).collect();
    let weights: Vec<u64> = (1..=ids.len() as u64).map(|r| r * r).collect();
    let total: u64 = weights.iter().sum();
    let pick = |rng: &mut ChaCha8Rng, reverse: bool| {
        let mut r = rng.gen_range(0..total.max(1));
        for (i, w) in weights.iter().enumerate() {
            if r < *w {
                return ids[if reverse { ids.len() - 1 - i } else { i }];
            }
            r -= w;
        }
        ids.first().copied().unwrap_or(0)
    };
    let orders = (0..n)
        .map(|i| {
            let side = if i % 2 == 0 { Side::Bid } else { Side::Offer };
            let trust = rng.gen_range(0..1000u32);
            Order {
                id: i as u64,
                owner: format!("owner-{i}"),
                side,
                zone: pick(&mut rng, side == Side::Bid),
                node: 0,
                wh: rng.gen_range(50..=3000),
                limit_price: match side {
                    Side::Bid => rng.gen_range(150..=350),
                    Side::Offer => rng.gen_range(50..=250),
                },
                premium_only: side == Side::Offer && rng.gen_bool(0.1),
                premium: side == Side::Bid && trust >= 700,
                trust,
                window: None,
            }
        })
        .collect();
    OrderBook { slot: 0, orders }
}

/// Every method's welfare recomputed from its trades ([`welfare_of`]) against the LP
/// optimum, on integrator books of 200, 2,000 and 20,000 orders per grid.
fn integrator_table(grids: &[(String, Network)]) -> Result<Vec<serde_json::Value>> {
    let mut out = Vec::new();
    if grids.is_empty() {
        return Ok(out);
    }
    println!("## integrator books (seed 7), welfare recomputed from the trades (uaip)\n");
    println!("| grid | orders | LP optimum | exact trades | LP − exact | exact / LP | flow trades | flow / LP | auto / LP | price-only / LP (capacity excess kWh) | exact ms | flow ms |");
    println!(
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for (name, net) in grids {
        for n in [200usize, 2_000, 20_000] {
            let book = integrator_book(n, net, 7);
            let (exact, exact_ms) = timed(&book, net, Method::Exact, 1)?;
            let (flow, flow_ms) = timed(&book, net, Method::Flow, 1)?;
            let auto = clear(&book, net, Method::Auto)?;
            let po = clear(&book, net, Method::PriceOnly)?;
            let opt = exact.lp_optimum.unwrap_or(f64::NAN);
            let w = |c: &Clearing| welfare_of(&book, net, c);
            let (we, wf, wa, wp) = (w(&exact)?, w(&flow)?, w(&auto)?, w(&po)?);
            println!(
                "| {name} | {n} | {opt:.3} | {we:.3} | {:.3} | {:.4} % | {wf:.3} | {:.4} % | {:.4} % | {:.2} % ({:.1}) | {exact_ms:.0} | {flow_ms:.1} |",
                opt - we,
                100.0 * we / opt,
                100.0 * wf / opt,
                100.0 * wa / opt,
                100.0 * wp / opt,
                po.capacity_excess_wh as f64 / 1e3,
            );
            out.push(json!({"grid": name, "orders": n, "lp_optimum": opt,
                "exact_welfare": we, "flow_welfare": wf, "auto_welfare": wa,
                "price_only_welfare": wp, "price_only_capacity_excess_wh": po.capacity_excess_wh,
                "exact_traded_wh": exact.traded_wh,
                "flow_traded_wh": flow.traded_wh, "exact_ms": exact_ms, "flow_ms": flow_ms}));
        }
    }
    println!();
    Ok(out)
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
    /// Adds a slot's clearing with its welfare recomputed from its trades.
    fn add(&mut self, c: &Clearing, welfare: f64) {
        self.traded += c.traded_wh as f64;
        self.demand += c.demand_wh as f64;
        self.local += c.local_wh as f64;
        self.losses += c.losses_wh;
        self.gross += c.gross_surplus;
        self.welfare += welfare;
        self.excess += c.capacity_excess_wh as f64;
    }
    fn json(&self) -> serde_json::Value {
        json!({"traded_wh": self.traded, "demand_wh": self.demand, "local_wh": self.local,
            "losses_wh": self.losses, "gross_surplus": self.gross, "welfare": self.welfare,
            "capacity_excess_wh": self.excess})
    }
}

/// Reads a network for `--grid`: a `network.json` (named after its folder), any other
/// JSON file (named after its stem) or an export folder holding `network.json`.
pub fn load_named_network(path: &Path) -> Result<(String, Network)> {
    let (file, name_of) = if path.is_dir() {
        (path.join("network.json"), path)
    } else if path.file_name().is_some_and(|f| f == "network.json") {
        (path.to_path_buf(), path.parent().unwrap_or(path))
    } else {
        (path.to_path_buf(), path)
    };
    let name = name_of.file_stem().map_or_else(
        || file.display().to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    let text = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
    let net = serde_json::from_slice(&text)
        .with_context(|| format!("{}: not a network model", file.display()))?;
    Ok((name, net))
}
