//! TILT and operator commands.

use super::*;

fn reply_of(acts: &[Action]) -> Option<Reply> {
    acts.iter().find_map(|x| match x {
        Action::Reply { reply, .. } => Some(reply.clone()),
        _ => None,
    })
}

fn cmd(h: &mut H, c: Command) -> Vec<Action> {
    h.ev(Event::Command { req: 3, cmd: c })
}

#[test]
fn clock_jump_forward_enters_tilt() {
    let mut h = H::standard();
    h.now += 2001;
    assert_eq!(emits(&h.tick())[0], "+tilt #tilt mode entered");
    assert!(h.core.in_tilt());
}

#[test]
fn clock_going_backwards_enters_tilt() {
    let mut h = H::standard();
    h.now += 100;
    h.tick();
    h.now -= 50;
    assert_eq!(emits(&h.tick()), vec!["+tilt #tilt mode entered"]);
}

#[test]
fn small_steps_do_not_tilt() {
    let mut h = H::standard();
    h.now += 2000;
    assert!(!emits(&h.tick()).iter().any(|e| e.starts_with("+tilt")));
}

/// In TILT monitoring goes on (PING, INFO) but nothing is judged or done; it ends after the
/// tilt period.
#[test]
fn tilt_suspends_the_acting_half_for_the_tilt_period() {
    let mut h = H::standard();
    h.alive.remove(&P);
    h.now += 3000;
    h.tick();
    let acts = h.advance(29_800);
    assert!(acts.iter().any(|x| matches!(x, Action::Ping { .. })));
    assert_eq!(
        emits(&acts),
        Vec::<String>::new(),
        "no +sdown while in TILT"
    );
    let acts = h.advance(300);
    assert_eq!(
        emits(&acts),
        vec![
            "-tilt #tilt mode exited".to_string(),
            "+sdown master mymaster 127.0.0.1 6379".to_string()
        ]
    );
}

#[test]
fn monitor_adds_a_master_persists_then_replies() {
    let mut h = H::standard();
    let acts = cmd(
        &mut h,
        Command::Monitor {
            name: "other".into(),
            host: "10.0.0.5".into(),
            port: 7000,
            quorum: 1,
        },
    );
    assert_eq!(acts.len(), 4, "{acts:?}");
    let Action::PersistConfig(snap) = &acts[0] else {
        panic!("{acts:?}")
    };
    assert_eq!(snap.masters.len(), 2);
    assert_eq!(
        acts[1],
        Action::Reply {
            req: 3,
            reply: Reply::Ok
        }
    );
    assert_eq!(
        acts[2],
        emit(
            Level::Warning,
            "+monitor",
            "master other 10.0.0.5 7000 quorum 1"
        )
    );
    assert_eq!(
        acts[3],
        Action::Connect {
            addr: Addr::new("10.0.0.5", 7000),
            kind: LinkKind::Server
        }
    );
}

#[test]
fn monitor_errors() {
    let mut h = H::standard();
    let mut m = |name: &str, port: i64, quorum: i64| {
        reply_of(&cmd(
            &mut h,
            Command::Monitor {
                name: name.into(),
                host: "10.0.0.5".into(),
                port,
                quorum,
            },
        ))
    };
    assert_eq!(
        m("x", 7000, 0),
        Some(Reply::Error("ERR Quorum must be 1 or greater.".into()))
    );
    assert_eq!(
        m("x", 70000, 1),
        Some(Reply::Error("ERR Invalid port number.".into()))
    );
    assert_eq!(
        m("mymaster", 7000, 1),
        Some(Reply::Error("ERR Duplicate master name.".into()))
    );
}

#[test]
fn remove_forgets_the_master_and_its_links() {
    let mut h = H::standard();
    let acts = cmd(
        &mut h,
        Command::Remove {
            master: "mymaster".into(),
        },
    );
    assert_eq!(
        acts[0],
        emit(Level::Warning, "-monitor", "master mymaster 127.0.0.1 6379")
    );
    assert!(matches!(acts[1], Action::PersistConfig(_)));
    assert_eq!(
        acts[2],
        Action::Reply {
            req: 3,
            reply: Reply::Ok
        }
    );
    assert_eq!(
        acts.iter()
            .filter(|x| matches!(x, Action::Disconnect { .. }))
            .count(),
        5
    );
    assert!(h.core.master("mymaster").is_none());
    assert_eq!(
        reply_of(&cmd(
            &mut h,
            Command::Remove {
                master: "mymaster".into()
            }
        )),
        Some(Reply::Error("ERR No such master with that name".into()))
    );
}

