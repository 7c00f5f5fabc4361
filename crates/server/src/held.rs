//! Write replies held until replicas confirm them (`min-replicas-ack-writes yes`).
//!
//! A connection runs its commands as usual; a write's reply (one that moved the replication
//! offset) and every reply after it are kept here instead of being sent, so replies leave in
//! order: a pipelined GET after a held SET waits for the SET. Each ACK wakes the connection
//! (`commands::repl::wait::wake_holders`), which releases the replies up to the first write
//! still unconfirmed; a write that stays unconfirmed past its deadline is answered with
//! `-NOREPLICAS … acknowledged the write.` instead of its reply.

use std::collections::VecDeque;

use bytes::BytesMut;
use commands::repl::wait::{self, HoldVerdict};
use commands::ServerState;
use resp::ReplyWriter;

/// A write that ran in this batch: its reply is `out[start..end]`, confirmed once replicas
/// acknowledge `offset`.
#[derive(Debug, Clone, Copy)]
pub struct Write {
    pub start: usize,
    pub end: usize,
    pub offset: i64,
    /// Unix ms after which it is answered with the error; 0 never.
    pub deadline: i64,
}

/// The replies a connection holds back.
#[derive(Default)]
pub struct Held {
    buf: BytesMut,
    /// Held writes, positions relative to `buf`, oldest first.
    writes: VecDeque<Write>,
}

impl Held {
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty() && self.writes.is_empty()
    }

    /// Takes out of `out` the replies from the batch's first held write on — or all of them
    /// while older replies are still held.
    pub fn absorb(&mut self, out: &mut ReplyWriter, batch: &mut Vec<Write>) {
        if self.is_empty() && batch.is_empty() {
            return;
        }
        let cut = if self.is_empty() { batch[0].start } else { 0 };
        let base = self.buf.len();
        self.buf.extend_from_slice(&out.buf[cut..]);
        out.buf.truncate(cut);
        for w in batch.drain(..) {
            self.writes.push_back(Write {
                start: base + w.start - cut,
                end: base + w.end - cut,
                ..w
            });
        }
    }

    /// Moves into `out` every reply no longer waiting. Returns true when something moved.
    pub fn release(&mut self, srv: &mut ServerState, out: &mut ReplyWriter, now: i64) -> bool {
        if self.is_empty() {
            return false;
        }
        let verdict = wait::hold_verdict(srv);
        let mut pos = 0;
        while let Some(w) = self.writes.front().copied() {
            let confirmed = match verdict {
                HoldVerdict::Confirmed(o) => w.offset <= o,
                HoldVerdict::ReleaseAll => true,
                HoldVerdict::FailAll => false,
            };
            let failed = verdict == HoldVerdict::FailAll || (w.deadline != 0 && now >= w.deadline);
            if !confirmed && !failed {
                break;
            }
            out.buf.extend_from_slice(&self.buf[pos..w.start]);
            if confirmed {
                out.buf.extend_from_slice(&self.buf[w.start..w.end]);
            } else if w.end > w.start {
                // (A write whose reply was switched off by CLIENT REPLY gets no error either.)
                wait::unconfirmed(srv, out);
            }
            pos = w.end;
            self.writes.pop_front();
        }
        let upto = self.writes.front().map_or(self.buf.len(), |w| w.start);
        out.buf.extend_from_slice(&self.buf[pos..upto]);
        let _ = self.buf.split_to(upto);
        for w in &mut self.writes {
            w.start -= upto;
            w.end -= upto;
        }
        upto > 0
    }

    /// When the oldest held write gives up, if it ever does.
    pub fn deadline(&self) -> Option<i64> {
        self.writes.front().map(|w| w.deadline).filter(|&d| d != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writer(s: &str) -> ReplyWriter {
        let mut w = ReplyWriter::default();
        w.raw(s.as_bytes());
        w
    }

    #[test]
    fn replies_before_the_first_write_pass_later_ones_wait() {
        let mut h = Held::default();
        // "+PONG" then a write "+OK" then a read "$1 v".
        let mut out = writer("+PONG\r\n+OK\r\n$1\r\nv\r\n");
        let mut batch = vec![Write {
            start: 7,
            end: 12,
            offset: 100,
            deadline: 0,
        }];
        h.absorb(&mut out, &mut batch);
        assert_eq!(&out.buf[..], b"+PONG\r\n");
        assert!(!h.is_empty());
        // Later batches queue behind, even without writes of their own.
        let mut more = writer(":1\r\n");
        h.absorb(&mut more, &mut Vec::new());
        assert!(more.buf.is_empty());
        assert_eq!(h.deadline(), None);
    }

    fn primary_in_mode() -> commands::Core {
        let config = commands::Config {
            min_replicas_ack_writes: true,
            min_replicas_to_write: 1,
            ..Default::default()
        };
        commands::Core::new(config, 0)
    }

    #[test]
    fn unconfirmed_write_times_out_into_the_error_and_releases_what_follows() {
        let mut core = primary_in_mode();
        let mut h = Held::default();
        let mut out = writer("+OK\r\n:7\r\n$1\r\nv\r\n");
        let mut batch = vec![
            Write {
                start: 0,
                end: 5,
                offset: 100,
                deadline: 50,
            },
            Write {
                start: 5,
                end: 9,
                offset: 120,
                deadline: 60,
            },
        ];
        h.absorb(&mut out, &mut batch);
        assert!(out.buf.is_empty());
        assert_eq!(h.deadline(), Some(50));
        // No replica acknowledged anything: nothing moves before the first deadline.
        assert!(!h.release(&mut core.srv, &mut out, 49));
        assert!(out.buf.is_empty());
        // The first times out; the second is still waiting and holds the GET behind it.
        assert!(h.release(&mut core.srv, &mut out, 55));
        assert_eq!(
            &out.buf[..],
            b"-NOREPLICAS Not enough good replicas acknowledged the write.\r\n"
        );
        assert_eq!(h.deadline(), Some(60));
        out.buf.clear();
        // The mode switched off: the rest goes out as it is.
        core.srv.config.min_replicas_ack_writes = false;
        assert!(h.release(&mut core.srv, &mut out, 55));
        assert_eq!(&out.buf[..], b":7\r\n$1\r\nv\r\n");
        assert!(h.is_empty());
    }

    #[test]
    fn a_primary_turned_replica_fails_everything_held() {
        let mut core = primary_in_mode();
        commands::repl::become_replica(&mut core.srv, "127.0.0.1".into(), 1, 0);
        let mut h = Held::default();
        let mut out = writer("+OK\r\n+PONG\r\n");
        let mut batch = vec![Write {
            start: 0,
            end: 5,
            offset: 10,
            deadline: 0,
        }];
        h.absorb(&mut out, &mut batch);
        assert!(h.release(&mut core.srv, &mut out, 0));
        assert_eq!(
            &out.buf[..],
            b"-NOREPLICAS Not enough good replicas acknowledged the write.\r\n+PONG\r\n"
        );
    }
}
