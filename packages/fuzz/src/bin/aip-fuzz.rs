//! `aip-fuzz`: fuzz every contract (or some) through cw-multi-test.
//!
//! ```text
//! aip-fuzz [--cases N] [--seed S] [--run-len N] [--mutate PERMILLE]
//!          [--contract NAME]... [--schema-dir DIR] [--no-shrink]
//! ```
//! Prints one line per contract (cases, accepted, failures, time) and every
//! failure with its JSON; exits with 1 when anything failed.

use std::path::PathBuf;
use std::process::ExitCode;

use aip_fuzz::target::default_schema_dir;
use aip_fuzz::{Config, Fuzzer, Target};
use anyhow::{bail, Context, Result};

fn parse() -> Result<(Config, Vec<Target>, PathBuf)> {
    let mut cfg = Config::default();
    let mut targets = vec![];
    let mut dir = default_schema_dir();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().with_context(|| format!("{a} needs a value"));
        match a.as_str() {
            "--cases" => cfg.cases = val()?.parse()?,
            "--seed" => cfg.seed = val()?.parse()?,
            "--run-len" => cfg.run_len = val()?.parse()?,
            "--mutate" => cfg.mutate_permille = val()?.parse()?,
            "--schema-dir" => dir = val()?.into(),
            "--no-shrink" => cfg.shrink = false,
            "--contract" => {
                let n = val()?;
                targets.push(Target::from_name(&n).with_context(|| format!("no contract {n}"))?)
            }
            "-h" | "--help" => {
                println!(
                    "aip-fuzz [--cases N] [--seed S] [--run-len N] [--mutate PERMILLE] \
                     [--contract NAME]... [--schema-dir DIR] [--no-shrink]"
                );
                std::process::exit(0);
            }
            other => bail!("unknown argument {other}"),
        }
    }
    if targets.is_empty() {
        targets = Target::ALL.to_vec();
    }
    Ok((cfg, targets, dir))
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("aip-fuzz: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<bool> {
    let (cfg, targets, dir) = parse()?;
    println!(
        "aip-fuzz: seed {}, {} cases per contract, schemas from {}",
        cfg.seed,
        cfg.cases,
        dir.display()
    );
    let fuzzer = Fuzzer::new(&dir, cfg)?;
    let mut clean = true;
    for t in targets {
        let st = fuzzer.run_target(t)?;
        println!(
            "{:<13} cases {:>9}  executes {:>8} ({:>7} ok)  hooks {:>7} ({:>6} ok)  queries {:>8} ({:>7} ok)  migrations {:>6} ({:>5} ok)  worlds {:>6}  failures {} ({} distinct)  {:.1} s",
            t.name(),
            st.cases,
            st.executes,
            st.executes_ok,
            st.hooks,
            st.hooks_ok,
            st.queries,
            st.queries_ok,
            st.migrations,
            st.migrations_ok,
            st.worlds,
            st.failure_count,
            st.failures.len(),
            st.elapsed.as_secs_f64()
        );
        println!(
            "  accepted variants: {}",
            st.variants_ok.iter().cloned().collect::<Vec<_>>().join(" ")
        );
        for f in &st.failures {
            clean = false;
            println!(
                "  FAILURE (run {}, step {}): {:?}\n    action: {}",
                f.run, f.step, f.outcome, f.action
            );
            for (i, a) in f.reproducer.iter().enumerate() {
                println!("    reproducer {i}: {a}");
            }
        }
    }
    Ok(clean)
}
