use super::*;
use proptest::prelude::*;

fn items(l: &List) -> Vec<Vec<u8>> {
    l.iter().map(|e| e.to_vec()).collect()
}

fn check(l: &List, model: &std::collections::VecDeque<Vec<u8>>) {
    let want: Vec<Vec<u8>> = model.iter().cloned().collect();
    assert_eq!(l.len(), want.len());
    assert_eq!(items(l), want);
    let mut rev: Vec<Vec<u8>> = l
        .iter_rev_from(l.len().wrapping_sub(1))
        .map(|e| e.to_vec())
        .collect();
    rev.reverse();
    assert_eq!(rev, want);
    assert_eq!(l.nodes().map(|(_, c)| c).sum::<usize>(), want.len());
    for (bytes, count) in l.nodes() {
        assert!(count > 0);
        assert_eq!(lp::validate(bytes), Some(count));
    }
    for (i, v) in want.iter().enumerate() {
        assert_eq!(&l.get(i).unwrap().to_vec(), v, "get({i})");
    }
}

#[derive(Debug, Clone)]
enum Op {
    Push(Vec<u8>, bool),
    Pop(bool),
    Set(usize, Vec<u8>),
    Insert(usize, Vec<u8>, bool),
    Remove(Vec<u8>, usize, bool),
    TrimFront(usize),
    TrimBack(usize),
}

fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        (0i64..20).prop_map(|n| n.to_string().into_bytes()),
        (-100_000i64..100_000).prop_map(|n| n.to_string().into_bytes()),
        "[a-c]{0,3}".prop_map(String::into_bytes),
        (0usize..3000).prop_map(|n| vec![b'z'; n]),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (value(), any::<bool>()).prop_map(|(v, f)| Op::Push(v, f)),
        2 => any::<bool>().prop_map(Op::Pop),
        1 => (0usize..500, value()).prop_map(|(i, v)| Op::Set(i, v)),
        1 => (0usize..500, value(), any::<bool>()).prop_map(|(i, v, a)| Op::Insert(i, v, a)),
        1 => (value(), 0usize..3, any::<bool>()).prop_map(|(v, n, t)| Op::Remove(v, n, t)),
        1 => (0usize..50).prop_map(Op::TrimFront),
        1 => (0usize..50).prop_map(Op::TrimBack),
    ]
}

fn apply(l: &mut List, m: &mut std::collections::VecDeque<Vec<u8>>, op: Op, fill: i32) {
    match op {
        Op::Push(v, front) => {
            l.push(&v, front, fill);
            if front {
                m.push_front(v)
            } else {
                m.push_back(v)
            }
        }
        Op::Pop(front) => {
            let want = if front { m.pop_front() } else { m.pop_back() };
            assert_eq!(l.pop(front), want);
        }
        Op::Set(i, v) => {
            let ok = l.set(i, &v);
            assert_eq!(ok, i < m.len());
            if ok {
                m[i] = v;
            }
        }
        Op::Insert(i, v, after) => {
            // Use an existing element (if any) as the pivot.
            let Some(pivot) = m.get(i % m.len().max(1)).cloned() else {
                assert!(!l.insert(&Needle::new(b"nope"), &v, after, fill));
                return;
            };
            assert!(l.insert(&Needle::new(&pivot), &v, after, fill));
            let at = m.iter().position(|x| *x == pivot).unwrap();
            m.insert(if after { at + 1 } else { at }, v);
        }
        Op::Remove(v, limit, from_tail) => {
            let n = l.remove(&Needle::new(&v), limit, from_tail);
            let mut removed = 0;
            if from_tail {
                let mut i = m.len();
                while i > 0 && (limit == 0 || removed < limit) {
                    i -= 1;
                    if m[i] == v {
                        m.remove(i);
                        removed += 1;
                    }
                }
            } else {
                let mut i = 0;
                while i < m.len() && (limit == 0 || removed < limit) {
                    if m[i] == v {
                        m.remove(i);
                        removed += 1;
                    } else {
                        i += 1;
                    }
                }
            }
            assert_eq!(n, removed);
        }
        Op::TrimFront(n) => {
            l.trim_front(n);
            for _ in 0..n.min(m.len()) {
                m.pop_front();
            }
        }
        Op::TrimBack(n) => {
            l.trim_back(n);
            for _ in 0..n.min(m.len()) {
                m.pop_back();
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn behaves_like_a_deque(ops in proptest::collection::vec(op(), 1..400), fill in prop_oneof![Just(-2), Just(-1), Just(4), Just(-6)]) {
        let mut l = List::new();
        let mut m = std::collections::VecDeque::new();
        for op in ops {
            apply(&mut l, &mut m, op, fill);
        }
        check(&l, &m);
    }
}

#[test]
fn nodes_fill_to_8kb_like_redis() {
    // 3-byte strings: 5 bytes an entry; Redis adds one while 7 + 5n + 3 + 8 <= 8192.
    let mut l = List::new();
    for _ in 0..5000 {
        l.push(b"xxx", false, -2);
    }
    let counts: Vec<usize> = l.nodes().map(|(_, c)| c).collect();
    assert_eq!(counts, vec![1635, 1635, 1635, 95]);
    let mut l = List::new();
    for _ in 0..5000 {
        l.push(b"xxx", true, -2);
    }
    assert_eq!(l.nodes().next().unwrap().1, 95);
    // Memory per element stays near the encoded size.
    assert!(l.heap_size() < 5000 * 6, "{}", l.heap_size());
}

#[test]
fn big_elements_get_their_own_nodes() {
    let mut l = List::new();
    l.push(b"a", false, -2);
    l.push(&vec![b'x'; 9000], false, -2);
    l.push(b"b", false, -2);
    assert_eq!(l.node_count(), 3);
    assert_eq!(l.get(1).unwrap().to_vec().len(), 9000);
}

#[test]
fn queue_reuses_front_room() {
    let mut l = List::new();
    for i in 0..100_000 {
        l.push(i.to_string().as_bytes(), false, -2);
        if i >= 10 {
            assert_eq!(l.pop(true), Some((i - 10).to_string().into_bytes()));
        }
    }
    assert_eq!(l.len(), 10);
    assert!(l.heap_size() < 4096, "{}", l.heap_size());
}
