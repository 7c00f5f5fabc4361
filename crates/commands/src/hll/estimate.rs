//! The numbers behind a HyperLogLog: the element hash (MurmurHash64A with Redis's seed), the
//! register index and zero-run length taken from it, and the cardinality estimate computed
//! from the histogram of register values (Otmar Ertl, "New cardinality estimation algorithms
//! for HyperLogLog sketches", arXiv:1702.01284: the estimator Redis uses since 5.0).
//!
//! Every step is done in the same order and precision as Redis so that counts match to the
//! unit, not just statistically.

use super::repr::{Q, REGISTERS};

/// Redis's seed for the HyperLogLog hash.
const SEED: u64 = 0xadc8_3b19;
/// Low bits of the hash that choose the register.
const P: u32 = 14;
/// 0.5 / ln 2: the estimator's limit constant.
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;

/// MurmurHash64A (Austin Appleby's MurmurHash2, 64-bit version), little-endian words.
pub fn murmur64a(data: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (data.len() as u64).wrapping_mul(M);
    let mut words = data.chunks_exact(8);
    for w in &mut words {
        let mut k = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = words.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= (b as u64) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register an element falls into and the length of the zero run (plus one) in the
/// rest of its hash: at least 1, at most `Q + 1`.
pub fn pattern(ele: &[u8]) -> (usize, u8) {
    let hash = murmur64a(ele, SEED);
    let index = (hash & (REGISTERS as u64 - 1)) as usize;
    // The sentinel bit caps the run so that the count fits the histogram.
    let rest = (hash >> P) | (1u64 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

/// The estimate from a histogram of register values (`hist[v]` registers hold `v`).
pub fn count(hist: &[u32; 64]) -> u64 {
    let m = REGISTERS as f64;
    let mut z = m * tau((m - hist[Q + 1] as f64) / m);
    for j in (1..=Q).rev() {
        z += hist[j] as f64;
        z *= 0.5;
    }
    z += m * sigma(hist[0] as f64 / m);
    // Rounded half away from zero, like llroundl of the double.
    (ALPHA_INF * m * m / z).round() as u64
}

/// Ertl's σ(x) = x + Σ x^(2^k) 2^(k-1), iterated until the sum stops changing.
fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let before = z;
        z += x * y;
        y += y;
        if z == before {
            return z;
        }
    }
}

/// Ertl's τ(x), iterated until the sum stops changing.
fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let before = z;
        y *= 0.5;
        // Redis writes pow(1 - x, 2); compilers fold that to one multiplication.
        let d = 1.0 - x;
        z -= d * d * y;
        if z == before {
            return z / 3.0;
        }
    }
}
