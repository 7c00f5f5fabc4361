use super::*;
use proptest::prelude::*;
use std::collections::HashMap;

fn contents(h: &Hash) -> HashMap<Vec<u8>, Vec<u8>> {
    h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()
}

#[derive(Debug, Clone)]
enum Op {
    Set(Vec<u8>, Vec<u8>),
    Remove(Vec<u8>),
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        (0i64..30).prop_map(|n| n.to_string().into_bytes()),
        "[a-e]{0,2}".prop_map(String::into_bytes),
        (0usize..80).prop_map(|n| vec![b'x'; n]),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    #[test]
    fn behaves_like_a_map(ops in proptest::collection::vec(prop_oneof![
        4 => (bytes(), bytes()).prop_map(|(f, v)| Op::Set(f, v)),
        1 => bytes().prop_map(Op::Remove),
    ], 1..200), entries in 1usize..40) {
        let limits = Limits { entries, value: 64 };
        let mut h = Hash::new();
        let mut m = HashMap::new();
        let mut converted = false;
        for op in ops {
            match op {
                Op::Set(f, v) => {
                    let long = f.len() > 64 || v.len() > 64;
                    let new = h.set(&f, &v, limits);
                    prop_assert_eq!(new, m.insert(f, v).is_none());
                    converted |= long || m.len() > entries;
                }
                Op::Remove(f) => {
                    prop_assert_eq!(h.remove(&f), m.remove(&f).is_some());
                }
            }
            prop_assert_eq!(h.len(), m.len());
            prop_assert_eq!(h.is_packed(), !converted);
        }
        prop_assert_eq!(contents(&h), m.clone());
        for (f, v) in &m {
            prop_assert_eq!(h.get(f).map(|e| e.to_vec()), Some(v.clone()));
        }
        if let Some((entries, pairs)) = h.packed() {
            prop_assert_eq!(crate::listpack::validate(entries), Some(pairs * 2));
        }
        let mut seen = HashMap::new();
        let mut cursor = 0;
        loop {
            cursor = h.scan(cursor, |f, v| { seen.insert(f.to_vec(), v.to_vec()); });
            if cursor == 0 { break; }
        }
        prop_assert_eq!(seen, m);
    }
}

#[test]
fn keeps_insertion_order_while_packed() {
    let mut h = Hash::new();
    for f in ["b", "a", "10", "c"] {
        h.set(f.as_bytes(), b"v", Limits::default());
    }
    h.set(b"a", b"updated", Limits::default());
    let order: Vec<Vec<u8>> = h.iter().map(|(f, _)| f.to_vec()).collect();
    assert_eq!(order, [&b"b"[..], b"a", b"10", b"c"]);
    assert_eq!(h.get(b"a").unwrap().to_vec(), b"updated");
    assert_eq!(h.encoding(), "listpack");
}

#[test]
fn small_hash_is_a_small_allocation() {
    assert!(
        std::mem::size_of::<Hash>() <= 32,
        "{}",
        std::mem::size_of::<Hash>()
    );
}
