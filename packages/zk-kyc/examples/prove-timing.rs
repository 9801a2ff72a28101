//! Release timing of BLS12-381 proving at depth 20, by phase (a timing
//! command, not a test: figures go to docs/benchmarks.md with the machine load):
//!
//! ```text
//! cargo run --release -p zk-kyc --example prove-timing -- [runs]
//! ```
//!
//! Per run it measures wall time and the process's CPU time (user + system,
//! from `/proc/self/stat`, Linux, 10 ms ticks) of
//!
//! - `prove`: [`zk_kyc::prover::prove`] as the CLI calls it (constraint
//!   synthesis with matrices, LC inlining, QAP witness map, MSMs);
//! - the same split: synthesis with matrices | the constraint matrices |
//!   witness map and MSMs (`create_proof_with_reduction_and_matrices`);
//! - `prove (precomputed matrices)`: witness-only synthesis and the
//!   matrices computed once (what a prover keeping the matrices with its key
//!   would do) — [`zk_kyc::prover::Prover`].
//!
//! and once: the setup, and loading the proving key from its bytes
//! ([`zk_kyc::prover::KycCurve::kyc_read_proving_key`]).
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking

use std::time::Instant;

use ark_bls12_381::{Bls12_381, Fr};
use ark_groth16::Groth16;
use ark_relations::r1cs::{
    ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisMode,
};
use ark_std::UniformRand;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use zk_kyc::prover::{self, KycCurve, Prover};

/// CPU seconds (user + system) of this process so far.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // fields after the command name (which is in parentheses)
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after ')'
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

struct Timer {
    wall: Instant,
    cpu: f64,
}

impl Timer {
    fn start() -> Self {
        Timer {
            wall: Instant::now(),
            cpu: cpu_seconds(),
        }
    }

    /// (wall, cpu) seconds since start.
    fn stop(&self) -> (f64, f64) {
        (self.wall.elapsed().as_secs_f64(), cpu_seconds() - self.cpu)
    }
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5);
    println!(
        "threads: {} (rayon), load average before: {}",
        rayon_threads(),
        load()
    );
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let t = Timer::start();
    let (pk, vk) = Bls12_381::kyc_setup(&mut rng);
    let pvk = prover::prepare(&vk);
    let (w, c) = t.stop();
    println!("setup: wall {w:.3} s, cpu {c:.3} s");
    let bytes = Bls12_381::kyc_write_proving_key(&pk);
    let t = Timer::start();
    let pk = Bls12_381::kyc_read_proving_key(&bytes).expect("own bytes");
    let (w, c) = t.stop();
    println!(
        "load proving key ({} bytes): wall {w:.3} s, cpu {c:.3} s",
        bytes.len()
    );
    let input = prover::clean_input::<Fr>(&mut rng, Fr::from(7u64), Fr::from(9u64));
    let t = Timer::start();
    let fast = Prover::<Bls12_381>::new(pk.clone());
    let (w, c) = t.stop();
    println!("precompute matrices (once per key): wall {w:.3} s, cpu {c:.3} s");

    println!("| run | prove: wall / cpu | synthesis + matrices | to_matrices | witness map + MSMs | prove (precomputed matrices): wall / cpu | load |");
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | --- |");
    for run in 1..=runs {
        let t = Timer::start();
        let (proof, st) = prover::prove(&pk, &input, &mut rng).expect("clean input proves");
        let whole = t.stop();
        assert!(prover::verify(&pvk, &proof, &st));

        // the same, split
        let t = Timer::start();
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Prove {
            construct_matrices: true,
        });
        input
            .circuit()
            .generate_constraints(cs.clone())
            .expect("synthesizes");
        cs.finalize();
        let synth = t.stop();
        let t = Timer::start();
        let matrices = cs.to_matrices().expect("matrices were constructed");
        let to_m = t.stop();
        let t = Timer::start();
        let (r, s) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
        let assignment = {
            let p = cs.borrow().expect("one owner");
            [
                p.instance_assignment.as_slice(),
                p.witness_assignment.as_slice(),
            ]
            .concat()
        };
        let _ = Groth16::<Bls12_381>::create_proof_with_reduction_and_matrices(
            &pk,
            r,
            s,
            &matrices,
            cs.num_instance_variables(),
            cs.num_constraints(),
            &assignment,
        )
        .expect("proves");
        let msm = t.stop();

        let t = Timer::start();
        let (proof, st) = fast.prove(&input, &mut rng).expect("clean input proves");
        let pre = t.stop();
        assert!(prover::verify(&pvk, &proof, &st));
        println!(
            "| {run} | {:.3} / {:.2} s | {:.3} s | {:.3} s | {:.3} s | {:.3} / {:.2} s | {} |",
            whole.0,
            whole.1,
            synth.0,
            to_m.0,
            msm.0,
            pre.0,
            pre.1,
            load()
        );
    }
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
