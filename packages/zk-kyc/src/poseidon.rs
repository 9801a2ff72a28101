//! Native Poseidon with the embedded constants, equal to arkworks'
//! `PoseidonSponge` (rate 2, capacity 1, squeeze one element): a 2-to-1 hash is
//! one permutation, a 4-to-1 hash two. Allocation-free, so it is cheap in wasm.

use crate::params::{PoseidonField, ALPHA, FULL_ROUNDS, PARTIAL_ROUNDS, WIDTH};

#[inline(always)]
fn sbox<F: PoseidonField>(x: F) -> F {
    debug_assert_eq!(ALPHA, 5);
    let x2 = x.square();
    let x4 = x2.square();
    x4 * x
}

#[inline(always)]
fn round<F: PoseidonField>(state: &mut [F; WIDTH], r: usize, full: bool) {
    let ark = &F::ARK[r];
    for (s, c) in state.iter_mut().zip(ark.iter()) {
        *s += c;
    }
    if full {
        for s in state.iter_mut() {
            *s = sbox(*s);
        }
    } else {
        state[0] = sbox(state[0]);
    }
    let old = *state;
    for (i, row) in F::MDS.iter().enumerate() {
        state[i] = old[0] * row[0] + old[1] * row[1] + old[2] * row[2];
    }
}

/// The Poseidon permutation over `[capacity, rate0, rate1]`.
pub fn permute<F: PoseidonField>(state: &mut [F; WIDTH]) {
    let half = FULL_ROUNDS / 2;
    for r in 0..half {
        round(state, r, true);
    }
    for r in half..half + PARTIAL_ROUNDS {
        round(state, r, false);
    }
    for r in half + PARTIAL_ROUNDS..FULL_ROUNDS + PARTIAL_ROUNDS {
        round(state, r, true);
    }
}

/// `Poseidon(a, b)`: absorb two elements, squeeze one.
pub fn hash2<F: PoseidonField>(a: F, b: F) -> F {
    let mut state = [F::zero(), a, b];
    permute(&mut state);
    state[1]
}

/// `Poseidon(a, b, c, d)`: absorb four elements, squeeze one.
pub fn hash4<F: PoseidonField>(a: F, b: F, c: F, d: F) -> F {
    hash(&[a, b, c, d])
}

/// `Poseidon(inputs…)`: absorb the elements in order, squeeze one; one
/// permutation per two elements (rounded up). An empty input hashes like `[0]`.
pub fn hash<F: PoseidonField>(inputs: &[F]) -> F {
    let mut state = [F::zero(); WIDTH];
    if inputs.is_empty() {
        permute(&mut state);
        return state[1];
    }
    for chunk in inputs.chunks(2) {
        for (s, x) in state[1..].iter_mut().zip(chunk) {
            *s += x;
        }
        permute(&mut state);
    }
    state[1]
}
