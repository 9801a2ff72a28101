//! End-to-end properties of the simulation on the in-process chain with the
//! real contracts (a small synthetic fixture scenario keeps them fast).
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking

use aip_sim::adapters::MatcherClearing;
use aip_sim::engine::{Engine, SimConfig};
use aip_sim::forecast::SeasonalNaive;
use aip_sim::inprocess::InProcessChain;
use aip_sim::report::Kpis;
use aip_sim::rl::{action, BatteryMode, State};
use aip_sim::scenario::Scenario;

fn engine(households: usize, days: usize, cfg: SimConfig) -> Engine {
    let scenario = Scenario::fixture(households, days);
    let clearing = MatcherClearing {
        method: aip_matcher::Method::Auto,
    };
    Engine::new(
        scenario,
        cfg,
        Box::new(InProcessChain::new().expect("deploy")),
        Box::new(clearing),
        Box::new(SeasonalNaive),
    )
    .expect("engine")
}

#[test]
fn same_seed_gives_the_same_kpis_and_another_seed_does_not() {
    let run = |seed| {
        let mut e = engine(
            6,
            1,
            SimConfig {
                seed,
                ..SimConfig::default()
            },
        );
        e.run(|_| {}).expect("run");
        Kpis::of(&e).expect("kpis")
    };
    let a = run(7);
    assert!(a.trades > 0, "the fixture trades: {a:?}");
    assert_eq!(a, run(7));
    assert_ne!(a, run(8));
}

#[test]
fn tokens_are_conserved_through_every_slot_of_a_day() {
    let mut e = engine(6, 1, SimConfig::default());
    let supply = e.chain.audit().expect("audit").total_supply;
    let mut settled = 0;
    while e.remaining() > 0 {
        e.step().expect("step");
        let a = e.chain.audit().expect("audit");
        // supply = participants + role accounts + what settlement holds, and
        // settlement's books (orders + trades + free balances + bonds) equal its balance
        assert!(a.conserved(), "slot {}: {a:?}", e.next);
        assert_eq!(a.total_supply, supply, "nothing minted or burned");
        settled = e.totals.settle.settled;
    }
    assert!(settled > 0, "trades settled on chain");
    assert_eq!(e.totals.audit_failures, 0);
    assert_eq!(
        e.totals.batches_rejected, 0,
        "{:?}",
        e.totals.first_rejection
    );
    // every matched trade went into its slot's one batch
    assert_eq!(e.totals.trades_skipped, 0, "{:?}", e.totals.first_skip);
    assert_eq!(
        e.totals.batches_committed,
        e.series.iter().filter(|p| p.traded_wh > 0).count() as u64
    );
    // what households hold (wallet + settlement ledger) moved only by trading
    let held: u128 = e.chain.balances().expect("balances").iter().sum();
    let fees_and_rest = supply - held;
    let a = e.chain.audit().expect("audit");
    assert_eq!(
        fees_and_rest,
        a.others + a.contracts.values().sum::<u128>() - locked(&e)
    );
}

/// What settlement holds for households (their deposits, free and locked,
/// counted in `balances`).
fn locked(e: &Engine) -> u128 {
    let a = e.chain.audit().expect("audit");
    let held: u128 = e.chain.balances().expect("balances").iter().sum();
    // balances() = wallet + free + locked in settlement; participants = wallet only
    held - a.participants
}

/// The learning bidder's problem without the market: one household with a
/// home battery on the time-of-use tariff, the same state, actions and reward
/// as in the simulation, trained over identical days.
#[test]
fn the_learning_bidder_learns_to_charge_off_peak_and_its_daily_bill_falls() {
    use aip_sim::agent::{Battery, Tariff};
    use aip_sim::engine::reward;
    use aip_sim::rl::{action_index, QParams, QTable};
    use rand::SeedableRng;

    let scn = Scenario::fixture(2, 1);
    let h = &scn.households[1]; // no PV: evening peak load
    let tariff = Tariff::default();
    // One household explores alone (in the simulation the learning
    // households share the table), so it explores longer.
    let params = QParams {
        alpha: 0.2,
        epsilon_start: 0.3,
        epsilon_decay: 0.9,
        ..QParams::default()
    };
    let mut q = QTable::warm(params, action_index(BatteryMode::SelfConsume, 0.5));
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let mut battery = Battery::new(5.0);
    let mut daily = Vec::new();
    let mut prev: Option<(usize, usize, f64)> = None;
    for _day in 0..40 {
        let mut bill = 0i128;
        for k in 0..96 {
            let (load, pv) = (h.load_wh[k], h.pv_wh[k]);
            let hour = (k / 4) as u32;
            let s = State::observe(hour, battery.soc_fraction(), pv > load).index();
            if let Some((ps, pa, r)) = prev.take() {
                q.update(ps, pa, r, s);
            }
            let a = q.choose(s, &mut rng);
            let (draw, deliver) = battery.plan(action(a).battery, load, pv);
            let before = battery.soc_wh as i64;
            let (drawn, delivered) = battery.execute(draw, deliver);
            let net = load as i128 + drawn as i128 - pv as i128 - delivered as i128;
            let retail = tariff.retail(hour) as i128;
            let cost = if net > 0 {
                net * retail / 1000
            } else {
                net * tariff.feed_in as i128 / 1000
            };
            let raw = load as i128 - pv as i128;
            let baseline = raw * retail / 1000;
            bill += cost;
            let r = reward(baseline, cost, battery.soc_wh as i64 - before, &tariff);
            prev = Some((s, a, r));
        }
        daily.push(bill);
        q.end_of_day();
    }
    // Learned: at night (off-peak) with an empty battery, charge for the peak.
    let night = State::observe(2, 0.0, false).index();
    let row: Vec<f64> = (0..aip_sim::rl::N_ACTIONS)
        .map(|a| q.get(night, a))
        .collect();
    assert_eq!(
        action(q.greedy(night)).battery,
        BatteryMode::Charge,
        "Q(night, .) = {row:?}"
    );
    // ... and in the evening peak with a full battery, use it.
    let peak = State::observe(18, 0.9, false).index();
    assert!(matches!(
        action(q.greedy(peak)).battery,
        BatteryMode::SelfConsume | BatteryMode::Discharge
    ));
    // The bill of an identical day falls as it learns.
    let last: i128 = daily[35..].iter().sum::<i128>() / 5;
    assert!(last < daily[1], "daily bills (uaip): {daily:?}");
}

