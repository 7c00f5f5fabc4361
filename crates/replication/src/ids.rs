//! Replication ids and the PSYNC decision (Redis's PSYNC2 rules).
//!
//! A primary's history is named by `replid`. When a replica is promoted it keeps its old
//! primary's id as `replid2`, valid up to `second_repl_offset`, and starts a new `replid`:
//! replicas of the old primary (and the old primary itself, returning as a replica) can then
//! continue partially from the new primary as long as their offset is within the shared
//! history and still in the backlog.

use crate::backlog::Backlog;

/// A new random 40-hex-digit replication id.
pub fn new_replid() -> String {
    (0..40)
        .map(|_| std::char::from_digit(fastrand::u32(0..16), 16).expect("hex digit"))
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplIds {
    pub replid: String,
    pub replid2: String,
    /// Last offset (exclusive) of the history named by `replid2`; -1 when there is none.
    pub second_repl_offset: i64,
}

impl Default for ReplIds {
    fn default() -> Self {
        ReplIds {
            replid: new_replid(),
            replid2: "0".repeat(40),
            second_repl_offset: -1,
        }
    }
}

impl ReplIds {
    /// On promotion: the old id becomes `replid2`, valid up to `offset`; a new id starts.
    pub fn shift(&mut self, offset: i64) {
        self.replid2 = std::mem::replace(&mut self.replid, new_replid());
        self.second_repl_offset = offset + 1;
    }
}

/// What a primary answers to `PSYNC <replid> <offset>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PsyncDecision {
    /// `+CONTINUE <replid>` then the backlog from the offset.
    Continue,
    /// `+FULLRESYNC <replid> <offset>` then a snapshot.
    Full,
}

/// Redis's `masterTryPartialResynchronization` rules. `offset` is the replica's processed
/// offset + 1, as sent in PSYNC.
pub fn decide(
    ids: &ReplIds,
    backlog: Option<&Backlog>,
    replid: &str,
    offset: i64,
) -> PsyncDecision {
    let Some(b) = backlog else {
        return PsyncDecision::Full;
    };
    let same_history = replid == ids.replid
        || (replid == ids.replid2
            && ids.second_repl_offset >= 0
            && offset <= ids.second_repl_offset);
    // PSYNC offsets are 1-based: offset N means "send from byte N", i.e. from stream offset N-1.
    if same_history && b.covers(offset - 1) {
        PsyncDecision::Continue
    } else {
        PsyncDecision::Full
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_only_within_history_and_backlog() {
        let mut ids = ReplIds::default();
        let mut b = Backlog::new(16, 0);
        b.feed(b"0123456789");
        let id = ids.replid.clone();
        assert_eq!(decide(&ids, Some(&b), &id, 11), PsyncDecision::Continue);
        assert_eq!(decide(&ids, Some(&b), &id, 1), PsyncDecision::Continue);
        assert_eq!(decide(&ids, Some(&b), &id, 12), PsyncDecision::Full);
        assert_eq!(decide(&ids, Some(&b), "?", -1), PsyncDecision::Full);
        assert_eq!(decide(&ids, None, &id, 11), PsyncDecision::Full);
        // Promotion: the old id stays valid up to the switch point.
        ids.shift(10);
        b.feed(b"ab");
        assert_eq!(decide(&ids, Some(&b), &id, 11), PsyncDecision::Continue);
        assert_eq!(decide(&ids, Some(&b), &id, 12), PsyncDecision::Full);
    }
}
