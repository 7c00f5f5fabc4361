//! The failover state machine, end to end on one core, with servers that obey REPLICAOF and
//! peers that answer vote requests.

use std::collections::BTreeSet;

use super::*;

/// Servers obey REPLICAOF; `voters` answer IS-MASTER-DOWN-BY-ADDR with "down" and a vote for
/// whoever asks.
struct World {
    h: H,
    voters: BTreeSet<u16>,
}

impl World {
    fn new(h: H) -> World {
        World {
            h,
            voters: [P2].into_iter().collect(),
        }
    }

    fn run(&mut self, ms: Millis) -> Vec<Action> {
        let mut all = Vec::new();
        for _ in 0..ms / 100 {
            let acts = self.h.advance(100);
            let more = self.react(&acts);
            all.extend(acts);
            all.extend(more);
        }
        all
    }

    fn react(&mut self, acts: &[Action]) -> Vec<Action> {
        let mut out = Vec::new();
        for x in acts {
            match x {
                Action::SendReplicaOfNoOne { addr } => {
                    let mut i = primary_info(&[]);
                    i.run_id = Some(runid(addr.port));
                    self.h.infos.insert(addr.port, i);
                }
                Action::SendReplicaOf { addr, primary } => {
                    self.h
                        .infos
                        .insert(addr.port, replica_info(addr.port, primary.port, 100));
                }
                Action::AskIsMasterDown {
                    to,
                    current_epoch,
                    runid,
                    ..
                } if self.voters.contains(&to.port) => {
                    let acts = self.h.peer_says_down(to.port, runid, *current_epoch);
                    out.extend(self.react(&acts));
                    out.extend(acts);
                }
                _ => {}
            }
        }
        out
    }
}

fn no_desync() -> Timers {
    Timers {
        max_desync: 0,
        ..Timers::default()
    }
}

fn world() -> World {
    let mut h = H::with(config(), no_desync());
    h.healthy();
    World::new(h)
}

const M: &str = "master mymaster 127.0.0.1 6379";

fn slave(port: u16) -> String {
    format!("slave 127.0.0.1:{port} 127.0.0.1 {port} @ mymaster 127.0.0.1 6379")
}

#[test]
fn full_failover_emits_the_redis_sequence() {
    let mut w = world();
    w.h.alive.remove(&P);
    let acts = w.run(20_000);
    let mut expected = vec![
        format!("+sdown {M}"),
        format!("+odown {M} #quorum 2/2"),
        "+new-epoch 1".to_string(),
        format!("+try-failover {M}"),
        format!("+vote-for-leader {ME} 1"),
        format!("+elected-leader {M}"),
        format!("+failover-state-select-slave {M}"),
        format!("+selected-slave {}", slave(R1)),
        format!("+failover-state-send-slaveof-noone {}", slave(R1)),
        format!("+failover-state-wait-promotion {}", slave(R1)),
        format!("-role-change {} new reported role is master", slave(R1)),
        format!("+promoted-slave {}", slave(R1)),
        format!("+failover-state-reconf-slaves {M}"),
        format!("+slave-reconf-sent {}", slave(R2)),
        format!("+slave-reconf-inprog {}", slave(R2)),
        format!("+slave-reconf-done {}", slave(R2)),
        format!("+failover-end {M}"),
        "+switch-master mymaster 127.0.0.1 6379 127.0.0.1 6380".to_string(),
        "+slave slave 127.0.0.1:6381 127.0.0.1 6381 @ mymaster 127.0.0.1 6380".to_string(),
        "+slave slave 127.0.0.1:6379 127.0.0.1 6379 @ mymaster 127.0.0.1 6380".to_string(),
    ];
    // The old primary, now a replica entry, is still dead.
    expected
        .push("+sdown slave 127.0.0.1:6379 127.0.0.1 6379 @ mymaster 127.0.0.1 6380".to_string());
    assert_eq!(emits(&acts), expected);
    let deeds: Vec<Action> = deeds(&acts)
        .into_iter()
        .filter(|x| {
            matches!(
                x,
                Action::SendReplicaOf { .. } | Action::SendReplicaOfNoOne { .. }
            )
        })
        .collect();
    assert_eq!(
        deeds,
        vec![
            Action::SendReplicaOfNoOne { addr: a(R1) },
            Action::SendReplicaOf {
                addr: a(R2),
                primary: a(R1)
            },
        ]
    );
    let m = w.h.master();
    assert_eq!(m.server.addr, a(R1));
    assert_eq!(m.config_epoch, 1);
    let snap = w.h.core.snapshot();
    assert_eq!(snap.masters[0].addr, a(R1));
    assert_eq!(snap.masters[0].known_replicas, vec![a(P), a(R2)]);
}