#[test]
fn injections_csv_has_every_meter_of_every_slot_at_its_bus_and_balances_the_energy() {
    let mut e = engine(6, 1, SimConfig::default());
    e.run(|_| {}).expect("run");
    let csv = aip_sim::report::injections_csv(&e);
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some(aip_sim::report::INJECTIONS_HEADER));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let n = e.households.len();
    assert_eq!(rows.len(), e.series.len() * n, "one row per slot and meter");
    let num = |s: &str| s.parse::<i64>().expect("integer");
    let mut net_sum = 0i64;
    let mut exported_any = false;
    for (k, chunk) in rows.chunks(n).enumerate() {
        for (i, r) in chunk.iter().enumerate() {
            let h = &e.scenario.households[i];
            assert_eq!(r.len(), 7, "{r:?}");
            assert_eq!(num(r[0]) as u64, e.series[k].start, "slot {k}");
            assert_eq!(r[1], h.name);
            assert_eq!(num(r[2]), i64::from(h.node), "the household's bus");
            assert_eq!(num(r[3]), i64::from(h.zone));
            let (exp, imp) = (num(r[4]), num(r[5]));
            assert!(
                exp == 0 || imp == 0,
                "a meter either exports or imports: {r:?}"
            );
            assert_eq!(num(r[6]), exp - imp, "net injection = export - import");
            exported_any |= exp > 0;
            net_sum += exp - imp;
        }
    }
    assert!(exported_any, "the fixture's PV exports at noon");
    // Energy balance over the run: what the meters injected is PV plus
    // battery output minus load and battery intake.
    let t = &e.totals;
    assert_eq!(
        net_sum,
        t.pv_wh as i64 + t.battery_out_wh as i64 - t.load_wh as i64 - t.battery_in_wh as i64
    );
    // and it is what write_outputs puts in the output folder
    let dir = std::env::temp_dir().join(format!("aip-sim-inj-{}", std::process::id()));
    let k = Kpis::of(&e).expect("kpis");
    aip_sim::report::write_outputs(&e, &k, &dir).expect("write");
    let written = std::fs::read_to_string(dir.join("injections.csv")).expect("injections.csv");
    assert_eq!(written, csv);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_matcher_method_is_chosen_on_the_command_line_and_a_wrong_one_is_refused() {
    use aip_sim::cli::Args;
    use clap::Parser;
    let a = Args::try_parse_from(["aip-sim"]).expect("defaults");
    assert_eq!(a.method, aip_matcher::Method::Auto);
    let a = Args::try_parse_from(["aip-sim", "--method", "price-only"]).expect("price-only");
    assert_eq!(a.method, aip_matcher::Method::PriceOnly);
    let e = Args::try_parse_from(["aip-sim", "--method", "cheap"]).expect_err("refused");
    assert!(
        e.to_string()
            .contains("unknown method \"cheap\" (auto, exact, flow, price-only)"),
        "{e}"
    );
}

/// Grid KPIs on a hand-checked case: 4 fixture households, no battery, every
/// household on the rule, so each meter shows its load minus its PV. The
/// community's load peaks at 19:00 (slot 76), where the evening term of the
/// fixture's load is 1 and there is no sun: household i draws
/// (0.25 + 1.2 + 0.05 i) kW × 0.25 h = 362.5 → 363, 375, 387.5 → 388, 400 Wh,
/// 1,526 Wh in all: 6.104 kW. Against a 6 kVA transformer (1,500 Wh per
/// slot) the slots at 18:45 and 19:15 (evening term e^-1/64: 358 + 370 + 383
/// + 395 = 1,506 Wh) are over too; 18:30 (e^-1/16: 1,452 Wh) is not: 3 slots.
#[test]
fn peak_import_and_slots_over_the_transformer_rating_match_the_hand_count() {
    let mut e = engine(
        4,
        1,
        SimConfig {
            rl_share: 0.0,
            battery_kwh: 0.0,
            transformer_va: Some(6_000),
            ..SimConfig::default()
        },
    );
    e.run(|_| {}).expect("run");
    let k = Kpis::of(&e).expect("kpis");
    assert_eq!(k.peak_import_kw, 6.104);
    let day = e.series[0].start;
    assert_eq!(k.peak_import_slot, Some(day + 76 * 900));
    assert_eq!(k.transformer_kva, Some(6.0));
    assert_eq!(k.slots_over_transformer, Some(3));
    assert!(aip_sim::report::summary(&e, &k).contains(
        "grid              peak import 6.1 kW (slot 2025-11-26 19:00); 3 slot(s) above the transformer's 6 kVA"
    ));
}
