//! The sorted set against a plain model (a sorted vector): both encodings, and the B+tree's
//! structural invariants after splits, merges and borrows.

use std::collections::HashMap;

use proptest::prelude::*;

use super::*;

/// The model: items sorted by (score, member).
#[derive(Default)]
struct Model {
    items: Vec<(f64, Vec<u8>)>,
    scores: HashMap<Vec<u8>, f64>,
}

impl Model {
    fn sort(&mut self) {
        self.items.sort_by(|a, b| cmp_entry(a.0, &a.1, b.0, &b.1));
    }

    fn set(&mut self, m: &[u8], s: f64) {
        self.items.retain(|(_, x)| x != m);
        self.items.push((s, m.to_vec()));
        self.scores.insert(m.to_vec(), s);
        self.sort();
    }

    fn remove(&mut self, m: &[u8]) -> Option<f64> {
        self.items.retain(|(_, x)| x != m);
        self.scores.remove(m)
    }
}

#[derive(Debug, Clone)]
enum Op {
    Set(u16, i16),
    Remove(u16),
    RemoveRanks(u16, u16),
    Range(u16, u16, bool),
    Span(i16, i16),
    Rank(u16),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u16..3000, -50i16..50).prop_map(|(m, s)| Op::Set(m, s)),
        3 => (0u16..3000).prop_map(Op::Remove),
        1 => (0u16..3000, 0u16..40).prop_map(|(a, n)| Op::RemoveRanks(a, n)),
        1 => (0u16..3000, 0u16..200, any::<bool>()).prop_map(|(a, n, r)| Op::Range(a, n, r)),
        1 => (-60i16..60, -60i16..60).prop_map(|(a, b)| Op::Span(a, b)),
        1 => (0u16..3000).prop_map(Op::Rank),
    ]
}

fn member(i: u16) -> Vec<u8> {
    // Some members long enough to live on the heap, most inline.
    if matches!(i % 7, 0) {
        format!("long-member-name-number-{i:08}").into_bytes()
    } else {
        format!("m{i}").into_bytes()
    }
}

fn apply(z: &mut ZSet, model: &mut Model, op: &Op, lim: Limits) {
    match *op {
        Op::Set(i, s) => {
            let m = member(i);
            let s = s as f64 / 4.0;
            match z.score(&m) {
                Some(old) => z.update(&m, old, s),
                None => z.insert(&m, s, lim),
            }
            model.set(&m, s);
        }
        Op::Remove(i) => {
            let m = member(i);
            assert_eq!(z.remove(&m), model.remove(&m));
        }
        Op::RemoveRanks(a, n) => {
            let (lo, hi) = (a as usize, a as usize + n as usize);
            let gone = z.remove_ranks(lo, hi);
            let hi = hi.min(model.items.len());
            let expect = hi.saturating_sub(lo);
            assert_eq!(gone, expect);
            if lo < hi {
                for (_, m) in model.items.drain(lo..hi) {
                    model.scores.remove(&m);
                }
            }
        }
        Op::Range(a, n, rev) => {
            let got: Vec<(f64, Vec<u8>)> = z
                .range(a as usize, n as usize, rev)
                .map(|(s, m)| (s, m.to_vec()))
                .collect();
            let mut all = model.items.clone();
            if rev {
                all.reverse();
            }
            let want: Vec<_> = all.into_iter().skip(a as usize).take(n as usize).collect();
            assert_eq!(got, want);
        }
        Op::Span(a, b) => {
            let (min, max) = (a as f64 / 4.0, b as f64 / 4.0);
            let (lo, hi) = z.span(|s, _| s < min, |s, _| s <= max);
            let want_lo = model.items.iter().filter(|(s, _)| *s < min).count();
            let want_hi = model
                .items
                .iter()
                .filter(|(s, _)| *s <= max)
                .count()
                .max(want_lo);
            assert_eq!((lo, hi), (want_lo, want_hi));
        }
        Op::Rank(i) => {
            let m = member(i);
            let want = model.items.iter().position(|(_, x)| *x == m);
            let got = z.rank(&m, false).map(|(r, _)| r);
            assert_eq!(got, want);
            if let Some(r) = want {
                let rr = z.rank(&m, true).map(|(r, _)| r);
                assert_eq!(rr, Some(model.items.len() - 1 - r));
                assert_eq!(z.get(r).map(|(_, m)| m.to_vec()), Some(m));
            }
        }
    }
    assert_eq!(z.len(), model.items.len());
}

