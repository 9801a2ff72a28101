//! `aip-sim`: the README's main job (`ci/sim.sh`).

use anyhow::{bail, Context, Result};
use clap::Parser;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use aip_sim::cli::Args;
use aip_sim::report::{summary, write_outputs, Kpis};

fn main() -> Result<()> {
    let args = Args::parse();
    if args.node.is_some() {
        bail!("--node: running on a node through packages/chain-client is not implemented yet");
    }
    let mut engine = aip_sim::build(&args).context("set up the simulation")?;
    let pb = ProgressBar::new(engine.remaining() as u64);
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
    pb.finish_and_clear();
    if std::env::var_os("AIP_SIM_DEBUG").is_some() {
        for d in &engine.days {
            eprintln!("{d:?}");
        }
        for s in 0..aip_sim::rl::N_STATES {
            let a = engine.q.greedy(s);
            eprintln!(
                "state {s}: {:?} q={:.2}",
                aip_sim::rl::action(a),
                engine.q.get(s, a)
            );
        }
    }
    let k = Kpis::of(&engine)?;
    print!("{}", summary(&engine, &k));
    let files = write_outputs(&engine, &k, &args.out)?;
    println!("\nwrote {}", files.join(", "));
    Ok(())
}
