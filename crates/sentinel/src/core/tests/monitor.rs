//! PING / INFO / hello cadence, SDOWN, ODOWN.

use super::*;

fn hello_to(port: u16, epoch: u64) -> Action {
    Action::PublishHello {
        to: a(port),
        hello: Hello {
            sentinel_ip: None,
            sentinel_port: 26379,
            runid: ME.to_string(),
            current_epoch: epoch,
            master_name: "mymaster".to_string(),
            master_addr: a(P),
            master_config_epoch: 0,
        },
    }
}

fn ping(port: u16) -> Action {
    Action::Ping { addr: a(port) }
}

fn ask(port: u16, epoch: u64, runid: &str) -> Action {
    Action::AskIsMasterDown {
        to: a(port),
        master: "mymaster".to_string(),
        master_addr: a(P),
        current_epoch: epoch,
        runid: runid.to_string(),
    }
}

#[test]
fn start_announces_monitor_and_connects_everything() {
    let mut core = Core::new(config(), Options::default(), T0);
    assert_eq!(
        core.start(T0),
        vec![
            emit(
                Level::Warning,
                "+monitor",
                "master mymaster 127.0.0.1 6379 quorum 2"
            ),
            Action::Connect {
                addr: a(P),
                kind: LinkKind::Server
            },
            Action::Connect {
                addr: a(R1),
                kind: LinkKind::Server
            },
            Action::Connect {
                addr: a(R2),
                kind: LinkKind::Server
            },
            Action::Connect {
                addr: a(P2),
                kind: LinkKind::Sentinel
            },
            Action::Connect {
                addr: a(P3),
                kind: LinkKind::Sentinel
            },
        ]
    );
}

#[test]
fn start_without_id_picks_one_and_persists_it() {
    let mut cfg = config();
    cfg.myid.clear();
    let mut core = Core::new(cfg, Options::default(), T0);
    let acts = core.start(T0);
    let Some(Action::PersistConfig(snap)) = acts.last() else {
        panic!("no persist: {acts:?}");
    };
    assert_eq!(snap.myid.len(), 40);
    assert_eq!(snap.myid, core.myid());
}

#[test]
fn link_up_pings_at_once() {
    let mut h = H::with(config(), Timers::default());
    assert_eq!(h.ev(Event::LinkUp { addr: a(P) }), vec![ping(P)]);
}

#[test]
fn first_tick_asks_info_of_servers_only() {
    let mut h = H::with(config(), Timers::default());
    for p in [P, R1, P2] {
        h.ev(Event::LinkUp { addr: a(p) });
    }
    h.now += 100;
    assert_eq!(
        h.tick(),
        vec![Action::Info { addr: a(P) }, Action::Info { addr: a(R1) }]
    );
    // Unanswered INFO is not repeated every tick.
    h.now += 100;
    assert_eq!(h.tick(), vec![]);
}

#[test]
fn quiet_when_everything_is_fresh() {
    let mut h = H::standard();
    h.now += 100;
    assert_eq!(h.tick(), vec![]);
}

#[test]
fn pings_every_second() {
    let mut h = H::standard();
    h.now = T0 + 1000;
    assert_eq!(
        h.tick(),
        vec![],
        "exactly one period is not more than one period"
    );
    h.now = T0 + 1001;
    assert_eq!(
        h.tick(),
        vec![ping(P), ping(R1), ping(R2), ping(P2), ping(P3)]
    );
    // Unanswered: no new ping before half a period.
    h.now = T0 + 1400;
    assert_eq!(h.tick(), vec![]);
    h.now = T0 + 1502;
    assert_eq!(
        h.tick(),
        vec![ping(P), ping(R1), ping(R2), ping(P2), ping(P3)]
    );
}

#[test]
fn hello_every_two_seconds_to_every_instance() {
    let mut h = H::standard();
    for p in [P, R1, R2, P2, P3] {
        h.pong(p);
    }
    h.now = T0 + 1000;
    assert_eq!(h.tick(), vec![]);
    h.now = T0 + 2001;
    for p in [P, R1, R2, P2, P3] {
        h.pong(p);
    }
    assert_eq!(
        h.tick(),
        vec![
            hello_to(P, 0),
            hello_to(R1, 0),
            hello_to(R2, 0),
            hello_to(P2, 0),
            hello_to(P3, 0)
        ]
    );
}

#[test]
fn hello_payload_format() {
    let Action::PublishHello { hello, .. } = hello_to(P, 3) else {
        unreachable!()
    };
    assert_eq!(
        hello.payload("10.0.0.9"),
        format!("10.0.0.9,26379,{ME},3,mymaster,127.0.0.1,6379,0")
    );
}

