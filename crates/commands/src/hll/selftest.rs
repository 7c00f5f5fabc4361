//! PFSELFTEST's checks: dense register packing round-trips, the sparse and dense encodings
//! agree register for register while elements are added, and the estimate stays within a
//! few standard errors of the truth. Quick (a few milliseconds) and deterministic.

use super::estimate;
use super::repr::{self, DENSE_LEN, HDR, REGISTERS};

pub fn run() -> Result<(), String> {
    registers()?;
    encodings_and_estimate()
}

/// Every register set to a pseudo-random value reads back unchanged, neighbours intact.
fn registers() -> Result<(), String> {
    let mut regs = vec![0u8; DENSE_LEN - HDR];
    let mut want = vec![0u8; REGISTERS];
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for round in 0..2 {
        for (i, w) in want.iter_mut().enumerate() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *w = (x % 64) as u8;
            repr::set_reg(&mut regs, i, *w);
        }
        for (i, &w) in want.iter().enumerate() {
            if repr::get_reg(&regs, i) != w {
                return Err(format!("Register error at {i} (round {round})"));
            }
        }
    }
    Ok(())
}

/// Adds the same elements to a sparse and a dense HLL; compares them at checkpoints, and
/// the estimate with the true cardinality.
fn encodings_and_estimate() -> Result<(), String> {
    let mut sparse = repr::new_sparse();
    let mut dense = repr::to_dense(&sparse).map_err(|_| "fresh HLL is corrupt".to_string())?;
    if count(&sparse)? != 0 || count(&dense)? != 0 {
        return Err("empty HLL does not count 0".into());
    }
    let mut checkpoints = [10usize, 100, 1000, 5000, 20000].into_iter().peekable();
    for n in 1..=20000usize {
        let (index, c) = estimate::pattern(format!("selftest:{n}").as_bytes());
        let a = repr::add(&mut sparse, index, c, usize::MAX).map_err(|_| "sparse corrupt")?;
        let b = repr::add(&mut dense, index, c, usize::MAX).map_err(|_| "dense corrupt")?;
        if a != b {
            return Err(format!("sparse and dense disagree on a change at {n}"));
        }
        if checkpoints.peek() != Some(&n) {
            continue;
        }
        checkpoints.next();
        let as_dense = if sparse[4] == repr::SPARSE {
            repr::to_dense(&sparse).map_err(|_| "sparse corrupt")?
        } else {
            sparse.clone()
        };
        if as_dense[HDR..] != dense[HDR..] {
            return Err(format!("sparse and dense registers differ at {n}"));
        }
        let est = count(&sparse)? as f64;
        // Standard error 1.04/sqrt(16384) = 0.81%; allow five of them.
        let tolerance = (n as f64 * 0.041).max(2.0);
        if (est - n as f64).abs() > tolerance {
            return Err(format!("estimate {est} too far from {n}"));
        }
    }
    Ok(())
}

fn count(s: &[u8]) -> Result<u64, String> {
    let h = repr::histogram(s).map_err(|_| "corrupt histogram".to_string())?;
    Ok(estimate::count(&h))
}