#[test]
fn promotion_persists_the_new_config_epoch() {
    let mut w = world();
    w.h.alive.remove(&P);
    let acts = w.run(20_000);
    let promoted_at = acts
        .iter()
        .position(|x| {
            matches!(
                x,
                Action::Emit {
                    channel: "+promoted-slave",
                    ..
                }
            )
        })
        .expect("promoted");
    let Some(Action::PersistConfig(snap)) = acts[..promoted_at].last() else {
        panic!("no persist right before +promoted-slave")
    };
    assert_eq!(snap.masters[0].config_epoch, 1);
    assert_eq!(
        snap.masters[0].addr,
        a(R1),
        "the current address is the promoted replica"
    );
}

#[test]
fn old_primary_is_reconfigured_when_it_returns() {
    let mut w = world();
    w.h.alive.remove(&P);
    w.run(30_000);
    assert_eq!(w.h.master().server.addr, a(R1));
    // The old primary restarts, still believing it is a primary.
    w.h.alive.insert(P);
    w.h.infos.insert(P, primary_info(&[]));
    w.h.ev(Event::LinkUp { addr: a(P) });
    let acts = w.run(7000);
    assert!(!acts
        .iter()
        .any(|x| matches!(x, Action::SendReplicaOf { .. })));
    // Checked when INFO arrives (every 10 s), once it has claimed primary for 8 s.
    let acts = w.run(5000);
    let desc = "slave 127.0.0.1:6379 127.0.0.1 6379 @ mymaster 127.0.0.1 6380";
    assert!(
        emits(&acts).contains(&format!("+convert-to-slave {desc}")),
        "{:?}",
        emits(&acts)
    );
    assert!(acts.contains(&Action::SendReplicaOf {
        addr: a(P),
        primary: a(R1)
    }));
    // And it stays a replica afterwards: no more conversions.
    let acts = w.run(10_000);
    assert!(!acts
        .iter()
        .any(|x| matches!(x, Action::SendReplicaOf { .. })));
}

#[test]
fn not_elected_aborts_after_the_election_timeout_and_retries_later() {
    let mut w = world();
    w.voters.clear();
    w.h.alive.remove(&P);
    w.h.advance(6200);
    w.h.peer_says_down(P2, "*", 0);
    let acts = w.run(10_000);
    assert!(!emits(&acts).contains(&format!("-failover-abort-not-elected {M}")));
    let acts = w.run(1000);
    assert!(emits(&acts).contains(&format!("-failover-abort-not-elected {M}")));
    assert!(!w.h.master().failover_in_progress());
    // Keep P2 saying "down" so the primary stays ODOWN; no new attempt for 2 x 60 s.
    let mut tries = Vec::new();
    for _ in 0..1200 {
        w.h.peer_says_down(P2, "*", 0);
        let acts = w.run(100);
        if emits(&acts).iter().any(|e| e.starts_with("+try-failover")) {
            tries.push(w.h.now);
        }
    }
    assert_eq!(tries.len(), 1, "{tries:?}");
    let started = T0 + 6300;
    assert!(
        tries[0] >= started + 120_000 && tries[0] <= started + 120_200,
        "{tries:?}"
    );
    assert_eq!(w.h.core.current_epoch(), 2);
}

#[test]
fn no_good_replica_aborts() {
    let mut w = world();
    for p in [R1, R2] {
        let mut i = replica_info(p, P, 100);
        i.slave_priority = Some(0);
        w.h.infos.insert(p, i);
        w.h.info(p);
    }
    w.h.alive.remove(&P);
    let acts = w.run(8000);
    let e = emits(&acts);
    assert!(
        e.contains(&format!("-failover-abort-no-good-slave {M}")),
        "{e:?}"
    );
    assert!(!acts
        .iter()
        .any(|x| matches!(x, Action::SendReplicaOfNoOne { .. })));
}