#[test]
fn info_every_ten_seconds() {
    let mut h = H::standard();
    let acts = h.advance(10_000);
    assert!(!acts.iter().any(|x| matches!(x, Action::Info { .. })));
    let acts = h.advance(100);
    let infos: Vec<&Action> = acts
        .iter()
        .filter(|x| matches!(x, Action::Info { .. }))
        .collect();
    assert_eq!(
        infos,
        vec![
            &Action::Info { addr: a(P) },
            &Action::Info { addr: a(R1) },
            &Action::Info { addr: a(R2) }
        ]
    );
}

/// The primary stops answering: pings start at +1.1 s, SDOWN when the oldest unanswered
/// ping is older than down-after (5 s), and the peers are asked at once.
#[test]
fn sdown_after_down_after_without_valid_reply() {
    let mut h = H::standard();
    h.alive.remove(&P);
    let acts = h.advance(6100);
    assert_eq!(emits(&acts), Vec::<String>::new());
    h.now += 100;
    assert_eq!(
        h.tick(),
        vec![
            emit(Level::Warning, "+sdown", "master mymaster 127.0.0.1 6379"),
            ask(P2, 0, "*"),
            ask(P3, 0, "*"),
        ]
    );
    assert!(h.master().server.sdown);
}

#[test]
fn loading_and_masterdown_are_valid_replies_other_errors_are_not() {
    for (reply, valid) in [
        (PingReply::Loading, true),
        (PingReply::MasterDown, true),
        (PingReply::Busy, false),
        (PingReply::Other("ERR x".into()), false),
    ] {
        let mut h = H::standard();
        h.alive.remove(&P);
        for _ in 0..70 {
            h.now += 100;
            let acts = h.tick();
            if acts.contains(&ping(P)) {
                h.ev(Event::PingReply {
                    addr: a(P),
                    reply: reply.clone(),
                });
            }
        }
        assert_eq!(h.master().server.sdown, !valid, "{reply:?}");
    }
    assert_eq!(
        PingReply::classify("LOADING Redis is loading"),
        PingReply::Loading
    );
    assert_eq!(PingReply::classify("PONG"), PingReply::Pong);
    assert_eq!(
        PingReply::classify("MASTERDOWN Link with MASTER is down"),
        PingReply::MasterDown
    );
}

#[test]
fn sdown_clears_on_pong() {
    let mut h = H::standard();
    h.alive.remove(&P);
    h.advance(6200);
    assert!(h.master().server.sdown);
    assert_eq!(h.pong(P), vec![]);
    h.now += 100;
    let acts = h.tick();
    assert_eq!(emits(&acts), vec!["-sdown master mymaster 127.0.0.1 6379"]);
}

#[test]
fn disconnected_link_counts_from_last_valid_reply() {
    let mut h = H::standard();
    h.pong(P);
    h.ev(Event::LinkDown { addr: a(P) });
    h.alive.remove(&P);
    assert_eq!(emits(&h.advance(5000)), Vec::<String>::new());
    assert_eq!(
        emits(&h.advance(100)),
        vec!["+sdown master mymaster 127.0.0.1 6379"]
    );
}

#[test]
fn replica_and_sentinel_sdown_use_their_own_links() {
    let mut h = H::standard();
    h.alive.remove(&R2);
    h.alive.remove(&P3);
    let acts = h.advance(6200);
    assert_eq!(
        emits(&acts),
        vec![
            format!("+sdown slave 127.0.0.1:6381 127.0.0.1 6381 @ mymaster 127.0.0.1 6379"),
            format!("+sdown sentinel {S3} 127.0.0.1 26381 @ mymaster 127.0.0.1 6379"),
        ]
    );
}

/// A primary that reports role:slave is SDOWN after down-after + 2 info periods.
#[test]
fn primary_reporting_replica_role_goes_sdown() {
    let mut h = H::standard();
    h.infos.insert(P, replica_info(P, R1, 0));
    h.info(P);
    let limit = 5000 + 2 * 10_000;
    let acts = h.advance(limit);
    assert_eq!(emits(&acts), Vec::<String>::new());
    let acts = h.advance(100);
    assert_eq!(emits(&acts), vec!["+sdown master mymaster 127.0.0.1 6379"]);
}

#[test]
fn role_change_is_reported() {
    let mut h = H::standard();
    h.infos.insert(P, replica_info(P, R1, 0));
    assert_eq!(
        h.info(P),
        vec![emit(
            Level::Verbose,
            "-role-change",
            "master mymaster 127.0.0.1 6379 new reported role is slave"
        )]
    );
}

