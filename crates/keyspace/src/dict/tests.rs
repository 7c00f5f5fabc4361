use std::collections::{HashMap, HashSet};

use proptest::collection::vec;
use proptest::prelude::*;

use super::*;

fn key(i: usize) -> Vec<u8> {
    format!("key:{i}").into_bytes()
}

fn filled(n: usize) -> Dict<Vec<u8>, usize> {
    let mut d = Dict::new();
    for i in 0..n {
        d.insert(key(i), i);
    }
    d
}

fn finish_rehash<K: AsRef<[u8]>, V>(d: &mut Dict<K, V>) {
    while d.rehash_steps(100) {}
    assert!(!d.is_rehashing());
}

/// Inserts fresh keys (from `*next` on) until the dict starts a grow rehash.
fn insert_until_rehashing(d: &mut Dict<Vec<u8>, usize>, next: &mut usize) {
    while !d.is_rehashing() {
        d.insert(key(*next), *next);
        *next += 1;
    }
}

/// Scans `d` to completion, calling `between` after every call that returned a nonzero cursor.
fn scan_with(
    d: &mut Dict<Vec<u8>, usize>,
    mut between: impl FnMut(&mut Dict<Vec<u8>, usize>),
) -> HashMap<Vec<u8>, usize> {
    let mut seen = HashMap::new();
    let mut cursor = 0;
    for _ in 0..1_000_000 {
        cursor = d.scan(cursor, |k, _| *seen.entry(k.clone()).or_insert(0) += 1);
        if cursor == 0 {
            return seen;
        }
        between(d);
    }
    panic!("scan did not terminate");
}

/// A dict whose single bucket holds `n` entries, to exercise code paths on long chains.
fn long_chain(n: usize) -> Dict<Vec<u8>, usize> {
    let mut d = Dict::new();
    d.tables[0] = Table::with_size(1);
    for i in 0..n {
        let slot = &mut d.tables[0].buckets[0];
        let next = slot.take();
        *slot = Some(Box::new(Entry {
            next,
            key: key(i),
            val: i,
        }));
        d.tables[0].used += 1;
    }
    d
}

#[test]
fn new_allocates_nothing() {
    let d: Dict<Vec<u8>, u8> = Dict::new();
    assert_eq!(d.bucket_count(), 0);
    assert_eq!(d.overhead_bytes(), 0);
    assert!(d.is_empty());
    assert_eq!(d.get(b"x"), None);
    assert_eq!(d.scan(0, |_, _| panic!("empty")), 0);
    assert!(d.random_entry().is_none());
    assert_eq!(mem::size_of::<Link<Vec<u8>, u8>>(), 8);
}

#[test]
fn insert_get_replace_remove() {
    let mut d = Dict::new();
    assert_eq!(d.insert(b"a".to_vec(), 1), None);
    assert_eq!(d.insert(b"b".to_vec(), 2), None);
    assert_eq!(d.len(), 2);
    assert_eq!(d.get(b"a"), Some(&1));
    assert!(d.contains_key(b"b"));
    assert!(!d.contains_key(b"c"));

    assert_eq!(d.insert(b"a".to_vec(), 10), Some(1));
    assert_eq!(d.len(), 2);
    assert_eq!(d.get_key_value(b"a"), Some((&b"a".to_vec(), &10)));

    *d.get_mut(b"b").unwrap() += 5;
    assert_eq!(d.get(b"b"), Some(&7));
    assert_eq!(d.get_mut(b"zz"), None);

    assert_eq!(d.remove(b"a"), Some((b"a".to_vec(), 10)));
    assert_eq!(d.remove(b"a"), None);
    assert_eq!(d.len(), 1);
    assert_eq!(d.get(b"a"), None);

    d.clear();
    assert!(d.is_empty());
    assert_eq!(d.bucket_count(), 0);
    assert_eq!(d.remove(b"b"), None);
}

