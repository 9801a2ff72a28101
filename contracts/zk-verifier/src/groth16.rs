//! Groth16 verification over BLS12-381 with the pairing host function.
//!
//! The only curve arithmetic in wasm is the public-input term
//! `L = IC0 + x·IC1`, a fixed-base comb: a key compiled into the code
//! ([`crate::keys`]) carries a table of [`EMBEDDED_TEETH`] teeth (32 doublings
//! and at most 32 additions), a key kept in storage one of [`STORED_TEETH`]
//! (85 and 85: every stored byte costs gas to read), instead of 255 doublings
//! and about 128 additions; the four pairings run natively in
//! `bls12_381_pairing_equality`, and point validation (curve and subgroup
//! checks) when the key is set runs natively in `bls12_381_aggregate_g1/g2`.
//! The contract does not use arkworks' (de)serialization: its big unrolled
//! functions exceed wasmer's 100-locals limit. Points are read and written
//! here with small helpers instead.

use ark_bls12_381::{Fq, Fr, G1Affine, G1Projective};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{BigInt, BigInteger, PrimeField, Zero};
use cosmwasm_std::Api;

use crate::ContractError;

/// A compressed G1 point, bytes.
pub const G1_COMPRESSED: usize = 48;
/// A compressed G2 point, bytes.
pub const G2_COMPRESSED: usize = 96;
/// Montgomery limbs of x and y, 6 × 8 bytes each.
pub const G1_RAW: usize = 96;
/// A | B | C.
pub const PROOF_LEN: usize = 2 * G1_COMPRESSED + G2_COMPRESSED;
/// The circuit has one public input, so the key has two IC points.
pub const PUBLIC_INPUTS: usize = 1;
/// The scalar's bits (BLS12-381's `r` is below 2^255).
const SCALAR_BITS: usize = 255;
/// Comb teeth of a key kept in storage: each table entry read costs storage
/// gas, so the table is small (7 points).
pub const STORED_TEETH: usize = 3;
/// Comb teeth of a key compiled into the code: the table costs no gas to read,
/// so it is large (255 points) and the multiplication short (32 doublings).
pub const EMBEDDED_TEETH: usize = 8;

/// Bits per row of a comb with `teeth` teeth (doublings per multiplication).
pub const fn comb_span(teeth: usize) -> usize {
    SCALAR_BITS.div_ceil(teeth)
}

/// Entries of a comb table with `teeth` teeth (every non-empty subset of the teeth).
pub const fn comb_points(teeth: usize) -> usize {
    (1 << teeth) - 1
}

/// Length of a prepared key (α | β γ δ | IC0 | comb table of IC1) for a comb
/// with `teeth` teeth.
pub const fn prepared_len(teeth: usize) -> usize {
    G1_COMPRESSED + 3 * G2_COMPRESSED + G1_RAW + comb_points(teeth) * G1_RAW
}

/// A prepared key as verification reads it, borrowed from the code (an
/// embedded key) or from the stored register record; nothing is copied.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KeyView<'a> {
    /// α (G1, compressed).
    pub alpha_g1: &'a [u8],
    /// β | γ | δ (G2, compressed): the `qs` of the pairing check.
    pub g2s: &'a [u8],
    /// IC0 (G1, Montgomery limbs: read without re-validation).
    pub ic0: &'a [u8],
    /// The comb table of IC1: entry `m - 1` is `Σ 2^(t·span)·IC1` over the set
    /// bits `t` of `m` (Montgomery limbs).
    pub comb: &'a [u8],
    /// The comb's teeth (its table holds `2^teeth - 1` points).
    pub teeth: usize,
}

impl<'a> KeyView<'a> {
    /// Splits prepared bytes made for a comb of `teeth` teeth; `None` if the
    /// length is not that layout's.
    pub fn parse(bytes: &'a [u8], teeth: usize) -> Option<Self> {
        if bytes.len() != prepared_len(teeth) {
            return None;
        }
        let (alpha_g1, rest) = bytes.split_at(G1_COMPRESSED);
        let (g2s, rest) = rest.split_at(3 * G2_COMPRESSED);
        let (ic0, comb) = rest.split_at(G1_RAW);
        Some(KeyView {
            alpha_g1,
            g2s,
            ic0,
            comb,
            teeth,
        })
    }
}

#[inline(never)]
fn dbl(acc: &mut G1Projective) {
    use ark_ec::AdditiveGroup;
    acc.double_in_place();
}