#[test]
fn odown_needs_quorum_including_self() {
    let mut h = H::standard();
    h.alive.remove(&P);
    h.advance(6200);
    // One peer agrees: 2/2.
    assert_eq!(h.peer_says_down(P2, "*", 0), vec![]);
    h.now += 100;
    let acts = h.tick();
    assert_eq!(
        emits(&acts)[..3],
        [
            "+odown master mymaster 127.0.0.1 6379 #quorum 2/2".to_string(),
            "+new-epoch 1".to_string(),
            "+try-failover master mymaster 127.0.0.1 6379".to_string(),
        ]
    );
}

#[test]
fn no_odown_below_quorum() {
    let mut cfg = config();
    cfg.masters[0].quorum = 3;
    let mut h = H::with(cfg, Timers::default());
    h.healthy();
    h.alive.remove(&P);
    h.advance(6200);
    h.peer_says_down(P2, "*", 0);
    let acts = h.advance(100);
    assert!(!h.master().server.odown);
    assert!(!emits(&acts).iter().any(|e| e.starts_with("+odown")));
    h.peer_says_down(P3, "*", 0);
    let acts = h.advance(100);
    assert!(emits(&acts).contains(&"+odown master mymaster 127.0.0.1 6379 #quorum 3/3".to_string()));
}

#[test]
fn odown_clears_when_primary_answers() {
    let mut h = H::standard();
    h.core.set_timers(Timers {
        max_desync: 0,
        ..Timers::default()
    });
    h.alive.remove(&P);
    h.advance(6200);
    h.peer_says_down(P2, "*", 0);
    h.advance(100);
    assert!(h.master().server.odown);
    h.alive.insert(P);
    h.pong(P);
    let acts = h.advance(100);
    assert_eq!(
        emits(&acts)[..2],
        [
            "-sdown master mymaster 127.0.0.1 6379".to_string(),
            "-odown master mymaster 127.0.0.1 6379".to_string()
        ]
    );
}

#[test]
fn old_peer_answers_are_forgotten() {
    let mut h = H::standard();
    h.alive.remove(&P);
    h.advance(6200);
    h.peer_says_down(P2, "*", 0);
    // P2 stops answering; after 5 ask periods its "down" no longer counts.
    h.alive.remove(&P2);
    h.advance(5100);
    assert!(!h.master().sentinels[S2].master_down);
}

#[test]
fn replicas_info_every_second_while_primary_is_odown() {
    let mut h = H::standard();
    h.alive.remove(&P);
    h.advance(6200);
    h.peer_says_down(P2, "*", 0);
    let acts = h.advance(1100);
    let r1_infos = acts
        .iter()
        .filter(|x| **x == Action::Info { addr: a(R1) })
        .count();
    assert!(r1_infos >= 1, "{acts:?}");
}

#[test]
fn busy_primary_gets_one_script_kill_while_sdown() {
    let mut h = H::standard();
    h.alive.remove(&P);
    h.advance(6200);
    let busy = Event::PingReply {
        addr: a(P),
        reply: PingReply::Busy,
    };
    assert_eq!(h.ev(busy.clone()), vec![Action::ScriptKill { addr: a(P) }]);
    assert_eq!(h.ev(busy), vec![]);
}

#[test]
fn stuck_link_is_reconnected() {
    let mut h = H::standard();
    // Healthy for longer than the minimum reconnect period (15 s)...
    h.advance(16_000);
    // ...then the primary stops answering on a link that stays "connected".
    h.alive.remove(&P);
    let acts = h.advance(4000);
    assert!(acts.contains(&Action::Reconnect { addr: a(P) }), "{acts:?}");
    assert!(!h.core.link(&a(P)).expect("link").connected);
}

#[test]
fn new_replica_from_primary_info_is_added_and_connected() {
    let mut h = H::standard();
    h.infos.insert(P, primary_info(&[R1, R2, 6390]));
    let acts = h.info(P);
    assert_eq!(acts.len(), 3);
    assert_eq!(
        acts[0],
        emit(
            Level::Notice,
            "+slave",
            "slave 127.0.0.1:6390 127.0.0.1 6390 @ mymaster 127.0.0.1 6379"
        )
    );
    assert_eq!(
        acts[1],
        Action::Connect {
            addr: a(6390),
            kind: LinkKind::Server
        }
    );
    let Action::PersistConfig(snap) = &acts[2] else {
        panic!("{acts:?}")
    };
    assert_eq!(snap.masters[0].known_replicas, vec![a(R1), a(R2), a(6390)]);
}

#[test]
fn reboot_is_reported() {
    let mut h = H::standard();
    let mut info = primary_info(&[R1, R2]);
    info.run_id = Some("f".repeat(40));
    assert_eq!(
        h.ev(Event::InfoReply { addr: a(P), info }),
        vec![emit(
            Level::Notice,
            "+reboot",
            "master mymaster 127.0.0.1 6379"
        )]
    );
}