fn check_all(z: &ZSet, model: &Model) {
    if let ZSet::Sorted(s) = z {
        s.tree.check();
        assert_eq!(s.dict.len(), s.tree.len());
    }
    let got: Vec<(f64, Vec<u8>)> = z.iter().map(|(s, m)| (s, m.to_vec())).collect();
    assert_eq!(got, model.items);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn tree_matches_model(ops in prop::collection::vec(op(), 1..3000)) {
        let lim = Limits { entries: 0, value: 64 };
        let mut z = ZSet::new_for(0, lim);
        let mut model = Model::default();
        for (i, o) in ops.iter().enumerate() {
            apply(&mut z, &mut model, o, lim);
            if i % 97 == 0 {
                check_all(&z, &model);
            }
        }
        check_all(&z, &model);
    }

    #[test]
    fn listpack_matches_model(ops in prop::collection::vec(op(), 1..300)) {
        let lim = Limits { entries: 1_000_000, value: 1_000 };
        let mut z = ZSet::new_for(0, lim);
        let mut model = Model::default();
        for o in &ops {
            apply(&mut z, &mut model, o, lim);
        }
        prop_assert_eq!(z.encoding(), "listpack");
        check_all(&z, &model);
    }
}

#[test]
fn big_random_workload_keeps_invariants() {
    let lim = Limits::default();
    let mut z = ZSet::default();
    let mut model = Model::default();
    let mut rng = fastrand::Rng::with_seed(7);
    for round in 0..30_000u32 {
        let o = match rng.u8(..10) {
            0..=5 => Op::Set(rng.u16(..20_000), rng.i16(-2000..2000)),
            6..=8 => Op::Remove(rng.u16(..20_000)),
            _ => Op::RemoveRanks(rng.u16(..10_000), rng.u16(..300)),
        };
        apply(&mut z, &mut model, &o, lim);
        if round % 5000 == 0 {
            check_all(&z, &model);
        }
    }
    check_all(&z, &model);
    assert_eq!(z.encoding(), "skiplist");
}

#[test]
fn sequential_inserts_fill_leaves() {
    let mut z = ZSet::default();
    for i in 0..100_000 {
        z.insert(format!("{i}").as_bytes(), i as f64, Limits::default());
    }
    let ZSet::Sorted(s) = &z else { panic!("large") };
    s.tree.check();
    // Appends split leaves unevenly, so they end up (nearly) full.
    let per_item = s.tree.heap_size() as f64 / 100_000.0;
    assert!(per_item < 36.0, "{per_item} bytes per item");
    for i in (0..100_000).rev() {
        assert_eq!(
            z.rank(format!("{i}").as_bytes(), false).map(|r| r.0),
            Some(i)
        );
    }
    let down: Vec<f64> = z.range(0, 5, true).map(|(s, _)| s).collect();
    assert_eq!(down, vec![99_999.0, 99_998.0, 99_997.0, 99_996.0, 99_995.0]);
}

#[test]
fn encodings_like_redis() {
    let lim = Limits::default();
    assert_eq!(ZSet::new_for(3, lim).encoding(), "listpack");
    assert_eq!(ZSet::new_for(65, lim).encoding(), "skiplist");
    assert_eq!(
        ZSet::new_for(
            1,
            Limits {
                entries: 0,
                value: 64
            }
        )
        .encoding(),
        "skiplist"
    );
    let mut z = ZSet::new_for(1, lim);
    for i in 0..128 {
        z.insert(format!("m{i}").as_bytes(), 1.0, lim);
    }
    assert_eq!(z.encoding(), "listpack");
    z.insert(b"one-more", 2.0, lim);
    assert_eq!(z.encoding(), "skiplist");
    let mut z = ZSet::new_for(1, lim);
    z.insert(b"a", 1.0, lim);
    z.insert(&[b'x'; 65], 1.0, lim);
    assert_eq!(z.encoding(), "skiplist");
    let items = vec![(2.0, SBytes::from("b")), (1.0, SBytes::from("a"))];
    let z = ZSet::from_items(items.clone(), lim);
    assert_eq!(z.encoding(), "listpack");
    assert_eq!(z.get(0), Some((1.0, &b"a"[..])));
    let z2 = ZSet::from_items(
        items,
        Limits {
            entries: 1,
            value: 64,
        },
    );
    assert_eq!(z2.encoding(), "skiplist");
    assert_eq!(z, z2);
}

#[test]
fn negative_zero_sorts_with_zero() {
    let lim = Limits::default();
    let mut z = ZSet::default();
    z.insert(b"b", -0.0, lim);
    z.insert(b"a", 0.0, lim);
    let order: Vec<&[u8]> = z.iter().map(|(_, m)| m).collect();
    assert_eq!(order, vec![&b"a"[..], &b"b"[..]]);
    // The listpack keeps integral scores as integers: no negative zero there.
    assert!(z.score(b"b").unwrap().is_sign_positive());
    let mut big = ZSet::new_for(
        1,
        Limits {
            entries: 0,
            value: 64,
        },
    );
    big.insert(b"b", -0.0, lim);
    assert!(big.score(b"b").unwrap().is_sign_negative());
}
