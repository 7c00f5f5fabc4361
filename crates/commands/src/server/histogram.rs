//! Per-command latency histograms (LATENCY HISTOGRAM, INFO latencystats), with the bucket
//! layout Redis 7.0 gets from HdrHistogram configured for 1 ns … 1 s at 2 significant
//! figures: 256 sub-buckets, each doubling bucket keeping the upper half. Using the same
//! layout makes the reported bucket bounds and percentiles the numbers Redis prints.

/// Values are nanoseconds, clamped to this range as Redis does.
const MIN_VALUE: i64 = 1;
const MAX_VALUE: i64 = 1_000_000_000;
/// log2 of half the sub-bucket count (128).
const HALF_MAG: u32 = 7;
const HALF_COUNT: i64 = 1 << HALF_MAG;
const SUB_MASK: i64 = (1 << (HALF_MAG + 1)) - 1;
/// (bucket count 23 + 1) × half count.
const COUNTS_LEN: usize = 24 * 128;

#[derive(Clone)]
pub struct Histogram {
    counts: Box<[u64]>,
    total: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; COUNTS_LEN].into_boxed_slice(),
            total: 0,
        }
    }
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Histogram({} samples)", self.total)
    }
}

fn bucket_index(v: i64) -> i64 {
    let pow2ceiling = 64 - (v | SUB_MASK).leading_zeros() as i64;
    pow2ceiling - (HALF_MAG as i64 + 1)
}

fn counts_index(v: i64) -> usize {
    let b = bucket_index(v);
    let sub = v >> b;
    (((b + 1) << HALF_MAG) + sub - HALF_COUNT) as usize
}

fn value_at_index(idx: usize) -> i64 {
    let mut b = (idx as i64 >> HALF_MAG) - 1;
    let mut sub = (idx as i64 & (HALF_COUNT - 1)) + HALF_COUNT;
    if b < 0 {
        sub -= HALF_COUNT;
        b = 0;
    }
    sub << b
}

fn lowest_equivalent(v: i64) -> i64 {
    let b = bucket_index(v);
    (v >> b) << b
}

fn highest_equivalent(v: i64) -> i64 {
    let b = bucket_index(v);
    let sub = v >> b;
    let adjusted = if sub >= 2 * HALF_COUNT { b + 1 } else { b };
    lowest_equivalent(v) + (1i64 << adjusted) - 1
}

impl Histogram {
    /// Records one command run of `usec` microseconds.
    pub fn record_usec(&mut self, usec: u64) {
        let ns = (usec.min(MAX_VALUE as u64) as i64)
            .saturating_mul(1000)
            .clamp(MIN_VALUE, MAX_VALUE);
        self.counts[counts_index(ns)] += 1;
        self.total += 1;
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    /// The value (ns) at a percentile, as `hdr_value_at_percentile` computes it.
    pub fn value_at_percentile(&self, p: f64) -> i64 {
        let req = p.min(100.0);
        let mut want = ((req / 100.0) * self.total as f64 + 0.5) as u64;
        want = want.min(self.total);
        let mut seen = 0;
        let mut value = 0;
        for (idx, &c) in self.counts.iter().enumerate() {
            if seen >= want {
                break;
            }
            seen += c;
            value = value_at_index(idx);
        }
        if p == 0.0 {
            lowest_equivalent(value)
        } else {
            highest_equivalent(value)
        }
    }

    /// Cumulative counts at the power-of-two reporting levels 1024 ns, 2048 ns, … as
    /// `(upper bound in µs, cumulative count)`, only where the count grew (LATENCY
    /// HISTOGRAM's `histogram_usec`).
    pub fn log_buckets(&self) -> Vec<(i64, u64)> {
        let mut out = Vec::new();
        let (mut level, mut idx, mut cum, mut prev) = (1024i64, 0usize, 0u64, 0u64);
        while cum < self.total {
            let upto = counts_index(lowest_equivalent(level));
            while idx <= upto && idx < COUNTS_LEN {
                cum += self.counts[idx];
                idx += 1;
            }
            if idx >= COUNTS_LEN {
                cum = self.total;
            }
            if cum > prev {
                out.push((highest_equivalent(level) / 1000, cum));
            }
            prev = cum;
            level *= 2;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_bounds_match_redis() {
        let mut h = Histogram::default();
        for us in [0, 3, 16, 17, 30, 1000] {
            h.record_usec(us);
        }
        // Redis prints these bounds: 1 2 4 8 16 33 66 132 264 528 1056 …
        assert_eq!(
            h.log_buckets(),
            vec![(1, 1), (4, 2), (16, 3), (33, 5), (1056, 6)]
        );
        assert_eq!(h.total(), 6);
    }

    #[test]
    fn percentiles_match_redis_rounding() {
        let mut h = Histogram::default();
        h.record_usec(3);
        // 3 µs = 3000 ns lies in a 16 ns wide sub-bucket: 2992..=3007.
        assert_eq!(h.value_at_percentile(50.0), 3007);
        let mut z = Histogram::default();
        z.record_usec(0);
        assert_eq!(z.value_at_percentile(99.9), 1);
        let mut big = Histogram::default();
        big.record_usec(u64::MAX);
        assert_eq!(big.log_buckets().last().map(|b| b.1), Some(1));
    }
}
