//! Replica selection: exclusions and ordering.

use super::*;

fn selected(h: &H) -> Option<Addr> {
    h.core.select_replica(h.now, h.master())
}

fn set(h: &mut H, port: u16, f: impl FnOnce(&mut InfoReport)) {
    let mut i = replica_info(port, P, 100);
    f(&mut i);
    h.infos.insert(port, i);
    h.info(port);
}

#[test]
fn higher_offset_wins_at_equal_priority() {
    let h = H::standard();
    assert_eq!(selected(&h), Some(a(R1)));
}

#[test]
fn lower_priority_wins_over_offset() {
    let mut h = H::standard();
    set(&mut h, R2, |i| {
        i.slave_priority = Some(10);
        i.slave_repl_offset = Some(1);
    });
    assert_eq!(selected(&h), Some(a(R2)));
}

#[test]
fn run_id_breaks_ties_and_unknown_run_id_sorts_last() {
    let mut h = H::standard();
    set(&mut h, R1, |i| i.run_id = Some("b".repeat(40)));
    set(&mut h, R2, |i| i.run_id = Some("a".repeat(40)));
    assert_eq!(selected(&h), Some(a(R2)));
    let mut x = Server::new(a(1), Role::Replica, 0);
    let mut y = x.clone();
    x.runid = None;
    y.runid = Some("z".into());
    assert_eq!(
        crate::core::select::compare_for_promotion(&x, &y),
        std::cmp::Ordering::Greater
    );
}

#[test]
fn priority_zero_is_never_selected() {
    let mut h = H::standard();
    set(&mut h, R1, |i| i.slave_priority = Some(0));
    assert_eq!(selected(&h), Some(a(R2)));
    set(&mut h, R2, |i| i.slave_priority = Some(0));
    assert_eq!(selected(&h), None);
}

#[test]
fn disconnected_or_sdown_replicas_are_excluded() {
    let mut h = H::standard();
    h.ev(Event::LinkDown { addr: a(R1) });
    assert_eq!(selected(&h), Some(a(R2)));
    let mut h = H::standard();
    h.alive.remove(&R1);
    h.advance(6200);
    assert!(h.master().replicas[&a(R1)].sdown);
    assert_eq!(selected(&h), Some(a(R2)));
}

#[test]
fn stale_info_is_excluded() {
    let mut h = H::standard();
    // Without the primary down, INFO is valid for 3 info periods.
    h.now += 30_001;
    for p in [R1, R2] {
        h.pong(p);
    }
    assert_eq!(selected(&h), None);
    h.info(R2);
    assert_eq!(selected(&h), Some(a(R2)));
}

#[test]
fn stale_ping_is_excluded() {
    let mut h = H::standard();
    h.now += 5001;
    h.info(R1);
    h.info(R2);
    h.pong(R2);
    assert_eq!(selected(&h), Some(a(R2)));
}

#[test]
fn long_replication_link_outage_is_excluded() {
    let mut h = H::standard();
    // down-after 5 s: at most 50 s of link outage while the primary is up.
    set(&mut h, R1, |i| i.master_link_down_since_seconds = Some(51));
    assert_eq!(selected(&h), Some(a(R2)));
    set(&mut h, R1, |i| i.master_link_down_since_seconds = Some(50));
    assert_eq!(selected(&h), Some(a(R1)));
}
