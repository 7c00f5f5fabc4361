//! Table test of the election math: `testdata/vote_math.txt`, run through the real
//! `get_leader` on a core whose peers hold the given votes.

use super::*;

const EPOCH: u64 = 10;

fn peer_id(n: usize) -> String {
    format!("{n:0>40}")
}

fn resolve(name: &str) -> String {
    match name {
        "me" => ME.to_string(),
        p => peer_id(p.trim_start_matches('p').parse().expect("peer number")),
    }
}

fn leader_for(peers: usize, quorum: u32, votes: &[&str], prior: &str) -> Option<String> {
    let mut m = MasterConfig::new("mymaster", a(P), quorum);
    m.known_sentinels = (1..=peers)
        .map(|i| (a(26000 + i as u16), peer_id(i)))
        .collect();
    let cfg = ConfigSnapshot {
        myid: ME.to_string(),
        current_epoch: EPOCH,
        masters: vec![m],
        ..Default::default()
    };
    let mut core = Core::new(cfg, Options::default(), T0);
    let mut m = core.masters.remove("mymaster").expect("master");
    for (i, v) in votes.iter().enumerate() {
        let p = m.sentinels.get_mut(&peer_id(i + 1)).expect("peer");
        match *v {
            "-" => {}
            v => match v.strip_prefix("old:") {
                Some(old) => {
                    p.leader = Some(resolve(old));
                    p.leader_epoch = EPOCH - 1;
                }
                None => {
                    p.leader = Some(resolve(v));
                    p.leader_epoch = EPOCH;
                }
            },
        }
    }
    if prior != "-" {
        m.leader = Some(resolve(prior));
        m.leader_epoch = EPOCH;
    }
    let ctx = crate::core::engine::MCtx::of(&m);
    core.get_leader(T0, &ctx, &mut m, EPOCH)
}

#[test]
fn vote_math_table() {
    let text = include_str!("../../../testdata/vote_math.txt");
    let mut rows = 0;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(f.len(), 5, "line {}: {line}", n + 1);
        let peers: usize = f[0].parse().expect("peers");
        let quorum: u32 = f[1].parse().expect("quorum");
        let votes: Vec<&str> = if f[2] == "none" {
            vec![]
        } else {
            f[2].split(',').collect()
        };
        assert_eq!(votes.len(), peers, "line {}: one vote per peer", n + 1);
        let expected = (f[4] != "-").then(|| resolve(f[4]));
        assert_eq!(
            leader_for(peers, quorum, &votes, f[3]),
            expected,
            "line {}: {line}",
            n + 1
        );
        rows += 1;
    }
    assert!(rows >= 20, "only {rows} rows");
}

#[test]
fn wins_is_majority_of_all_voters_and_quorum() {
    assert!(crate::core::vote::wins(2, 3, 2));
    assert!(
        !crate::core::vote::wins(2, 4, 2),
        "2 of 4 is not a majority"
    );
    assert!(crate::core::vote::wins(3, 4, 2));
    assert!(!crate::core::vote::wins(3, 5, 4));
}