#[test]
fn promotion_timeout_aborts() {
    let mut w = world();
    w.h.alive.remove(&P);
    // Make the replica ignore REPLICAOF NO ONE: drop the info change right away.
    let mut acts = Vec::new();
    for _ in 0..700 {
        let a1 = w.h.advance(100);
        w.react(&a1);
        w.h.infos.insert(R1, replica_info(R1, P, 100));
        acts.extend(a1);
    }
    let e = emits(&acts);
    assert!(
        e.contains(&format!("-failover-abort-slave-timeout {M}")),
        "{e:?}"
    );
    assert!(!w.h.master().failover_in_progress());
    assert!(!w.h.master().replicas[&a(R1)].promoted);
}

#[test]
fn parallel_syncs_limits_replicas_reconfigured_at_once() {
    let mut cfg = config();
    cfg.masters[0].known_replicas.push(a(6382));
    let mut h = H::with(cfg, no_desync());
    h.healthy();
    h.alive.insert(6382);
    h.infos.insert(6382, replica_info(6382, P, 80));
    h.ev(Event::LinkUp { addr: a(6382) });
    h.pong(6382);
    h.info(6382);
    let mut w = World::new(h);
    // Replicas acknowledge REPLICAOF only on the tick after next.
    w.h.alive.remove(&P);
    let mut sent = Vec::new();
    for _ in 0..300 {
        let acts = w.h.advance(100);
        for x in &acts {
            if let Action::SendReplicaOf { addr, .. } = x {
                let in_flight =
                    w.h.master()
                        .replicas
                        .values()
                        .filter(|r| matches!(r.reconf, Reconf::Sent(_) | Reconf::InProgress))
                        .count();
                assert_eq!(in_flight, 1, "parallel-syncs 1");
                sent.push(addr.port);
            }
        }
        w.react(&acts);
    }
    assert_eq!(sent, vec![R2, 6382]);
}

#[test]
fn replicas_that_never_follow_end_the_failover_by_timeouts() {
    // With parallel-syncs 1 Redis never reaches the per-replica timeout while one replica is
    // in flight (the loop stops at the limit first); with 2 it does.
    let mut cfg = config();
    cfg.masters[0].parallel_syncs = 2;
    let mut h = H::with(cfg, no_desync());
    h.healthy();
    let mut w = World::new(h);
    w.h.alive.remove(&P);
    let mut acts = Vec::new();
    for _ in 0..800 {
        let a1 = w.h.advance(100);
        w.react(&a1);
        // R2 ignores REPLICAOF.
        w.h.infos.insert(R2, replica_info(R2, P, 90));
        acts.extend(a1);
    }
    let e = emits(&acts);
    assert!(
        e.contains(&format!("-slave-reconf-sent-timeout {}", slave(R2))),
        "{e:?}"
    );
    assert!(e.contains(&format!("+failover-end {M}")));
    assert_eq!(w.h.master().server.addr, a(R1));
}

#[test]
fn failover_end_for_timeout_sends_best_effort_replicaof() {
    let mut cfg = config();
    cfg.masters[0].failover_timeout = 5000;
    let mut h = H::with(
        cfg,
        Timers {
            slave_reconf_timeout: 60_000,
            ..no_desync()
        },
    );
    h.healthy();
    let mut w = World::new(h);
    w.h.alive.remove(&P);
    let mut acts = Vec::new();
    for _ in 0..300 {
        let a1 = w.h.advance(100);
        w.react(&a1);
        w.h.infos.insert(R2, replica_info(R2, P, 90));
        acts.extend(a1);
    }
    let e = emits(&acts);
    assert!(
        e.contains(&format!("+failover-end-for-timeout {M}")),
        "{e:?}"
    );
    assert!(e.contains(&format!("+failover-end {M}")));
}

#[test]
fn operator_failover_needs_no_election() {
    let mut w = world();
    w.voters.clear();
    let acts = w.h.ev(Event::Command {
        req: 1,
        cmd: Command::Failover {
            master: "mymaster".into(),
        },
    });
    assert!(
        acts.contains(&Action::Reply {
            req: 1,
            reply: Reply::Ok
        }),
        "{acts:?}"
    );
    let acts = w.run(3000);
    let e = emits(&acts);
    assert!(e.contains(&format!("+elected-leader {M}")), "{e:?}");
    assert!(acts.contains(&Action::SendReplicaOfNoOne { addr: a(R1) }));
}

