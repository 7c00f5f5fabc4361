//! The two C sorts whose handling of ties shows in Redis 7.0's replies, reproduced
//! comparison for comparison so that elements comparing equal land exactly where Redis puts
//! them:
//!
//! - [`partial_sort`]: Redis's `pqsort`, the Bentley–McIlroy quicksort of BSD libc that skips
//!   partitions lying wholly outside the wanted ranks; not stable. Used by SORT … BY … LIMIT
//!   and by the GEO searches with COUNT below the number found. Redis 7.0's copy has no
//!   "no swaps: finish by insertion sort" shortcut for presorted input (later libc versions
//!   have it), so neither has this one.
//! - [`merge_sort`]: glibc 2.36's `qsort`, a top-down merge sort (first half `n / 2`); stable.
//!   Used by the GEO searches returning every result. SORT's full sorts use Rust's stable sort
//!   instead: its comparator is a total order, where every stable sort gives the same result.
//!
//! Both follow the C code's comparisons exactly, so an inconsistent comparator (a NaN
//! distance) orders as in C instead of tripping Rust's sort checks. Recursion is an explicit
//! stack, so hostile data cannot overflow ours.

use std::cmp::Ordering;

/// Sorts `v` enough that ranks `lo..=hi` hold what a full sort would put there (the rest is
/// partitioned around them), with exactly the comparisons and swaps of Redis's `pqsort`;
/// `hi < lo` is an empty range.
pub fn partial_sort<T>(v: &mut [T], lo: i64, hi: i64, mut cmp: impl FnMut(&T, &T) -> Ordering) {
    // Partitions still to sort: (start, length). Each is independent of the others, so an
    // explicit stack gives the same result as C's recursion without its depth.
    let mut work = vec![(0usize, v.len())];
    while let Some((a, n)) = work.pop() {
        partition_loop(v, &mut cmp, a, n, (lo, hi), &mut work);
    }
}

/// False when the partition `[start, start + len)` lies wholly before or after `lo..=hi`.
fn wanted(start: usize, len: usize, (lo, hi): (i64, i64)) -> bool {
    let (s, e) = (start as i64, (start + len) as i64);
    !((lo < s && hi < s) || (lo >= e && hi >= e))
}

