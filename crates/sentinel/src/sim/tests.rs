//! Scenarios on the simulated network, and randomised runs.

use proptest::prelude::*;

use super::*;

fn all_sentinels(sim: &Sim) -> Vec<usize> {
    (0..sim.cfg.sentinels).collect()
}

/// Every live sentinel agrees on `primary`.
fn converged(sim: &Sim, primary: &Addr) -> bool {
    all_sentinels(sim)
        .into_iter()
        .filter(|&i| sim.core(i).is_some())
        .all(|i| sim.primary_seen_by(i).as_ref() == Some(primary))
}

fn new_primary(sim: &Sim) -> Option<Addr> {
    sim.primary_seen_by(0).filter(|a| *a != server_addr(0))
}

fn elections_in(sim: &Sim, nodes: &[usize]) -> usize {
    nodes
        .iter()
        .map(|&i| sim.emitted(i, "+elected-leader"))
        .sum()
}

#[test]
fn healthy_cluster_stays_quiet() {
    let mut sim = Sim::new(SimConfig::default());
    sim.run_for(60_000);
    let noisy: Vec<&Line> = sim
        .log
        .iter()
        .filter(|l| !matches!(l.channel, "+monitor" | "+role-change"))
        .collect();
    assert!(noisy.is_empty(), "{noisy:?}");
}

#[test]
fn majority_fails_over_within_bounded_time() {
    for seed in 1..=8 {
        let mut sim = Sim::new(SimConfig {
            seed,
            ..Default::default()
        });
        sim.run_for(5000);
        let t0 = sim.now;
        sim.kill_server(0);
        let done = sim.run_until(t0 + 30_000, |s| {
            new_primary(s).is_some_and(|p| converged(s, &p))
        });
        assert!(done, "seed {seed}: no failover in 30 s");
        let p = new_primary(&sim).expect("new primary");
        let j = sim.server_index(&p).expect("server");
        assert_eq!(sim.servers[j].role, Role::Primary, "seed {seed}");
        // The other replica follows the new primary once reconfiguration is done.
        sim.run_for(10_000);
        for (k, s) in sim.servers.iter().enumerate() {
            if k != 0 && k != j {
                assert_eq!(s.primary.as_ref(), Some(&p), "seed {seed}: server {k}");
            }
        }
        assert_eq!(sim.promotions.len(), 1, "seed {seed}: {:?}", sim.promotions);
    }
}

#[test]
fn fast_mode_fails_over_within_down_after_plus_a_fraction() {
    let down_after = 1000;
    for seed in 1..=8 {
        let mut sim = Sim::new(SimConfig {
            seed,
            fast: true,
            down_after,
            ..Default::default()
        });
        sim.run_for(5000);
        // Quiet moment: everybody just heard from the primary.
        let t0 = sim.now;
        sim.kill_server(0);
        let done = sim.run_until(t0 + 10_000, |s| !s.promotions.is_empty());
        assert!(done, "seed {seed}");
        let took = sim.promotions[0].0 - t0;
        // Detection needs down-after past the first unanswered ping (sent up to one ping
        // period after the kill); the rest must take well under 300 ms.
        assert!(took <= down_after + 1000 + 300, "seed {seed}: {took} ms");
        // From the first sentinel's SDOWN to REPLICAOF NO ONE: the fast path proper.
        let sdown = (0..3)
            .filter_map(|i| sim.first(i, "+sdown").map(|l| l.at))
            .min()
            .expect("sdown");
        let acting = sim.promotions[0].0 - sdown;
        assert!(
            acting <= 300,
            "seed {seed}: {acting} ms from SDOWN to promotion"
        );
    }
}

/// Two of five sentinels cut off from everything else (one replica with them): they see the
/// primary down and even reach ODOWN among themselves, but can never be elected.
#[test]
fn minority_partition_never_elects_or_fails_over() {
    for seed in 1..=5 {
        let mut sim = Sim::new(SimConfig {
            sentinels: 5,
            seed,
            ..Default::default()
        });
        sim.run_for(3000);
        let minority = vec![sentinel_addr(3), sentinel_addr(4), server_addr(2)];
        let majority: Vec<Addr> = (0..3)
            .map(sentinel_addr)
            .chain([server_addr(0), server_addr(1)])
            .collect();
        sim.partition(&[majority, minority]);
        sim.run_for(120_000);
        assert!(
            sim.emitted(3, "+odown") + sim.emitted(4, "+odown") > 0,
            "seed {seed}: minority saw no ODOWN"
        );
        assert!(sim.emitted(3, "+try-failover") + sim.emitted(4, "+try-failover") > 0);
        assert_eq!(elections_in(&sim, &[3, 4]), 0, "seed {seed}");
        assert!(
            sim.promotions.is_empty(),
            "seed {seed}: {:?}",
            sim.promotions
        );
        assert_eq!(sim.servers[2].role, Role::Replica);
        // The majority, which still sees its primary, did nothing either.
        assert_eq!(sim.primary_seen_by(0), Some(server_addr(0)));
    }
}

