//! Unit tests of the HLL format and estimator; byte vectors taken from redis-server 7.0.15.

use super::estimate::{self, murmur64a};
use super::repr::{self, Corrupt, Op, HDR, REGISTERS};

fn add_all(s: &mut Vec<u8>, elems: &[&[u8]], max: usize) -> u64 {
    let mut n = 0;
    for e in elems {
        let (i, c) = estimate::pattern(e);
        n += repr::add(s, i, c, max).unwrap() as u64;
    }
    n
}

fn count(s: &[u8]) -> u64 {
    estimate::count(&repr::histogram(s).unwrap())
}

#[test]
fn pfadd_a_b_c_matches_redis_bytes() {
    // redis-cli PFADD h a b c; GET h
    let mut s = repr::new_sparse();
    assert_eq!(add_all(&mut s, &[b"a", b"b", b"c"], 3000), 3);
    let mut want = b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80".to_vec();
    want.extend_from_slice(&[
        0x60, 0xf3, 0x80, 0x50, 0xb1, 0x84, 0x4b, 0xfb, 0x80, 0x42, 0x5a,
    ]);
    assert_eq!(s, want);
    assert_eq!(
        repr::decode(&s),
        "Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603"
    );
    assert_eq!(count(&s), 3);
    // PFCOUNT then stores 3 in the cache.
    repr::set_cached(&mut s, 3);
    assert_eq!(&s[8..16], &[3, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(repr::cached(&s), Some(3));
}

#[test]
fn empty_hll_is_one_xzero_and_counts_zero() {
    let s = repr::new_sparse();
    assert_eq!(&s[HDR..], &[0x7f, 0xff]);
    assert_eq!(repr::cached(&s), Some(0));
    assert_eq!(count(&s), 0);
    assert!(repr::valid_header(&s));
}

#[test]
fn murmur_tail_lengths_and_known_patterns() {
    // Each tail length takes its own path; the empty string too (PFADD h "" is valid).
    let mut seen = std::collections::HashSet::new();
    for n in 0..=17 {
        assert!(seen.insert(murmur64a(&vec![b'x'; n], 0xadc83b19)));
    }
    let (i, c) = estimate::pattern(b"b");
    assert!([8436, 12711, 15780].contains(&i));
    assert!(c == 1 || c == 2);
}

#[test]
fn header_validation() {
    let s = repr::new_sparse();
    assert!(!repr::valid_header(&s[..15]));
    let mut bad = s.clone();
    bad[0] = b'h';
    assert!(!repr::valid_header(&bad));
    bad = s.clone();
    bad[4] = 2;
    assert!(!repr::valid_header(&bad));
    bad = s.clone();
    bad[4] = repr::DENSE;
    assert!(!repr::valid_header(&bad));
    let d = repr::to_dense(&s).unwrap();
    assert_eq!(d.len(), repr::DENSE_LEN);
    assert!(repr::valid_header(&d));
    assert!(!repr::valid_header(&d[..d.len() - 1]));
}

#[test]
fn sparse_split_and_merge() {
    let mut s = repr::new_sparse();
    // Split an XZERO in the middle: XZERO VAL XZERO.
    assert_eq!(repr::sparse_set(&mut s, 100, 3, 3000), Ok(true));
    assert_eq!(repr::decode(&s), "Z:100 v:3,1 Z:16283");
    // A neighbour with the same value merges into one VAL of length 2.
    assert_eq!(repr::sparse_set(&mut s, 101, 3, 3000), Ok(true));
    assert_eq!(repr::decode(&s), "Z:100 v:3,2 Z:16282");
    // Short runs use ZERO.
    assert_eq!(repr::sparse_set(&mut s, 110, 3, 3000), Ok(true));
    assert_eq!(repr::decode(&s), "Z:100 v:3,2 z:8 v:3,1 Z:16273");
    // Lower or equal values change nothing.
    assert_eq!(repr::sparse_set(&mut s, 101, 2, 3000), Ok(false));
    assert_eq!(repr::sparse_set(&mut s, 101, 3, 3000), Ok(false));
    // Raising one register of a VAL run splits it.
    assert_eq!(repr::sparse_set(&mut s, 100, 5, 3000), Ok(true));
    assert_eq!(repr::decode(&s), "Z:100 v:5,1 v:3,1 z:8 v:3,1 Z:16273");
    assert_eq!(repr::cached(&s), None);
}

#[test]
fn promotion_on_big_value_and_on_size() {
    let mut s = repr::new_sparse();
    assert_eq!(repr::sparse_set(&mut s, 5, 33, 3000), Ok(true));
    assert_eq!(s[4], repr::DENSE);
    assert_eq!(repr::get_reg(&s[HDR..], 5), 33);
    let mut s = repr::new_sparse();
    // 18 bytes now; a split adds 3 and passes 20.
    assert_eq!(repr::sparse_set(&mut s, 500, 1, 20), Ok(true));
    assert_eq!(s[4], repr::DENSE);
    assert_eq!(repr::get_reg(&s[HDR..], 500), 1);
}

#[test]
fn sparse_and_dense_agree() {
    let elems: Vec<Vec<u8>> = (0..3000).map(|i| format!("e{i}").into_bytes()).collect();
    let refs: Vec<&[u8]> = elems.iter().map(|e| &e[..]).collect();
    let mut s = repr::new_sparse();
    let mut d = repr::to_dense(&s).unwrap();
    add_all(&mut s, &refs[..200], usize::MAX);
    add_all(&mut d, &refs[..200], usize::MAX);
    assert_eq!(s[4], repr::SPARSE);
    assert_eq!(repr::to_dense(&s).unwrap()[HDR..], d[HDR..]);
    assert_eq!(count(&s), count(&d));
    let mut max = Box::new([0u8; REGISTERS]);
    repr::merge_into(&mut max, &s).unwrap();
    assert_eq!(estimate::count(&repr::raw_histogram(&max)), count(&d));
    add_all(&mut s, &refs, 3000);
    add_all(&mut d, &refs, 3000);
    assert_eq!(s[4], repr::DENSE);
    assert_eq!(s[HDR..], d[HDR..]);
    let n = count(&s) as f64;
    assert!((n - 3000.0).abs() < 100.0, "{n}");
}

#[test]
fn corrupt_sparse_payloads_are_detected() {
    let mut s = repr::new_sparse();
    s.truncate(HDR);
    assert_eq!(repr::histogram(&s), Err(Corrupt));
    assert_eq!(repr::sparse_set(&mut s, 0, 1, 3000), Err(Corrupt));
    // Covers too few registers.
    let mut s = repr::new_sparse();
    s[HDR + 1] = 0xfe;
    assert_eq!(repr::histogram(&s), Err(Corrupt));
    assert_eq!(
        repr::sparse_set(&mut s, REGISTERS - 1, 1, 3000),
        Err(Corrupt)
    );
    assert_eq!(repr::sparse_set(&mut s, 0, 1, 3000), Ok(true));
    let mut max = Box::new([0u8; REGISTERS]);
    assert_eq!(repr::merge_into(&mut max, &s), Err(Corrupt));
    assert_eq!(repr::to_dense(&s), Err(Corrupt));
    // Covers too many.
    let mut s = repr::new_sparse();
    s.push(0x80);
    assert_eq!(repr::histogram(&s), Err(Corrupt));
    assert_eq!(repr::to_dense(&s), Err(Corrupt));
    // A final XZERO reads its second byte as the terminator 0.
    let mut s = repr::new_sparse();
    s.truncate(HDR + 1);
    assert_eq!(
        repr::ops(&s).collect::<Vec<_>>(),
        vec![Op::XZero(0x3f00 + 1)]
    );
}

#[test]
fn estimator_extremes() {
    let mut h = [0u32; 64];
    h[0] = REGISTERS as u32;
    assert_eq!(estimate::count(&h), 0);
    // Every register at 1: about m·ln 2 / (1 − ln 2)... just check it is finite and large.
    h[0] = 0;
    h[1] = REGISTERS as u32;
    let n = estimate::count(&h);
    assert!(n > 10_000 && n < 30_000, "{n}");
    // Saturated registers: the estimate does not overflow or panic.
    h[1] = 0;
    h[51] = REGISTERS as u32;
    let _ = estimate::count(&h);
    h[51] = 0;
    h[63] = REGISTERS as u32;
    let _ = estimate::count(&h);
}

#[test]
fn selftest_passes() {
    super::selftest::run().unwrap();
}