#[test]
fn set_changes_settings_and_reports_each() {
    let mut h = H::standard();
    let args = [
        "down-after-milliseconds",
        "1000",
        "quorum",
        "3",
        "auth-pass",
        "secret",
    ];
    let acts = cmd(
        &mut h,
        Command::Set {
            master: "mymaster".into(),
            args: args.iter().map(|s| s.to_string()).collect(),
        },
    );
    assert_eq!(
        emits(&acts),
        vec![
            "+set master mymaster 127.0.0.1 6379 down-after-milliseconds 1000",
            "+set master mymaster 127.0.0.1 6379 quorum 3",
            "+set master mymaster 127.0.0.1 6379 auth-pass ******",
        ]
    );
    assert_eq!(reply_of(&acts), Some(Reply::Ok));
    assert!(acts.contains(&Action::Reconnect { addr: a(P) }));
    let m = h.master();
    assert_eq!(
        (m.down_after, m.quorum, m.auth_pass.as_deref()),
        (1000, 3, Some("secret"))
    );
}

#[test]
fn set_errors() {
    let mut h = H::standard();
    let mut set = |args: &[&str]| {
        reply_of(&cmd(
            &mut h,
            Command::Set {
                master: "mymaster".into(),
                args: args.iter().map(|s| s.to_string()).collect(),
            },
        ))
    };
    assert_eq!(
        set(&["quorum", "0"]),
        Some(Reply::Error(
            "ERR Invalid argument '0' for SENTINEL SET 'quorum'".into()
        ))
    );
    assert_eq!(
        set(&["bogus", "1"]),
        Some(Reply::Error(
            "ERR Unknown option or number of arguments for SENTINEL SET 'bogus'".into()
        ))
    );
    assert_eq!(
        set(&["quorum"]),
        Some(Reply::Error(
            "ERR Unknown option or number of arguments for SENTINEL SET 'quorum'".into()
        ))
    );
    assert!(
        matches!(set(&["notification-script", "/bin/true"]), Some(Reply::Error(e)) if e.contains("deny-scripts-reconfig"))
    );
    // A change before the error stays and is persisted.
    let acts = cmd(
        &mut h,
        Command::Set {
            master: "mymaster".into(),
            args: vec!["parallel-syncs".into(), "5".into(), "x".into(), "1".into()],
        },
    );
    assert!(acts.iter().any(|x| matches!(x, Action::PersistConfig(_))));
    assert_eq!(h.master().parallel_syncs, 5);
}

#[test]
fn reset_forgets_replicas_and_sentinels() {
    let mut h = H::standard();
    let acts = cmd(
        &mut h,
        Command::Reset {
            pattern: "my*".into(),
        },
    );
    assert_eq!(reply_of(&acts), Some(Reply::Int(1)));
    assert!(emits(&acts).contains(&"+reset-master master mymaster 127.0.0.1 6379".to_string()));
    assert!(h.master().replicas.is_empty() && h.master().sentinels.is_empty());
    assert_eq!(
        reply_of(&cmd(
            &mut h,
            Command::Reset {
                pattern: "x*".into()
            }
        )),
        Some(Reply::Int(0))
    );
}

#[test]
fn ckquorum() {
    let mut h = H::standard();
    let r = reply_of(&cmd(
        &mut h,
        Command::CkQuorum {
            master: "mymaster".into(),
        },
    ));
    assert_eq!(
        r,
        Some(Reply::Status(
            "OK 3 usable Sentinels. Quorum and failover authorization can be reached".into()
        ))
    );
    h.alive.remove(&P2);
    h.alive.remove(&P3);
    h.advance(6200);
    let r = reply_of(&cmd(
        &mut h,
        Command::CkQuorum {
            master: "mymaster".into(),
        },
    ));
    assert_eq!(
        r,
        Some(Reply::Error("NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master. Not enough available Sentinels to reach the majority and authorize a failover".into()))
    );
}

#[test]
fn notification_script_runs_on_warnings() {
    let mut cfg = config();
    cfg.masters[0].notification_script = Some("/usr/local/bin/notify".into());
    let mut h = H::with(cfg, Timers::default());
    h.healthy();
    h.alive.remove(&P);
    let acts = h.advance(6200);
    let i = acts
        .iter()
        .position(|x| {
            matches!(
                x,
                Action::Emit {
                    channel: "+sdown",
                    ..
                }
            )
        })
        .expect("sdown");
    assert_eq!(
        acts[i + 1],
        Action::RunScript {
            path: "/usr/local/bin/notify".into(),
            args: vec!["+sdown".into(), "master mymaster 127.0.0.1 6379".into()],
        }
    );
}
