//! Hello messages: discovery, epochs, config propagation.

use super::*;

fn hello(
    ip: &str,
    port: u16,
    id: &str,
    epoch: u64,
    master: (&str, u16),
    config_epoch: u64,
) -> Event {
    Event::Hello {
        via: Some(a(P)),
        payload: format!(
            "{ip},{port},{id},{epoch},mymaster,{},{},{config_epoch}",
            master.0, master.1
        ),
    }
}

const S4: &str = "dddddddddddddddddddddddddddddddddddddddd";

#[test]
fn unknown_sentinel_is_added_connected_and_persisted() {
    let mut h = H::standard();
    let acts = h.ev(hello("127.0.0.1", 26382, S4, 0, ("127.0.0.1", P), 0));
    assert_eq!(acts.len(), 3, "{acts:?}");
    assert_eq!(
        acts[0],
        emit(
            Level::Notice,
            "+sentinel",
            &format!("sentinel {S4} 127.0.0.1 26382 @ mymaster 127.0.0.1 6379")
        )
    );
    assert_eq!(
        acts[1],
        Action::Connect {
            addr: a(26382),
            kind: LinkKind::Sentinel
        }
    );
    let Action::PersistConfig(snap) = &acts[2] else {
        panic!("{acts:?}")
    };
    assert!(snap.masters[0]
        .known_sentinels
        .contains(&(a(26382), S4.to_string())));
    // Known now: the same hello does nothing.
    assert_eq!(
        h.ev(hello("127.0.0.1", 26382, S4, 0, ("127.0.0.1", P), 0)),
        vec![]
    );
}

#[test]
fn own_hello_and_malformed_hellos_are_ignored() {
    let mut h = H::standard();
    assert_eq!(
        h.ev(hello("127.0.0.1", 26379, ME, 9, ("127.0.0.1", R1), 9)),
        vec![]
    );
    for payload in [
        "",
        "a,b,c",
        "1,2,3,4,5,6,7,8,9",
        "127.0.0.1,26382,x,0,othermaster,127.0.0.1,6379,0",
    ] {
        assert_eq!(
            h.ev(Event::Hello {
                via: None,
                payload: payload.into()
            }),
            vec![],
            "{payload}"
        );
    }
    assert_eq!(h.core.current_epoch(), 0);
}

#[test]
fn greater_current_epoch_is_adopted() {
    let mut h = H::standard();
    let acts = h.ev(hello("127.0.0.1", P2, S2, 7, ("127.0.0.1", P), 0));
    assert_eq!(acts[0], emit(Level::Warning, "+new-epoch", "7"));
    assert!(matches!(acts[1], Action::PersistConfig(_)));
    assert_eq!(h.core.current_epoch(), 7);
    // A smaller one is not.
    assert_eq!(
        h.ev(hello("127.0.0.1", P2, S2, 3, ("127.0.0.1", P), 0)),
        vec![]
    );
}

#[test]
fn newer_config_epoch_switches_the_master() {
    let mut h = H::standard();
    let acts = h.ev(hello("127.0.0.1", P2, S2, 4, ("127.0.0.1", R1), 4));
    assert_eq!(
        emits(&acts),
        vec![
            "+new-epoch 4".to_string(),
            format!("+config-update-from sentinel {S2} 127.0.0.1 26380 @ mymaster 127.0.0.1 6379"),
            "+switch-master mymaster 127.0.0.1 6379 127.0.0.1 6380".to_string(),
            "+slave slave 127.0.0.1:6381 127.0.0.1 6381 @ mymaster 127.0.0.1 6380".to_string(),
            "+slave slave 127.0.0.1:6379 127.0.0.1 6379 @ mymaster 127.0.0.1 6380".to_string(),
        ]
    );
    assert_eq!(h.master().server.addr, a(R1));
    assert_eq!(h.master().config_epoch, 4);
    assert_eq!(h.core.current_master_addr("mymaster"), Some(&a(R1)));
    // The same or an older config epoch changes nothing.
    assert_eq!(
        h.ev(hello("127.0.0.1", P2, S2, 4, ("127.0.0.1", R2), 4)),
        vec![]
    );
    assert_eq!(
        h.ev(hello("127.0.0.1", P2, S2, 4, ("127.0.0.1", R2), 3)),
        vec![]
    );
}

#[test]
fn newer_config_epoch_with_same_address_only_records_the_epoch() {
    let mut h = H::standard();
    let acts = h.ev(hello("127.0.0.1", P2, S2, 0, ("127.0.0.1", P), 2));
    assert_eq!(emits(&acts), Vec::<String>::new());
    assert!(matches!(acts[..], [Action::PersistConfig(_)]));
    assert_eq!(h.master().config_epoch, 2);
}

#[test]
fn sentinel_address_switch() {
    let mut h = H::standard();
    let acts = h.ev(hello("127.0.0.1", 26390, S2, 0, ("127.0.0.1", P), 0));
    assert_eq!(
        emits(&acts),
        vec![format!(
            "+sentinel-address-switch master mymaster 127.0.0.1 6379 ip 127.0.0.1 port 26390 for {S2}"
        )]
    );
    assert_eq!(h.master().sentinels[S2].addr, a(26390));
    assert!(acts.contains(&Action::Disconnect { addr: a(P2) }));
    assert!(acts.contains(&Action::Connect {
        addr: a(26390),
        kind: LinkKind::Sentinel
    }));
}

#[test]
fn another_sentinel_at_a_known_address_evicts_the_old_one() {
    let mut h = H::standard();
    let acts = h.ev(hello("127.0.0.1", P2, S4, 0, ("127.0.0.1", P), 0));
    assert_eq!(
        emits(&acts),
        vec![
            format!(
                "+sentinel-invalid-addr sentinel {S2} 127.0.0.1 26380 @ mymaster 127.0.0.1 6379"
            ),
            format!("+sentinel sentinel {S4} 127.0.0.1 26380 @ mymaster 127.0.0.1 6379"),
        ]
    );
    assert!(!h.master().sentinels.contains_key(S2));
    assert!(h.master().sentinels.contains_key(S4));
}

#[test]
fn hello_advertises_promoted_replica_once_promotion_is_acknowledged() {
    let mut h = H::standard();
    let mut m = h.core.masters.remove("mymaster").expect("m");
    m.failover.state = FailoverState::ReconfReplicas;
    m.failover.promoted = Some(a(R1));
    m.config_epoch = 3;
    let hello = h.core.hello_for(&m);
    assert_eq!(hello.master_addr, a(R1));
    assert_eq!(hello.master_config_epoch, 3);
    m.failover.state = FailoverState::WaitPromotion;
    assert_eq!(h.core.hello_for(&m).master_addr, a(P));
}

#[test]
fn announce_ip_and_port_are_used_when_set() {
    let mut cfg = config();
    cfg.announce_ip = Some("192.0.2.1".into());
    cfg.announce_port = 5000;
    let h = H::with(cfg, Timers::default());
    let hello = h.core.hello_for(h.master());
    assert_eq!(
        hello.payload("10.0.0.1"),
        format!("192.0.2.1,5000,{ME},0,mymaster,127.0.0.1,6379,0")
    );
}