/// The primary is on the minority side: the majority fails over, the minority cannot; after
/// healing everybody converges and the old primary is turned into a replica.
#[test]
fn majority_side_fails_over_and_old_primary_rejoins_as_replica() {
    for seed in 1..=5 {
        let mut sim = Sim::new(SimConfig {
            sentinels: 5,
            seed,
            ..Default::default()
        });
        sim.run_for(3000);
        let minority = vec![sentinel_addr(3), sentinel_addr(4), server_addr(0)];
        let majority: Vec<Addr> = (0..3)
            .map(sentinel_addr)
            .chain([server_addr(1), server_addr(2)])
            .collect();
        sim.partition(&[majority, minority]);
        let t0 = sim.now;
        let done = sim.run_until(t0 + 60_000, |s| {
            s.promotions.iter().any(|(_, i, _)| *i < 3)
                && (0..3).all(|i| s.primary_seen_by(i) != Some(server_addr(0)))
        });
        assert!(done, "seed {seed}: majority did not fail over");
        assert_eq!(elections_in(&sim, &[3, 4]), 0, "seed {seed}");
        assert_eq!(
            sim.primary_seen_by(3),
            Some(server_addr(0)),
            "minority keeps its view"
        );
        let p = sim.primary_seen_by(0).expect("primary");
        sim.heal();
        let done = sim.run_until(sim.now + 60_000, |s| {
            converged(s, &p)
                && s.servers[0].role == Role::Replica
                && s.servers[0].primary.as_ref() == Some(&p)
        });
        assert!(done, "seed {seed}: no convergence after heal");
        assert!(
            (0..5).any(|i| sim.emitted(i, "+convert-to-slave") > 0),
            "seed {seed}"
        );
        assert_eq!(
            sim.emitted(3, "+switch-master"),
            1,
            "seed {seed}: minority learns from hellos"
        );
        let msg = &sim.first(3, "+switch-master").expect("switch").message;
        assert_eq!(*msg, format!("mymaster 10.0.0.1 6379 {} 6379", p.host));
    }
}

#[test]
fn old_primary_returning_after_failover_becomes_a_replica() {
    let mut sim = Sim::new(SimConfig::default());
    sim.run_for(3000);
    sim.kill_server(0);
    let t0 = sim.now;
    assert!(sim.run_until(t0 + 30_000, |s| new_primary(s)
        .is_some_and(|p| converged(s, &p))));
    let p = new_primary(&sim).expect("primary");
    sim.run_for(5000);
    sim.restart_server(0);
    assert_eq!(
        sim.servers[0].role,
        Role::Primary,
        "comes back believing it is the primary"
    );
    let done = sim.run_until(sim.now + 30_000, |s| {
        s.servers[0].primary.as_ref() == Some(&p)
    });
    assert!(done);
    assert_eq!(sim.servers[0].role, Role::Replica);
}

/// Fast mode converts the returning old primary within about a second of its return
/// (Redis waits four hello periods plus an INFO period: up to 18 s).
#[test]
fn fast_mode_converts_the_returning_old_primary_quickly() {
    for seed in 1..=6 {
        let mut sim = Sim::new(SimConfig {
            seed,
            fast: true,
            down_after: 1000,
            ..Default::default()
        });
        sim.run_for(3000);
        sim.kill_server(0);
        let t0 = sim.now;
        assert!(sim.run_until(t0 + 30_000, |s| new_primary(s)
            .is_some_and(|p| converged(s, &p))));
        let p = new_primary(&sim).expect("primary");
        sim.run_for(3000);
        sim.restart_server(0);
        let back = sim.now;
        let done = sim.run_until(back + 30_000, |s| s.servers[0].primary.as_ref() == Some(&p));
        assert!(done, "seed {seed}");
        let took = sim.now - back;
        assert!(
            took <= 1500,
            "seed {seed}: converted {took} ms after its return"
        );
    }
}

/// SIGSTOP shorter than down-after: no SDOWN, no failover. Longer: failover (so the test
/// can fail).
#[test]
fn pauses_shorter_than_down_after_cause_no_failover() {
    let down_after = 1000;
    let mut sim = Sim::new(SimConfig {
        down_after,
        ..Default::default()
    });
    sim.run_for(3000);
    for _ in 0..20 {
        sim.pause_server(0, down_after - 100);
        sim.run_for(3000);
    }
    let sdowns = (0..3).map(|i| sim.emitted(i, "+sdown")).sum::<usize>();
    assert_eq!(sdowns, 0, "{:?}", sim.log);
    assert!(sim.promotions.is_empty());
    sim.pause_server(0, 3 * down_after + 5000);
    sim.run_for(15_000);
    assert!(!sim.promotions.is_empty(), "a long pause must fail over");
}

