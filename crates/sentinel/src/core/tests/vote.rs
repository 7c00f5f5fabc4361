//! IS-MASTER-DOWN-BY-ADDR in both directions: votes, epochs, persistence before the reply.

use super::*;

fn request(epoch: u64, runid: &str) -> Event {
    Event::IsMasterDownRequest {
        req: 9,
        ip: "127.0.0.1".to_string(),
        port: P,
        current_epoch: epoch,
        runid: runid.to_string(),
    }
}

fn reply(down: bool, leader: &str, epoch: u64) -> Action {
    Action::ReplyIsMasterDown {
        req: 9,
        down,
        leader: leader.to_string(),
        leader_epoch: epoch,
    }
}

#[test]
fn first_request_of_an_epoch_gets_the_vote_persisted_before_the_reply() {
    let mut h = H::standard();
    let acts = h.ev(request(5, S2));
    assert_eq!(acts.len(), 4, "{acts:?}");
    assert_eq!(acts[0], emit(Level::Warning, "+new-epoch", "5"));
    let Action::PersistConfig(snap) = &acts[1] else {
        panic!("persist must come before the reply: {acts:?}")
    };
    assert_eq!(snap.current_epoch, 5);
    assert_eq!(snap.masters[0].leader_epoch, 5);
    assert_eq!(snap.masters[0].leader.as_deref(), Some(S2));
    assert_eq!(
        acts[2],
        emit(Level::Warning, "+vote-for-leader", &format!("{S2} 5"))
    );
    assert_eq!(acts[3], reply(false, S2, 5));
}

#[test]
fn one_vote_per_epoch_first_come() {
    let mut h = H::standard();
    h.ev(request(5, S2));
    assert_eq!(h.ev(request(5, S3)), vec![reply(false, S2, 5)]);
    // An older epoch cannot take the vote back either.
    assert_eq!(h.ev(request(4, S3)), vec![reply(false, S2, 5)]);
    // A newer epoch is a new election.
    let acts = h.ev(request(6, S3));
    assert_eq!(acts.last(), Some(&reply(false, S3, 6)));
    assert!(matches!(acts[1], Action::PersistConfig(_)));
}

#[test]
fn a_request_for_an_epoch_below_ours_gets_no_vote() {
    let mut cfg = config();
    cfg.current_epoch = 7;
    let mut h = H::with(cfg, Timers::default());
    h.healthy();
    assert_eq!(h.ev(request(5, S2)), vec![reply(false, "*", 0)]);
}

#[test]
fn star_asks_only_for_the_down_state() {
    let mut h = H::standard();
    assert_eq!(h.ev(request(0, "*")), vec![reply(false, "*", 0)]);
    h.alive.remove(&P);
    h.advance(6200);
    assert_eq!(h.ev(request(0, "*")), vec![reply(true, "*", 0)]);
}

#[test]
fn unknown_primary_is_not_down_and_gets_no_vote() {
    let mut h = H::standard();
    let ev = Event::IsMasterDownRequest {
        req: 9,
        ip: "10.9.9.9".to_string(),
        port: P,
        current_epoch: 5,
        runid: S2.to_string(),
    };
    assert_eq!(h.ev(ev), vec![reply(false, "*", 0)]);
    assert_eq!(h.core.current_epoch(), 0);
}

#[test]
fn in_tilt_the_answer_is_not_down() {
    let mut h = H::standard();
    h.alive.remove(&P);
    h.advance(6200);
    h.now += 5000;
    h.tick();
    assert!(h.core.in_tilt());
    assert_eq!(h.ev(request(0, "*")), vec![reply(false, "*", 0)]);
}

#[test]
fn voting_for_another_delays_our_own_failover() {
    let mut h = H::standard();
    h.ev(request(5, S2));
    let start = h.master().failover.start_time.expect("start time set");
    assert!(start >= h.now && start < h.now + 1000);
    // The primary fails right after: ODOWN, but no failover of our own for 2 x timeout.
    h.alive.remove(&P);
    h.advance(6200);
    h.peer_says_down(P2, "*", 0);
    let acts = h.advance(1000);
    assert!(h.master().server.odown);
    assert!(!emits(&acts).iter().any(|e| e.starts_with("+try-failover")));
}

#[test]
fn replies_record_peer_votes_and_down_state() {
    let mut h = H::standard();
    h.peer_says_down(P2, S3, 4);
    let p = &h.master().sentinels[S2];
    assert!(p.master_down);
    assert_eq!((p.leader.as_deref(), p.leader_epoch), (Some(S3), 4));
    // "*" does not overwrite the recorded vote.
    h.peer_says_down(P2, "*", 0);
    assert_eq!(h.master().sentinels[S2].leader.as_deref(), Some(S3));
}

/// Elected with our vote and one peer's: majority (2 of 3) and quorum 2.
#[test]
fn elected_with_majority_of_known_sentinels() {
    let mut h = H::standard();
    h.core.set_timers(Timers {
        max_desync: 0,
        ..Timers::default()
    });
    h.alive.remove(&P);
    h.advance(6200);
    h.peer_says_down(P2, "*", 0);
    let acts = h.advance(100);
    assert_eq!(
        emits(&acts),
        vec![
            "+odown master mymaster 127.0.0.1 6379 #quorum 2/2".to_string(),
            "+new-epoch 1".to_string(),
            "+try-failover master mymaster 127.0.0.1 6379".to_string(),
            format!("+vote-for-leader {ME} 1"),
        ]
    );
    // The vote request went out with our run id and the new epoch.
    assert!(acts.contains(&Action::AskIsMasterDown {
        to: a(P2),
        master: "mymaster".into(),
        master_addr: a(P),
        current_epoch: 1,
        runid: ME.into(),
    }));
    h.peer_says_down(P2, ME, 1);
    let acts = h.advance(100);
    assert_eq!(
        emits(&acts)[..2],
        [
            "+elected-leader master mymaster 127.0.0.1 6379".to_string(),
            "+failover-state-select-slave master mymaster 127.0.0.1 6379".to_string(),
        ]
    );
}

#[test]
fn not_elected_when_peers_vote_for_someone_else() {
    let mut h = H::standard();
    h.core.set_timers(Timers {
        max_desync: 0,
        ..Timers::default()
    });
    h.alive.remove(&P);
    h.advance(6200);
    h.peer_says_down(P2, "*", 0);
    h.advance(100);
    h.peer_says_down(P2, S3, 1);
    h.peer_says_down(P3, S3, 1);
    let acts = h.advance(500);
    assert!(!emits(&acts)
        .iter()
        .any(|e| e.starts_with("+elected-leader")));
}
