//! `aip-sim`: the README's main job (`ci/sim.sh`).
#![cfg_attr(test, allow(clippy::unwrap_used))] // tests report failures by panicking

use anyhow::{Context, Result};
use clap::Parser;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use aip_sim::cli::Args;
use aip_sim::report::{summary, write_outputs, Kpis};

fn main() -> Result<()> {
    let args = Args::parse();
    if let Some(path) = &args.train_policy {
        return aip_sim::evaluate::train_command(&args, path);
    }
    if args.bound {
        return aip_sim::evaluate::bound_command(&args);
    }
    if args.evaluate {
        return aip_sim::evaluate::evaluate(&args);
    }
    if !args.attack.is_empty() {
        return aip_sim::attack::evaluate(&args);
    }
    let mut engine = aip_sim::build(&args).context("set up the simulation")?;
    let mut twin = if args.no_twin || args.rl_share <= 0.0 {
        None
    } else {
        Some(aip_sim::build_with(&args, true).context("set up the twin run")?)
    };
    let total = engine.remaining() + twin.as_ref().map_or(0, |t| t.remaining());
    let pb = ProgressBar::new(total as u64);
    if args.quiet {
        pb.set_draw_target(ProgressDrawTarget::hidden());
    }
    pb.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} slots ({eta} left) {msg}",
        )?
        .progress_chars("=> "),
    );
    engine.run(|e| {
        pb.inc(1);
        if e.next.is_multiple_of(96) {
            pb.set_message(format!("day {} done", e.next / 96));
        }
    })?;
    if let Some(t) = twin.as_mut() {
        t.run(|e| {
            pb.inc(1);
            if e.next.is_multiple_of(96) {
                pb.set_message(format!("twin run: day {} done", e.next / 96));
            }
        })?;
    }
    pb.finish_and_clear();
    if std::env::var_os("AIP_SIM_DEBUG").is_some() {
        for d in &engine.days {
            eprintln!("{d:?}");
        }
    }
    let mut k = Kpis::of(&engine)?;
    if let Some(t) = &twin {
        let (rl, rule) = aip_sim::report::twin_savings(&engine, t);
        k.twin_rule_savings_last_day = Some(rule);
        k.rl_gain_over_twin_pp = Some(100.0 * (rl - rule));
        let (l, r) = aip_sim::evaluate::run_savings(&engine, t);
        k.rl_gain_over_twin_run_pp = Some(100.0 * (l - r));
        k.twin_peak_import_kw =
            Some(aip_sim::report::grid_kpis_of(t).peak_import_w as f64 / 1000.0);
    }
    print!("{}", summary(&engine, &k));
    let files = write_outputs(&engine, &k, &args.out)?;
    println!("\nwrote {}", files.join(", "));
    Ok(())
}