/// One partition of `[a, a + n)`: sorts small ones, otherwise splits around a median of
/// three (or of nine), queues the left part and goes on with the right one, as C recurses
/// and loops, skipping parts outside the wanted ranks.
fn partition_loop<T>(
    v: &mut [T],
    cmp: &mut impl FnMut(&T, &T) -> Ordering,
    mut a: usize,
    mut n: usize,
    range: (i64, i64),
    work: &mut Vec<(usize, usize)>,
) {
    loop {
        if n < 7 {
            insertion(v, cmp, a, n);
            return;
        }
        let mut pm = a + n / 2;
        if n > 7 {
            let mut pl = a;
            let mut pn = a + n - 1;
            if n > 40 {
                let d = n / 8;
                pl = med3(v, cmp, pl, pl + d, pl + 2 * d);
                pm = med3(v, cmp, pm - d, pm, pm + d);
                pn = med3(v, cmp, pn - 2 * d, pn - d, pn);
            }
            pm = med3(v, cmp, pl, pm, pn);
        }
        v.swap(a, pm);
        let (mut pa, mut pb) = (a + 1, a + 1);
        let (mut pc, mut pd) = (a + n - 1, a + n - 1);
        loop {
            while pb <= pc {
                let r = cmp(&v[pb], &v[a]);
                if r == Ordering::Greater {
                    break;
                }
                if r == Ordering::Equal {
                    v.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb <= pc {
                let r = cmp(&v[pc], &v[a]);
                if r == Ordering::Less {
                    break;
                }
                if r == Ordering::Equal {
                    v.swap(pc, pd);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            v.swap(pb, pc);
            pb += 1;
            pc -= 1;
        }
        // Move the runs equal to the pivot from both ends into the middle.
        let pn = a + n;
        let r = (pa - a).min(pb - pa);
        swap_runs(v, a, pb - r, r);
        let r = (pd - pc).min(pn - pd - 1);
        swap_runs(v, pb, pn - r, r);
        let left = pb - pa;
        if left > 1 && wanted(a, left, range) {
            work.push((a, left));
        }
        let right = pd - pc;
        if right <= 1 {
            return;
        }
        a = pn - right;
        n = right;
        if !wanted(a, n, range) {
            return;
        }
    }
}

fn insertion<T>(v: &mut [T], cmp: &mut impl FnMut(&T, &T) -> Ordering, a: usize, n: usize) {
    for m in a + 1..a + n {
        let mut l = m;
        while l > a && cmp(&v[l - 1], &v[l]) == Ordering::Greater {
            v.swap(l, l - 1);
            l -= 1;
        }
    }
}

fn med3<T>(
    v: &[T],
    cmp: &mut impl FnMut(&T, &T) -> Ordering,
    a: usize,
    b: usize,
    c: usize,
) -> usize {
    if cmp(&v[a], &v[b]) == Ordering::Less {
        if cmp(&v[b], &v[c]) == Ordering::Less {
            b
        } else if cmp(&v[a], &v[c]) == Ordering::Less {
            c
        } else {
            a
        }
    } else if cmp(&v[b], &v[c]) == Ordering::Greater {
        b
    } else if cmp(&v[a], &v[c]) == Ordering::Less {
        a
    } else {
        c
    }
}

/// Swaps the `n` elements from `x` with the `n` from `y` (C's `vecswap`).
fn swap_runs<T>(v: &mut [T], x: usize, y: usize, n: usize) {
    for i in 0..n {
        v.swap(x + i, y + i);
    }
}

/// Sorts `v` as glibc's merge sort does.
pub fn merge_sort<T: Clone>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    if v.len() <= 1 {
        return;
    }
    let mut tmp = Vec::with_capacity(v.len());
    msort(v, &mut tmp, &mut cmp);
}

fn msort<T: Clone>(v: &mut [T], tmp: &mut Vec<T>, cmp: &mut impl FnMut(&T, &T) -> Ordering) {
    let n = v.len();
    if n <= 1 {
        return;
    }
    let n1 = n / 2;
    msort(&mut v[..n1], tmp, cmp);
    msort(&mut v[n1..], tmp, cmp);
    tmp.clear();
    let (mut i, mut j) = (0, n1);
    while i < n1 && j < n {
        if cmp(&v[i], &v[j]) != Ordering::Greater {
            tmp.push(v[i].clone());
            i += 1;
        } else {
            tmp.push(v[j].clone());
            j += 1;
        }
    }
    // What is left of the second half is already in place.
    tmp.extend_from_slice(&v[i..n1]);
    v[..tmp.len()].clone_from_slice(tmp);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_key(a: &(u32, usize), b: &(u32, usize)) -> Ordering {
        a.0.cmp(&b.0)
    }

    /// A small deterministic generator (xorshift), for inputs with many ties.
    fn input(n: usize, seed: u64, spread: u32) -> Vec<(u32, usize)> {
        let mut x = seed;
        (0..n)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                ((x % u64::from(spread)) as u32, i)
            })
            .collect()
    }

    fn rng(seed: &mut u64) -> u64 {
        *seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = *seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    #[test]
    fn merge_sort_is_stable() {
        for n in [0, 1, 2, 7, 40, 41, 300] {
            let mut v = input(n, 7 + n as u64, 5);
            let mut want = v.clone();
            want.sort_by_key(|p| p.0);
            merge_sort(&mut v, by_key);
            assert_eq!(v, want);
        }
    }

    #[test]
    fn partial_sort_places_the_wanted_ranks() {
        for n in [1, 6, 7, 8, 40, 41, 100, 1000] {
            for spread in [3, 1000, 1_000_000] {
                let mut want: Vec<u32> = input(n, 99 + n as u64, spread)
                    .iter()
                    .map(|p| p.0)
                    .collect();
                want.sort_unstable();
                for hi in [0, n / 3, n - 1] {
                    let mut v = input(n, 99 + n as u64, spread);
                    partial_sort(&mut v, 0, hi as i64, by_key);
                    let got: Vec<u32> = v[..=hi].iter().map(|p| p.0).collect();
                    assert_eq!(got, want[..=hi], "n={n} spread={spread} hi={hi}");
                    let mut all: Vec<usize> = v.iter().map(|p| p.1).collect();
                    all.sort_unstable();
                    assert!(all.iter().copied().eq(0..n), "a permutation");
                }
            }
        }
    }

    /// Ranges anywhere, including empty (`hi < lo`) and partly outside the slice.
    #[test]
    fn partial_sort_places_any_range_like_a_full_sort() {
        let mut seed = 7;
        for _ in 0..2000 {
            let n = (rng(&mut seed) % 120) as usize;
            let v: Vec<u64> = (0..n).map(|_| rng(&mut seed) % 50).collect();
            let mut sorted = v.clone();
            sorted.sort();
            let lo = (rng(&mut seed) % (n as u64 + 2)) as i64 - 1;
            let hi = lo + (rng(&mut seed) % 40) as i64 - 1;
            let mut p = v.clone();
            partial_sort(&mut p, lo, hi, |a, b| a.cmp(b));
            let (a, b) = (lo.max(0) as usize, (hi.min(n as i64 - 1)).max(-1));
            if b >= a as i64 {
                assert_eq!(p[a..=b as usize], sorted[a..=b as usize], "{v:?} {lo} {hi}");
            }
            let mut all = p.clone();
            all.sort();
            assert_eq!(all, sorted, "a permutation");
        }
    }

    /// Ties come out as Redis 7.0's `pqsort` leaves them: without the later libc's switch to
    /// insertion sort when a partition pass swapped nothing (which would give ids 1, 4, 2).
    /// SORT's own case (ALPHA BY with missing weights) is in sort/tests.rs.
    #[test]
    fn partial_sort_ties_follow_redis_7_0() {
        let mut v: Vec<(u32, usize)> = [2, 0, 2, 3, 0, 2, 2].into_iter().zip(0..).collect();
        partial_sort(&mut v, 0, 2, by_key);
        let ids: Vec<usize> = v[..3].iter().map(|p| p.1).collect();
        assert_eq!(ids, [1, 4, 6]);
    }

    #[test]
    fn inconsistent_comparators_do_not_panic() {
        let mut v: Vec<f64> = (0..100)
            .map(|i| if i % 3 == 0 { f64::NAN } else { i as f64 })
            .collect();
        let c = |a: &f64, b: &f64| {
            if a > b {
                Ordering::Greater
            } else if a == b {
                Ordering::Equal
            } else {
                Ordering::Less
            }
        };
        merge_sort(&mut v.clone(), c);
        partial_sort(&mut v, 0, 10, c);
    }
}