#[inline(never)]
fn add_mixed(acc: &mut G1Projective, p: &G1Affine) {
    *acc += p;
}

/// The comb table of `base` with `teeth` teeth: entry `m - 1` is
/// `Σ 2^(t·span)·base` over the set bits `t` of `m`.
pub fn comb_table(base: &G1Affine, teeth: usize) -> Vec<G1Affine> {
    let span = comb_span(teeth);
    let mut tooth = Vec::with_capacity(teeth);
    let mut b = G1Projective::from(*base);
    for t in 0..teeth {
        if t > 0 {
            for _ in 0..span {
                dbl(&mut b);
            }
        }
        tooth.push(b);
    }
    // entry m = entry (m without its top bit) + tooth(top bit): one addition each
    let mut table: Vec<G1Projective> = Vec::with_capacity(comb_points(teeth));
    for m in 1..=comb_points(teeth) {
        let top = usize::BITS as usize - 1 - m.leading_zeros() as usize;
        let rest = m & !(1 << top);
        let p = if rest == 0 {
            tooth[top]
        } else {
            table[rest - 1] + tooth[top]
        };
        table.push(p);
    }
    G1Projective::normalize_batch(&table)
}

/// `x·base` from `base`'s comb table of `teeth` teeth, as raw points (only
/// the entries used are decoded).
#[inline(never)]
pub fn comb_mul(table: &[u8], teeth: usize, x: &BigInt<4>) -> Option<G1Projective> {
    let span = comb_span(teeth);
    let mut acc = G1Projective::zero();
    for i in (0..span).rev() {
        dbl(&mut acc);
        let mut m = 0usize;
        for t in 0..teeth {
            let bit = i + t * span;
            if bit < 256 && x.get_bit(bit) {
                m |= 1 << t;
            }
        }
        if m != 0 {
            let entry = table.get((m - 1) * G1_RAW..m * G1_RAW)?;
            add_mixed(&mut acc, &g1_from_raw(entry)?);
        }
    }
    Some(acc)
}

const FLAG_COMPRESSED: u8 = 0x80;
const FLAG_INFINITY: u8 = 0x40;
const FLAG_GREATEST: u8 = 0x20;

fn vk_err(reason: impl Into<String>) -> ContractError {
    ContractError::MalformedVerifyingKey {
        reason: reason.into(),
    }
}

/// Big-endian 48 bytes (flags masked off) to the limbs of an integer. Kept
/// small and out of line: wasmer refuses functions with more than 100 locals.
#[inline(never)]
fn be_limbs(bytes: &[u8]) -> BigInt<6> {
    let mut le = [0u8; 48];
    for (i, b) in bytes.iter().take(48).enumerate() {
        le[47 - i] = *b;
    }
    le[47] &= 0x1f;
    let mut limbs = [0u64; 6];
    for (limb, chunk) in limbs.iter_mut().zip(le.chunks_exact(8)) {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        *limb = u64::from_le_bytes(b);
    }
    BigInt::new(limbs)
}

/// `a·b` out of line (a 6-limb Montgomery product is already ~60 locals).
#[inline(never)]
fn fq_mul(a: Fq, b: Fq) -> Fq {
    a * b
}

/// Like `Fq::from_bigint`, without inlining its Montgomery conversion: the raw
/// limbs times R² (Montgomery product) are the Montgomery form.
#[inline(never)]
fn fq_from_be(bytes: &[u8]) -> Option<Fq> {
    let a = be_limbs(bytes);
    if a >= Fq::MODULUS {
        return None;
    }
    Some(fq_mul(Fq::new_unchecked(a), Fq::new_unchecked(Fq::R2)))
}

/// Decompresses a (zcash-format) compressed G1 point without subgroup check.
#[inline(never)]
fn g1_decompress(bytes: &[u8]) -> Option<G1Affine> {
    let flags = bytes[0];
    if flags & FLAG_COMPRESSED == 0 {
        return None;
    }
    if flags & FLAG_INFINITY != 0 {
        return Some(G1Affine::zero());
    }
    let x = fq_from_be(bytes)?;
    G1Affine::get_point_from_x_unchecked(x, flags & FLAG_GREATEST != 0)
}