#[test]
fn operator_failover_errors() {
    let mut h = H::standard();
    let cmd = |h: &mut H, name: &str| {
        let acts = h.ev(Event::Command {
            req: 2,
            cmd: Command::Failover {
                master: name.into(),
            },
        });
        acts.into_iter().find_map(|x| match x {
            Action::Reply { reply, .. } => Some(reply),
            _ => None,
        })
    };
    assert_eq!(
        cmd(&mut h, "nope"),
        Some(Reply::Error("ERR No such master with that name".into()))
    );
    assert_eq!(cmd(&mut h, "mymaster"), Some(Reply::Ok));
    assert_eq!(
        cmd(&mut h, "mymaster"),
        Some(Reply::Error("INPROG Failover already in progress".into()))
    );
    let mut h = H::with(config(), Timers::default());
    assert_eq!(
        cmd(&mut h, "mymaster"),
        Some(Reply::Error(
            "NOGOODSLAVE No suitable replica to promote".into()
        ))
    );
}

/// Fast mode: from the vote that elects us to REPLICAOF NO ONE and the INFO poll in one
/// step; promotion seen in INFO immediately reconfigures the other replicas.
#[test]
fn fast_mode_acts_on_replies_at_once() {
    let timers = Timers {
        fast: true,
        ..no_desync()
    };
    let mut h = H::with(config(), timers);
    h.healthy();
    h.alive.remove(&P);
    h.advance(6200);
    assert!(h.master().server.sdown);
    // The peer's "down" answer makes ODOWN and starts the failover without waiting a tick.
    let acts = h.peer_says_down(P2, "*", 0);
    assert!(
        emits(&acts).contains(&"+new-epoch 1".to_string()),
        "{acts:?}"
    );
    // Its vote elects us, and the whole select / send-noone chain runs in the same step.
    let acts = h.peer_says_down(P2, ME, 1);
    assert_eq!(
        emits(&acts),
        vec![
            format!("+elected-leader {M}"),
            format!("+failover-state-select-slave {M}"),
            format!("+selected-slave {}", slave(R1)),
            format!("+failover-state-send-slaveof-noone {}", slave(R1)),
            format!("+failover-state-wait-promotion {}", slave(R1)),
        ]
    );
    let n = acts.len();
    assert_eq!(
        acts[n - 3..],
        [
            Action::SendReplicaOfNoOne { addr: a(R1) },
            emit(Level::Notice, "+failover-state-wait-promotion", &slave(R1)),
            Action::Info { addr: a(R1) },
        ]
    );
    let mut i = primary_info(&[]);
    i.run_id = Some(runid(R1));
    let acts = h.ev(Event::InfoReply {
        addr: a(R1),
        info: i,
    });
    assert!(
        acts.contains(&Action::SendReplicaOf {
            addr: a(R2),
            primary: a(R1)
        }),
        "{acts:?}"
    );
}

#[test]
fn fast_mode_polls_replica_info_quickly_during_failover() {
    let timers = Timers {
        fast: true,
        ..no_desync()
    };
    let mut h = H::with(config(), timers);
    h.healthy();
    h.alive.remove(&P);
    h.alive.remove(&R1);
    h.advance(6200);
    h.peer_says_down(P2, "*", 0);
    h.peer_says_down(P2, ME, 1);
    assert_eq!(h.master().failover.state, FailoverState::WaitPromotion);
    // R1 does not answer; INFO is asked again every fast_info_period.
    let mut times = Vec::new();
    for _ in 0..5 {
        h.now += 100;
        if h.tick().contains(&Action::Info { addr: a(R1) }) {
            times.push(h.now);
        }
    }
    assert!(times.len() >= 2, "{times:?}");
}

#[test]
fn fast_mode_asks_peers_as_soon_as_sdown() {
    let timers = Timers {
        fast: true,
        ..no_desync()
    };
    let mut h = H::with(config(), timers);
    h.healthy();
    // A peer answered recently, so Redis's timing would wait for the next ask period.
    h.ev(Event::IsMasterDownReply {
        from: a(P2),
        master: "mymaster".into(),
        down: false,
        leader: "*".into(),
        leader_epoch: 0,
    });
    h.alive.remove(&P);
    let mut first_ask = None;
    let mut sdown_at = None;
    for _ in 0..70 {
        let acts = h.advance(100);
        if sdown_at.is_none() && emits(&acts).iter().any(|e| e.starts_with("+sdown master")) {
            sdown_at = Some(h.now);
        }
        if first_ask.is_none()
            && acts
                .iter()
                .any(|x| matches!(x, Action::AskIsMasterDown { .. }))
        {
            first_ask = Some(h.now);
        }
    }
    assert!(sdown_at.is_some());
    assert_eq!(first_ask, sdown_at);
}
