//! `aip-gas`: gas benchmarks and static checks of the optimized contracts.
//!
//! ```text
//! aip-gas <scenario>... [--update-docs] [--artifacts DIR] [--docs FILE]
//!     scenarios: token, intents, meter-oracle, zk, all
//! aip-gas sizes [--update-docs]      artifact sizes + VM check (docs table)
//! aip-gas check [NAME...]            the VM's static checks with wasmd's capabilities
//! ```
//! Tables go to stdout; `--update-docs` also rewrites the marked blocks in
//! docs/benchmarks.md.
#![cfg_attr(test, allow(clippy::unwrap_used))] // tests report failures by panicking

use std::path::PathBuf;

use aip_gas_bench::report::{self, thousands};
use aip_gas_bench::scenarios::{self, Ctx, Measured};
use aip_gas_bench::{check, Chain};
use anyhow::{bail, Context, Result};

const USAGE: &str = "usage: aip-gas <token|intents|meter-oracle|zk|all|sizes|check> [NAME...] \
                     [--update-docs] [--artifacts DIR] [--docs FILE]";

/// Size target for every contract after wasm-opt (docs/design.md).
const SIZE_TARGET_BYTES: u64 = 500_000;

struct Args {
    command: String,
    names: Vec<String>,
    update_docs: bool,
    artifacts: PathBuf,
    docs: PathBuf,
}

fn parse_args() -> Result<Args> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let root = root.canonicalize().unwrap_or(root);
    let mut args = std::env::args().skip(1);
    let mut out = Args {
        command: String::new(),
        names: Vec::new(),
        update_docs: false,
        artifacts: root.join("artifacts"),
        docs: root.join("docs/benchmarks.md"),
    };
    while let Some(a) = args.next() {
        match a.as_str() {
            "--update-docs" => out.update_docs = true,
            "--artifacts" => {
                out.artifacts = args.next().context("--artifacts needs a folder")?.into()
            }
            "--docs" => out.docs = args.next().context("--docs needs a file")?.into(),
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            s if s.starts_with('-') => bail!("unknown option {s}\n{USAGE}"),
            s if out.command.is_empty() => out.command = s.to_string(),
            s => out.names.push(s.to_string()),
        }
    }
    if out.command.is_empty() {
        bail!("{USAGE}");
    }
    Ok(out)
}

fn main() -> Result<()> {
    let args = parse_args()?;
    let ctx = Ctx::new(args.artifacts.clone());
    match args.command.as_str() {
        "check" => run_check(&args),
        "sizes" => run_sizes(&args),
        "all" => {
            let mut failed = Vec::new();
            for name in scenarios::ALL {
                if let Err(e) = run_scenario(&args, &ctx, name) {
                    eprintln!("{name}: {e:#}");
                    failed.push(*name);
                }
            }
            if !failed.is_empty() {
                bail!("scenarios failed: {}", failed.join(", "));
            }
            Ok(())
        }
        name => {
            run_scenario(&args, &ctx, name)?;
            for extra in &args.names {
                run_scenario(&args, &ctx, extra)?;
            }
            Ok(())
        }
    }
}

fn run_scenario(args: &Args, ctx: &Ctx, name: &str) -> Result<()> {
    let measured: Measured = scenarios::run(ctx, name)?;
    let md = measured.markdown();
    println!("## {}\n\n{md}", measured.title);
    if args.update_docs {
        report::update_file(&args.docs, measured.name, &md)
            .with_context(|| format!("updating {}", args.docs.display()))?;
        eprintln!("updated {} ({})", args.docs.display(), measured.name);
    }
    Ok(())
}

fn artifact_paths(args: &Args) -> Result<Vec<PathBuf>> {
    let mut paths: Vec<PathBuf> = if args.names.is_empty() {
        std::fs::read_dir(&args.artifacts)
            .with_context(|| format!("reading {}", args.artifacts.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
            .collect()
    } else {
        args.names
            .iter()
            .map(|n| args.artifacts.join(format!("{n}.wasm")))
            .collect()
    };
    paths.sort();
    if paths.is_empty() {
        bail!(
            "no .wasm files in {}: run ci/build-wasm.sh",
            args.artifacts.display()
        );
    }
    Ok(paths)
}

fn run_check(args: &Args) -> Result<()> {
    let mut failed = 0;
    for p in artifact_paths(args)? {
        match check::check_file(&p, false) {
            Ok(c) => println!(
                "{}: pass ({} bytes)",
                p.display(),
                thousands(c.bytes as u64)
            ),
            Err(e) => {
                failed += 1;
                println!("{}: FAIL {e:#}", p.display());
            }
        }
    }
    if failed > 0 {
        bail!("{failed} artifact(s) failed the VM's checks");
    }
    Ok(())
}

fn run_sizes(args: &Args) -> Result<()> {
    let chain = Chain::new()?;
    let mut table = String::from(
        "| contract | bytes | KiB | ≤ 500 KB (500,000 bytes) | VM check (wasmd v0.61 capabilities) | capabilities required |\n\
         | --- | ---: | ---: | --- | --- | --- |\n",
    );
    for p in artifact_paths(args)? {
        let name = p
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let bytes = std::fs::metadata(&p)?.len();
        let (verdict, caps) = match chain.store_code_file(&p) {
            Ok(code) => {
                let caps = chain.analyze(&code)?.required_capabilities;
                let caps = if caps.is_empty() {
                    "none".to_string()
                } else {
                    caps.into_iter().collect::<Vec<_>>().join(", ")
                };
                ("pass".to_string(), caps)
            }
            Err(e) => (format!("**FAIL**: {e:#}"), String::new()),
        };
        let fits = if bytes <= SIZE_TARGET_BYTES {
            "yes"
        } else if bytes <= 500 * 1024 {
            "**no** (under 500 KiB)"
        } else {
            "**no**"
        };
        table.push_str(&format!(
            "| {name} | {} | {} | {fits} | {verdict} | {caps} |\n",
            thousands(bytes),
            thousands(bytes / 1024)
        ));
    }
    let md = format!(
        "Measured by `cargo run -p aip-gas-bench --bin aip-gas -- sizes` on the artifacts of `ci/build-wasm.sh`.\n\n{table}"
    );
    println!("{md}");
    if args.update_docs {
        report::update_file(&args.docs, "sizes", &md)?;
        eprintln!("updated {} (sizes)", args.docs.display());
    }
    Ok(())
}