/// Compresses a G1 point (zcash format, as the host functions read it).
#[inline(never)]
fn g1_compress(p: &G1Affine) -> [u8; G1_COMPRESSED] {
    let mut out = [0u8; G1_COMPRESSED];
    let Some((x, y)) = p.xy() else {
        out[0] = FLAG_COMPRESSED | FLAG_INFINITY;
        return out;
    };
    let limbs = x.into_bigint().0;
    for (i, limb) in limbs.iter().enumerate() {
        let start = 48 - 8 * (i + 1);
        out[start..start + 8].copy_from_slice(&limb.to_be_bytes());
    }
    out[0] |= FLAG_COMPRESSED;
    if y.into_bigint() > (-y).into_bigint() {
        out[0] |= FLAG_GREATEST;
    }
    out
}

/// Montgomery limbs of an affine point (loaded back without any arithmetic).
#[inline(never)]
fn g1_to_raw(p: &G1Affine) -> Vec<u8> {
    let mut out = Vec::with_capacity(G1_RAW);
    let (x, y) = p.xy().unwrap_or((Fq::zero(), Fq::zero()));
    for limb in x.0 .0.iter().chain(y.0 .0.iter()) {
        out.extend_from_slice(&limb.to_le_bytes());
    }
    out
}

#[inline(never)]
fn g1_from_raw(bytes: &[u8]) -> Option<G1Affine> {
    if bytes.len() != G1_RAW {
        return None;
    }
    let mut limbs = [0u64; 12];
    for (i, limb) in limbs.iter_mut().enumerate() {
        let mut b = [0u8; 8];
        b.copy_from_slice(&bytes[8 * i..8 * i + 8]);
        *limb = u64::from_le_bytes(b);
    }
    let mut x = [0u64; 6];
    let mut y = [0u64; 6];
    x.copy_from_slice(&limbs[..6]);
    y.copy_from_slice(&limbs[6..]);
    let x = Fq::new_unchecked(BigInt::new(x));
    let y = Fq::new_unchecked(BigInt::new(y));
    if x.is_zero() && y.is_zero() {
        return Some(G1Affine::zero());
    }
    Some(G1Affine::new_unchecked(x, y))
}

/// A verifying key whose points the host validated, before preparation.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidKey {
    alpha_g1: Vec<u8>,
    g2s: Vec<u8>,
    ic0: G1Affine,
    ic1: G1Affine,
}

impl ValidKey {
    /// The prepared bytes for a comb of `teeth` teeth (what [`KeyView::parse`] reads).
    pub fn prepared(&self, teeth: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(prepared_len(teeth));
        out.extend_from_slice(&self.alpha_g1);
        out.extend_from_slice(&self.g2s);
        out.extend_from_slice(&g1_to_raw(&self.ic0));
        for p in comb_table(&self.ic1, teeth) {
            out.extend_from_slice(&g1_to_raw(&p));
        }
        out
    }
}

/// Parses an arkworks-compressed `VerifyingKey<Bls12_381>`:
/// α (G1) | β, γ, δ (G2) | u64 LE count | IC points (G1). Every point is
/// validated (on the curve, in the subgroup) by the host.
pub fn validate_key(api: &dyn Api, bytes: &[u8]) -> Result<ValidKey, ContractError> {
    let fixed = G1_COMPRESSED + 3 * G2_COMPRESSED + 8;
    if bytes.len() < fixed {
        return Err(vk_err(format!(
            "expected at least {fixed} bytes, got {}",
            bytes.len()
        )));
    }
    let (alpha, rest) = bytes.split_at(G1_COMPRESSED);
    let (g2s, rest) = rest.split_at(3 * G2_COMPRESSED);
    let (count, ics) = rest.split_at(8);
    api.bls12_381_aggregate_g1(alpha)
        .map_err(|e| vk_err(format!("alpha_g1: {e}")))?;
    for (i, name) in ["beta_g2", "gamma_g2", "delta_g2"].iter().enumerate() {
        api.bls12_381_aggregate_g2(&g2s[i * G2_COMPRESSED..(i + 1) * G2_COMPRESSED])
            .map_err(|e| vk_err(format!("{name}: {e}")))?;
    }
    let mut c = [0u8; 8];
    c.copy_from_slice(count);
    let count = u64::from_le_bytes(c);
    if ics.len() as u64 != count.saturating_mul(G1_COMPRESSED as u64) {
        return Err(vk_err(format!(
            "{count} IC points announced, {} bytes follow",
            ics.len()
        )));
    }
    if count != (PUBLIC_INPUTS + 1) as u64 {
        return Err(ContractError::VerifyingKeyInputs {
            expected: PUBLIC_INPUTS,
            got: count.saturating_sub(1) as usize,
        });
    }
    let mut points = Vec::with_capacity(2);
    for i in 0..2 {
        let enc = &ics[i * G1_COMPRESSED..(i + 1) * G1_COMPRESSED];
        api.bls12_381_aggregate_g1(enc)
            .map_err(|e| vk_err(format!("IC{i}: {e}")))?;
        points.push(g1_decompress(enc).ok_or_else(|| vk_err(format!("IC{i}: not a curve point")))?);
    }
    Ok(ValidKey {
        alpha_g1: alpha.to_vec(),
        g2s: g2s.to_vec(),
        ic0: points[0],
        ic1: points[1],
    })
}