#[test]
fn replace_keeps_the_original_key() {
    // Two keys with equal bytes but distinguishable identity.
    #[derive(Debug)]
    struct Tagged(&'static [u8], u8);
    impl AsRef<[u8]> for Tagged {
        fn as_ref(&self) -> &[u8] {
            self.0
        }
    }
    let mut d = Dict::new();
    d.insert(Tagged(b"k", 1), "old");
    assert_eq!(d.insert(Tagged(b"k", 2), "new"), Some("old"));
    let (k, v) = d.get_key_value(b"k").unwrap();
    assert_eq!((k.1, *v), (1, "new"));
}

#[test]
fn get_or_insert_with_inserts_once() {
    let mut d: Dict<Vec<u8>, Vec<u32>> = Dict::new();
    let (v, inserted) = d.get_or_insert_with(b"list", || b"list".to_vec(), Vec::new);
    assert!(inserted);
    v.push(1);
    let (v, inserted) =
        d.get_or_insert_with(b"list", || panic!("key exists"), || panic!("key exists"));
    assert!(!inserted);
    v.push(2);
    assert_eq!(d.get(b"list"), Some(&vec![1, 2]));
    assert_eq!(d.len(), 1);
}

#[test]
fn growth_is_incremental() {
    let mut d = Dict::new();
    let mut next = 0;
    d.insert(key(next), next);
    next += 1;
    assert_eq!(d.bucket_count(), 4);
    // Load factor 1: the 4th key fits, the 5th triggers growth to 8.
    insert_until_rehashing(&mut d, &mut next);
    assert_eq!(next, 5);
    assert_eq!(d.bucket_count(), 4 + 8);

    // Grow a large table and watch it move a bucket per write.
    let mut d = filled(1000);
    finish_rehash(&mut d);
    let mut next = 1000;
    insert_until_rehashing(&mut d, &mut next);
    let old = d.tables[0].size();
    assert_eq!(d.tables[1].size(), old * 2);
    let moved_before = d.tables[1].used;
    d.insert(key(next), next);
    next += 1;
    assert!(d.tables[1].used > moved_before, "a write moves entries");
    assert!(d.is_rehashing(), "one write does not finish");
    for i in 0..next {
        assert_eq!(d.get(&key(i)), Some(&i), "lookups see both tables");
    }
    // Removing and updating mid-rehash hits whichever table holds the key.
    assert_eq!(d.remove(&key(3)), Some((key(3), 3)));
    *d.get_mut(&key(4)).unwrap() = 40;
    let mut writes = 0;
    while d.is_rehashing() {
        d.insert(key(next), next);
        next += 1;
        writes += 1;
    }
    assert!(writes <= old, "finishes within a bucket-count of writes");
    assert_eq!(d.bucket_count(), old * 2);
    assert_eq!(d.len(), next - 1);
    assert_eq!(d.get(&key(4)), Some(&40));
    assert_eq!(d.get(&key(3)), None);
}

#[test]
fn shrink_is_incremental() {
    let mut d = filled(2000);
    finish_rehash(&mut d);
    let big = d.bucket_count();
    d.maybe_shrink();
    assert_eq!(d.bucket_count(), big, "well filled: no shrink");

    for i in 50..2000 {
        d.remove(&key(i));
    }
    finish_rehash(&mut d);
    d.maybe_shrink();
    assert!(d.is_rehashing());
    assert_eq!(d.tables[1].size(), 64, "next power of two >= len");
    assert!(d.rehash_steps(1));
    for i in 0..50 {
        assert_eq!(d.get(&key(i)), Some(&i));
    }
    d.maybe_shrink(); // no-op while rehashing
    finish_rehash(&mut d);
    assert_eq!(d.bucket_count(), 64);
    assert_eq!(d.len(), 50);

    d.retain(|_, _| false);
    d.maybe_shrink();
    assert_eq!(d.bucket_count(), 0, "an empty table is freed");
    d.insert(key(1), 1);
    assert_eq!(d.get(&key(1)), Some(&1));
}

#[test]
fn resizing_waits_while_a_child_shares_the_pages() {
    let mut d = filled(64);
    finish_rehash(&mut d);
    assert_eq!(d.bucket_count(), 64);
    avoid_resize(true);
    // Past load factor 1 the table stays as it is, up to more than 5 entries per bucket.
    let mut next = 64;
    while next < 64 * 6 {
        d.insert(key(next), next);
        next += 1;
        assert!(!d.is_rehashing(), "grew at {next} entries");
    }
    d.insert(key(next), next);
    next += 1;
    assert!(d.is_rehashing(), "over 5 per bucket it grows anyway");
    finish_rehash(&mut d);
    // Shrinking waits too.
    for i in 20..next {
        d.remove(&key(i));
    }
    let size = d.bucket_count();
    d.maybe_shrink();
    assert_eq!(d.bucket_count(), size);
    assert!(!d.is_rehashing());
    avoid_resize(false);
    d.maybe_shrink();
    assert!(d.is_rehashing());
    finish_rehash(&mut d);
    assert_eq!(d.bucket_count(), 32);
    for i in 0..20 {
        assert_eq!(d.get(&key(i)), Some(&i));
    }
}

#[test]
fn rehash_steps_bounds_empty_visits() {
    let mut d = filled(4096);
    finish_rehash(&mut d);
    d.retain(|_, v| *v % 512 == 0);
    d.maybe_shrink();
    assert!(d.is_rehashing());
    // One step may skip only ten empty buckets, so it cannot reach all eight survivors.
    assert!(d.rehash_steps(1));
    assert!(d.tables[0].used > 0);
    finish_rehash(&mut d);
    assert_eq!(d.len(), 8);
}

#[test]
fn reserve_presizes() {
    let mut d = Dict::new();
    d.reserve(1000);
    assert_eq!(d.bucket_count(), 1024);
    for i in 0..1000 {
        d.insert(key(i), i);
    }
    assert!(!d.is_rehashing());
    assert_eq!(d.bucket_count(), 1024);
}

#[test]
fn scan_static_visits_every_key_exactly_once() {
    let mut d = filled(1000);
    finish_rehash(&mut d);
    let seen = scan_with(&mut d, |_| {});
    assert_eq!(seen.len(), 1000);
    assert!(seen.values().all(|&n| n == 1));

    // Frozen mid-rehash, in both directions.
    let mut next = 1000;
    insert_until_rehashing(&mut d, &mut next);
    d.rehash_steps(100);
    assert!(d.is_rehashing());
    let seen = scan_with(&mut d, |_| {});
    assert_eq!(seen.len(), next);
    assert!(seen.values().all(|&n| n == 1));

    finish_rehash(&mut d);
    d.retain(|_, v| *v < 20);
    d.maybe_shrink();
    d.rehash_steps(1);
    assert!(d.is_rehashing());
    let seen = scan_with(&mut d, |_| {});
    assert_eq!(seen.len(), 20);
    assert!(seen.values().all(|&n| n == 1));
}

#[test]
fn scan_survives_growth() {
    let mut d = filled(1000);
    let mut next = 1000;
    let seen = scan_with(&mut d, |d| {
        // Bounded: a table that keeps growing faster than the cursor advances never finishes.
        for _ in 0..50 {
            if next < 20_000 {
                d.insert(key(next), next);
                next += 1;
            }
        }
        d.rehash_steps(50);
    });
    assert_eq!(next, 20_000, "the table grew several times mid-scan");
    for i in 0..1000 {
        assert!(seen.contains_key(&key(i)), "key {i} missed");
    }
}

#[test]
fn scan_survives_shrinking() {
    let mut d = filled(5000);
    finish_rehash(&mut d);
    let mut next_removal = 100;
    let seen = scan_with(&mut d, |d| {
        for i in next_removal..(next_removal + 300).min(5000) {
            d.remove(&key(i));
        }
        next_removal += 300;
        d.maybe_shrink();
        d.rehash_steps(3);
    });
    assert_eq!(d.len(), 100);
    for i in 0..100 {
        assert!(seen.contains_key(&key(i)), "key {i} missed");
    }
}

#[derive(Debug, Clone)]
enum ScanOp {
    Add(usize),
    Remove(usize),
    Shrink,
    Steps(usize),
    FinishRehash,
    Nothing,
}

fn scan_op() -> impl Strategy<Value = ScanOp> {
    prop_oneof![
        (0usize..300).prop_map(ScanOp::Add),
        (0usize..300).prop_map(ScanOp::Remove),
        Just(ScanOp::Shrink),
        (0usize..40).prop_map(ScanOp::Steps),
        Just(ScanOp::FinishRehash),
        Just(ScanOp::Nothing),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn scan_guarantee_under_random_resizes(
        stable in 0usize..200,
        churn in 0usize..2000,
        ops in vec(scan_op(), 0..60),
    ) {
        let mut d: Dict<Vec<u8>, usize> = Dict::new();
        for i in 0..stable {
            d.insert(format!("s{i}").into_bytes(), i);
        }
        let mut churn_keys: Vec<Vec<u8>> = Vec::new();
        let mut next = 0;
        let mut add = |d: &mut Dict<Vec<u8>, usize>, keys: &mut Vec<Vec<u8>>, n: usize| {
            for _ in 0..n {
                let k = format!("c{next}").into_bytes();
                next += 1;
                d.insert(k.clone(), 0);
                keys.push(k);
            }
        };
        add(&mut d, &mut churn_keys, churn);
        let mut ops = ops.into_iter();
        let mut ever_present: HashSet<Vec<u8>> = d.iter().map(|(k, _)| k.clone()).collect();
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut calls = 0;
        loop {
            cursor = d.scan(cursor, |k, _| {
                seen.insert(k.clone());
            });
            calls += 1;
            prop_assert!(calls < 1_000_000, "scan did not terminate");
            if cursor == 0 {
                break;
            }
            match ops.next() {
                Some(ScanOp::Add(n)) => add(&mut d, &mut churn_keys, n),
                Some(ScanOp::Remove(n)) => {
                    for _ in 0..n {
                        let Some(k) = churn_keys.pop() else { break };
                        prop_assert!(d.remove(&k).is_some());
                    }
                }
                Some(ScanOp::Shrink) => {
                    for k in churn_keys.drain(..) {
                        d.remove(&k);
                    }
                    d.maybe_shrink();
                }
                Some(ScanOp::Steps(n)) => {
                    d.rehash_steps(n);
                }
                Some(ScanOp::FinishRehash) => {
                    d.rehash_steps(usize::MAX);
                }
                Some(ScanOp::Nothing) | None => {}
            }
            ever_present.extend(d.iter().map(|(k, _)| k.clone()));
        }
        for i in 0..stable {
            prop_assert!(seen.contains(format!("s{i}").as_bytes()), "s{} missed", i);
        }
        prop_assert!(seen.is_subset(&ever_present));
        prop_assert_eq!(d.len(), stable + churn_keys.len());
    }
}

#[derive(Debug, Clone)]
enum ModelOp {
    Insert(u8, u32),
    GetOrInsert(u8, u32),
    GetMut(u8),
    Remove(u8),
    RetainEven,
    Steps(usize),
    Shrink,
}

fn model_op() -> impl Strategy<Value = ModelOp> {
    prop_oneof![
        4 => (any::<u8>(), any::<u32>()).prop_map(|(k, v)| ModelOp::Insert(k, v)),
        2 => (any::<u8>(), any::<u32>()).prop_map(|(k, v)| ModelOp::GetOrInsert(k, v)),
        1 => any::<u8>().prop_map(ModelOp::GetMut),
        3 => any::<u8>().prop_map(ModelOp::Remove),
        1 => Just(ModelOp::RetainEven),
        1 => (0usize..8).prop_map(ModelOp::Steps),
        1 => Just(ModelOp::Shrink),
    ]
}

proptest! {
    #[test]
    fn behaves_like_a_map(ops in vec(model_op(), 0..400)) {
        let mut d: Dict<Vec<u8>, u32> = Dict::new();
        let mut model: HashMap<Vec<u8>, u32> = HashMap::new();
        for op in ops {
            match op {
                ModelOp::Insert(k, v) => {
                    prop_assert_eq!(d.insert(vec![k], v), model.insert(vec![k], v));
                }
                ModelOp::GetOrInsert(k, v) => {
                    let (got, inserted) = d.get_or_insert_with(&[k], || vec![k], || v);
                    prop_assert_eq!(inserted, !model.contains_key(&[k][..]));
                    prop_assert_eq!(*got, *model.entry(vec![k]).or_insert(v));
                }
                ModelOp::GetMut(k) => {
                    if let Some(v) = d.get_mut(&[k]) {
                        *v = v.wrapping_add(1);
                    }
                    if let Some(v) = model.get_mut(&[k][..]) {
                        *v = v.wrapping_add(1);
                    }
                }
                ModelOp::Remove(k) => {
                    prop_assert_eq!(d.remove(&[k]), model.remove_entry(&[k][..]));
                }
                ModelOp::RetainEven => {
                    d.retain(|_, v| *v % 2 == 0);
                    model.retain(|_, v| *v % 2 == 0);
                }
                ModelOp::Steps(n) => {
                    d.rehash_steps(n);
                }
                ModelOp::Shrink => d.maybe_shrink(),
            }
            prop_assert_eq!(d.len(), model.len());
        }
        let all: HashMap<Vec<u8>, u32> = d.iter().map(|(k, v)| (k.clone(), *v)).collect();
        prop_assert_eq!(&all, &model);
        for (k, v) in &model {
            prop_assert_eq!(d.get(k), Some(v));
        }
    }
}

#[test]
fn random_entry_returns_present_keys_and_all_of_them() {
    let d = filled(5);
    let mut seen = HashSet::new();
    for _ in 0..10_000 {
        let (k, v) = d.random_entry().unwrap();
        assert_eq!(d.get(k), Some(v));
        seen.insert(*v);
        if seen.len() == 5 {
            break;
        }
    }
    assert_eq!(seen.len(), 5);

    // Mid-rehash and very sparse (forces the linear fallback sometimes).
    let mut d = filled(4096);
    finish_rehash(&mut d);
    d.retain(|_, v| *v < 3);
    let mut seen = HashSet::new();
    for _ in 0..10_000 {
        let (k, v) = d.random_entry().unwrap();
        assert_eq!(d.get(k), Some(v));
        seen.insert(*v);
    }
    assert_eq!(seen.len(), 3);
    d.maybe_shrink();
    assert!(d.is_rehashing());
    d.rehash_steps(1);
    let mut seen = HashSet::new();
    for _ in 0..10_000 {
        seen.insert(*d.random_entry().unwrap().1);
    }
    assert_eq!(seen.len(), 3);
}

#[test]
fn iterators_cover_both_tables() {
    let mut d = filled(1000);
    let mut next = 1000;
    insert_until_rehashing(&mut d, &mut next);
    assert_eq!(d.iter().len(), next);
    let mut all: Vec<usize> = d.iter().map(|(_, v)| *v).collect();
    all.sort_unstable();
    assert_eq!(all, (0..next).collect::<Vec<_>>());

    for (_, v) in d.iter_mut() {
        *v *= 2;
    }
    for (k, v) in &d {
        assert_eq!(k, &key(*v / 2));
    }
}

#[test]
fn retain_removes_from_both_tables() {
    let mut d = filled(1000);
    let mut next = 1000;
    insert_until_rehashing(&mut d, &mut next);
    d.retain(|_, v| {
        *v += 1;
        *v % 3 == 0
    });
    assert_eq!(d.len(), (1..=next).filter(|v| v % 3 == 0).count());
    for (k, v) in &d {
        assert_eq!(k, &key(*v - 1));
    }
    finish_rehash(&mut d);
    assert_eq!(d.iter().count(), d.len());
}

#[test]
fn drain_empties_and_partial_drain_drops_the_rest() {
    let mut d = filled(1000);
    let mut next = 1000;
    insert_until_rehashing(&mut d, &mut next);
    let mut got: Vec<usize> = d.drain().map(|(_, v)| v).collect();
    got.sort_unstable();
    assert_eq!(got, (0..next).collect::<Vec<_>>());
    assert!(d.is_empty());
    assert_eq!(d.bucket_count(), 0);
    d.insert(key(1), 1);
    assert_eq!(d.len(), 1);

    let counter = std::rc::Rc::new(());
    let mut d = Dict::new();
    for i in 0..100 {
        d.insert(key(i), counter.clone());
    }
    let mut it = d.drain();
    assert_eq!(it.len(), 100);
    it.next();
    drop(it);
    assert_eq!(std::rc::Rc::strong_count(&counter), 1, "no leaks");

    let d: Dict<_, _> = (0..10).map(|i| (key(i), i)).collect();
    assert_eq!(d.into_iter().count(), 10);
}

#[test]
fn clone_is_deep_and_structural() {
    let mut d = filled(1000);
    let mut next = 1000;
    insert_until_rehashing(&mut d, &mut next);
    d.rehash_steps(10);
    let mut c = d.clone();
    assert_eq!(c.len(), d.len());
    assert_eq!(c.bucket_count(), d.bucket_count());
    assert_eq!(c.rehash_idx, d.rehash_idx);
    // Same layout: a cursor visits the same keys in both.
    let cursor = d.scan(0, |_, _| {});
    let (mut a, mut b) = (Vec::new(), Vec::new());
    assert_eq!(
        d.scan(cursor, |k, _| a.push(k.clone())),
        c.scan(cursor, |k, _| b.push(k.clone()))
    );
    assert_eq!(a, b);

    c.insert(key(0), 999);
    assert_eq!(d.get(&key(0)), Some(&0));
    finish_rehash(&mut c);
    for i in 1..next {
        assert_eq!(c.get(&key(i)), Some(&i));
    }
}

#[test]
fn long_chains_do_not_recurse() {
    const N: usize = 300_000;
    let d = long_chain(N);
    assert_eq!(d.get(&key(0)), Some(&0), "the tail of the chain");
    let c = d.clone();
    assert_eq!(c.len(), N);
    drop(c);

    let mut d2 = long_chain(N);
    let mut it = d2.drain();
    it.next();
    drop(it);

    let mut d3 = long_chain(N);
    d3.retain(|_, v| *v % 2 == 0);
    assert_eq!(d3.len(), N / 2);
    assert_eq!(d3.remove(&key(0)), Some((key(0), 0)));
    drop(d3);

    drop(d);
}

#[test]
fn overhead_counts_buckets_and_entries() {
    let d = filled(100);
    let entry = mem::size_of::<Entry<Vec<u8>, usize>>();
    assert_eq!(entry, 8 + 24 + 8);
    assert_eq!(d.overhead_bytes(), d.bucket_count() * 8 + 100 * entry);
}

#[test]
fn debug_prints_a_map() {
    let d: Dict<&str, u8> = [("a", 1)].into_iter().collect();
    assert_eq!(format!("{d:?}"), r#"{"a": 1}"#);
}

#[test]
fn prefetch_is_harmless_in_every_state() {
    let keys: Vec<Vec<u8>> = (0..PREFETCH_MAX + 8).map(key).collect();
    let refs: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
    let empty: Dict<Vec<u8>, usize> = Dict::default();
    empty.prefetch(&refs);
    let mut d = filled(100);
    d.prefetch(&refs);
    d.prefetch(&[]);
    let mut next = 100;
    insert_until_rehashing(&mut d, &mut next);
    assert!(d.is_rehashing());
    d.prefetch(&refs);
    assert_eq!(d.get(&key(3)), Some(&3));
    assert_eq!(d.len(), next);
}