#[test]
fn paused_sentinel_tilts_and_does_not_act() {
    let mut sim = Sim::new(SimConfig::default());
    sim.run_for(3000);
    sim.pause_sentinel(0, 5000);
    sim.run_for(6000);
    assert_eq!(sim.emitted(0, "+tilt"), 1);
    // The primary dies while sentinel 0 is in TILT: 1 and 2 handle it without it.
    sim.kill_server(0);
    sim.run_for(20_000);
    assert!(!sim.promotions.is_empty());
    assert!(sim.promotions.iter().all(|(_, i, _)| *i != 0));
    assert_eq!(sim.emitted(0, "+sdown"), 0);
    assert_eq!(sim.emitted(0, "+elected-leader"), 0);
    sim.run_for(10_000);
    assert_eq!(sim.emitted(0, "-tilt"), 1);
}

#[test]
fn crashed_sentinel_restarts_from_its_persisted_config() {
    let mut sim = Sim::new(SimConfig::default());
    sim.run_for(3000);
    sim.kill_server(0);
    let t0 = sim.now;
    assert!(sim.run_until(t0 + 30_000, |s| new_primary(s)
        .is_some_and(|p| converged(s, &p))));
    let p = new_primary(&sim).expect("primary");
    let epoch = sim.core(1).expect("core").current_epoch();
    sim.crash_sentinel(1);
    sim.run_for(2000);
    sim.restart_sentinel(1);
    assert_eq!(sim.primary_seen_by(1), Some(p));
    assert!(sim.core(1).expect("core").current_epoch() >= epoch);
}

#[derive(Clone, Debug)]
enum Fault {
    KillPrimary,
    RestartServers,
    Isolate(usize),
    IsolateServer(usize),
    Split(u8),
    Heal,
    PauseServer(usize, Millis),
    PauseSentinel(usize, Millis),
    Crash(usize),
    Restart(usize),
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        3 => Just(Fault::KillPrimary),
        2 => Just(Fault::RestartServers),
        2 => (0..5usize).prop_map(Fault::Isolate),
        1 => (0..3usize).prop_map(Fault::IsolateServer),
        2 => any::<u8>().prop_map(Fault::Split),
        3 => Just(Fault::Heal),
        1 => (0..3usize, 100..3000u64).prop_map(|(j, ms)| Fault::PauseServer(j, ms)),
        1 => (0..5usize, 100..5000u64).prop_map(|(i, ms)| Fault::PauseSentinel(i, ms)),
        1 => (0..5usize).prop_map(Fault::Crash),
        1 => (0..5usize).prop_map(Fault::Restart),
    ]
}

fn inflict(sim: &mut Sim, f: &Fault) {
    let n = sim.cfg.sentinels;
    match *f {
        Fault::KillPrimary => {
            if let Some(j) = sim
                .servers
                .iter()
                .position(|s| s.role == Role::Primary && s.alive)
            {
                sim.kill_server(j);
            }
        }
        Fault::RestartServers => (0..sim.servers.len()).for_each(|j| sim.restart_server(j)),
        Fault::Isolate(i) => sim.isolate(&sentinel_addr(i % n)),
        Fault::IsolateServer(j) => sim.isolate(&server_addr(j)),
        Fault::Split(mask) => {
            let mut a = Vec::new();
            let mut b = Vec::new();
            let endpoints: Vec<Addr> = (0..n)
                .map(sentinel_addr)
                .chain((0..3).map(server_addr))
                .collect();
            for (k, e) in endpoints.into_iter().enumerate() {
                if mask & (1 << k) != 0 {
                    a.push(e);
                } else {
                    b.push(e);
                }
            }
            sim.partition(&[a, b]);
        }
        Fault::Heal => sim.heal(),
        Fault::PauseServer(j, ms) => sim.pause_server(j, ms),
        Fault::PauseSentinel(i, ms) => sim.pause_sentinel(i % n, ms),
        Fault::Crash(i) => sim.crash_sentinel(i % n),
        Fault::Restart(i) => sim.restart_sentinel(i % n),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Whatever happens to the network and the processes: at most one leader per epoch (the
    /// harness asserts it on every +elected-leader), every vote is on disk before its reply
    /// (asserted on every reply), and at most one promotion per epoch.
    #[test]
    fn never_two_leaders_in_one_epoch(
        seed in any::<u64>(),
        five in any::<bool>(),
        faults in proptest::collection::vec((500..8000u64, fault()), 1..12),
    ) {
        let sentinels = if five { 5 } else { 3 };
        let quorum = if five { 3 } else { 2 };
        let mut sim = Sim::new(SimConfig { sentinels, quorum, seed, ..Default::default() });
        sim.run_for(3000);
        for (wait, f) in &faults {
            inflict(&mut sim, f);
            sim.run_for(*wait);
        }
        sim.heal();
        (0..3).for_each(|j| sim.restart_server(j));
        (0..sentinels).for_each(|i| sim.restart_sentinel(i));
        sim.run_for(30_000);
        for leaders in sim.elected.values() {
            prop_assert!(leaders.len() <= 1);
        }
        // A leader promotes at most once per election.
        let elections: usize = sim.elected.values().map(BTreeSet::len).sum();
        prop_assert!(sim.promotions.len() <= elections, "{:?} vs {:?}", sim.promotions, sim.elected);
    }
}