/// `IC0 + x·IC1`, compressed.
pub fn public_term(key: &KeyView, x: Fr) -> Result<[u8; G1_COMPRESSED], ContractError> {
    let ic0 = g1_from_raw(key.ic0).ok_or_else(|| vk_err("prepared IC0"))?;
    let mut l = comb_mul(key.comb, key.teeth, &x.into_bigint())
        .ok_or_else(|| vk_err("prepared comb table"))?;
    add_mixed(&mut l, &ic0);
    let l = l.into_affine();
    Ok(g1_compress(&l))
}

/// Checks `e(A,B) = e(α,β)·e(L,γ)·e(C,δ)`. `Ok(false)` when the proof does not
/// verify; `Err` when A, B or C is not a valid point.
pub fn verify(api: &dyn Api, key: &KeyView, proof: &[u8], x: Fr) -> Result<bool, ContractError> {
    if proof.len() != PROOF_LEN {
        return Err(ContractError::ProofLength {
            expected: PROOF_LEN,
            got: proof.len(),
        });
    }
    let a = &proof[..G1_COMPRESSED];
    let b = &proof[G1_COMPRESSED..G1_COMPRESSED + G2_COMPRESSED];
    let c = &proof[G1_COMPRESSED + G2_COMPRESSED..];
    let l = public_term(key, x)?;
    let mut ps = Vec::with_capacity(3 * G1_COMPRESSED);
    ps.extend_from_slice(key.alpha_g1);
    ps.extend_from_slice(&l);
    ps.extend_from_slice(c);
    api.bls12_381_pairing_equality(&ps, key.g2s, a, b)
        .map_err(|e| ContractError::ProofPoints {
            reason: format!("A, B or C is not a valid compressed curve point ({e})"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::CurveGroup;
    use ark_serialize::CanonicalSerialize;
    use ark_std::UniformRand;

    #[test]
    fn point_codecs_match_arkworks() {
        let mut rng = ark_std::test_rng();
        for i in 0..20 {
            let p = if i == 0 {
                G1Affine::zero()
            } else {
                (G1Affine::generator() * Fr::rand(&mut rng)).into_affine()
            };
            let mut ark = Vec::new();
            p.serialize_compressed(&mut ark).unwrap();
            assert_eq!(g1_compress(&p).to_vec(), ark, "point {i}");
            assert_eq!(g1_decompress(&ark), Some(p));
            assert_eq!(g1_from_raw(&g1_to_raw(&p)), Some(p));
        }
        // not compressed, or x not on the curve
        assert_eq!(g1_decompress(&[0u8; 48]), None);
        let mut bad = [0xffu8; 48];
        bad[0] = 0x9f;
        assert_eq!(g1_decompress(&bad), None);
        assert_eq!(g1_from_raw(&[0u8; 95]), None);
    }

    #[test]
    fn comb_equals_double_and_add() {
        let mut rng = ark_std::test_rng();
        let base = (G1Affine::generator() * Fr::rand(&mut rng)).into_affine();
        let mut scalars = vec![Fr::zero(), Fr::from(1u64), -Fr::from(1u64)];
        scalars.extend((0..20).map(|_| Fr::rand(&mut rng)));
        for teeth in [1, STORED_TEETH, 4, EMBEDDED_TEETH] {
            let table: Vec<u8> = comb_table(&base, teeth)
                .iter()
                .flat_map(g1_to_raw)
                .collect();
            assert_eq!(table.len(), comb_points(teeth) * G1_RAW);
            for x in &scalars {
                let want = base.mul_bigint(x.into_bigint()).into_affine();
                let got = comb_mul(&table, teeth, &x.into_bigint()).unwrap();
                assert_eq!(got.into_affine(), want, "{teeth} teeth, {x}");
            }
            // a table too short for the scalar's bits is refused, not read past
            assert_eq!(
                comb_mul(
                    &table[..G1_RAW],
                    teeth.max(2),
                    &(-Fr::from(1u64)).into_bigint()
                ),
                None
            );
        }
    }
}
