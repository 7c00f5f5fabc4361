//! Epochs and leader election (Redis's `sentinelVoteLeader`, `sentinelGetLeader`, and both
//! sides of `SENTINEL IS-MASTER-DOWN-BY-ADDR`).
//!
//! - While a primary is SDOWN we ask every peer (about once per `ask_period`) whether it
//!   thinks the primary is down; their answers make ODOWN.
//! - Once we start a failover the same request carries our run id and the new epoch: it asks
//!   for a vote. Each sentinel votes at most once per epoch, for the first candidate that
//!   asks, and the vote is persisted before the reply leaves.
//! - A candidate is leader of an epoch when it holds the votes of a majority of all known
//!   sentinels (itself included) and at least `quorum` votes.

use std::collections::BTreeMap;

use super::engine::MCtx;
use super::events::{ch, vote_msg};
use super::instance::Master;
use super::{Action, Addr, Core, Level, Millis, ReqId};

/// The election rule: `votes` for the best candidate out of `voters` known sentinels (this
/// one included) wins with an absolute majority and at least `quorum` votes.
pub fn wins(votes: u64, voters: u64, quorum: u64) -> bool {
    votes > voters / 2 && votes >= quorum
}

impl Core {
    /// Vote for `req_runid` in `req_epoch` unless we already voted in that epoch or a later
    /// one; returns the vote we hold (the new one or the old one) and its epoch.
    pub(crate) fn vote_leader(
        &mut self,
        now: Millis,
        ctx: &MCtx,
        m: &mut Master,
        req_epoch: u64,
        req_runid: &str,
    ) -> (Option<String>, u64) {
        if req_epoch > self.current_epoch {
            self.current_epoch = req_epoch;
            self.dirty = true;
            self.ev(ctx, Level::Warning, ch::NEW_EPOCH, req_epoch.to_string());
        }
        if m.leader_epoch < req_epoch && self.current_epoch <= req_epoch {
            m.leader = Some(req_runid.to_string());
            m.leader_epoch = self.current_epoch;
            self.dirty = true;
            self.persist_point();
            self.ev(
                ctx,
                Level::Warning,
                ch::VOTE_FOR_LEADER,
                vote_msg(req_runid, m.leader_epoch),
            );
            // Having voted for someone else, wait before trying a failover of our own.
            if !self.is_me(req_runid) {
                m.failover.start_time = Some(now + self.desync());
            }
        }
        (m.leader.clone(), m.leader_epoch)
    }

    /// The leader of `epoch`, if any, after casting our own vote (for the most voted peer
    /// candidate, or for ourselves when nobody has votes).
    pub(crate) fn get_leader(
        &mut self,
        now: Millis,
        ctx: &MCtx,
        m: &mut Master,
        epoch: u64,
    ) -> Option<String> {
        let voters = m.sentinels.len() as u64 + 1;
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        for p in m.sentinels.values() {
            if let Some(l) = &p.leader {
                if p.leader_epoch == self.current_epoch {
                    *counts.entry(l.clone()).or_default() += 1;
                }
            }
        }
        let mut winner: Option<String> = None;
        let mut max = 0;
        for (id, &v) in &counts {
            if v > max {
                max = v;
                winner = Some(id.clone());
            }
        }
        let candidate = winner.clone().unwrap_or_else(|| self.myid.clone());
        let (my_vote, vote_epoch) = self.vote_leader(now, ctx, m, epoch, &candidate);
        if let Some(v) = my_vote {
            if vote_epoch == epoch {
                let c = counts.entry(v.clone()).or_default();
                *c += 1;
                if *c > max {
                    max = *c;
                    winner = Some(v);
                }
            }
        }
        winner.filter(|_| wins(max, voters, u64::from(m.quorum)))
    }

    /// Ask the peers about the primary (with our run id once we are failing it over).
    /// Answers older than five ask periods are forgotten.
    pub(crate) fn ask_sentinels(&mut self, now: Millis, m: &mut Master, forced: bool) {
        let period = self.timers.ask_period;
        let runid = if m.failover_in_progress() {
            self.myid.clone()
        } else {
            "*".to_string()
        };
        for p in m.sentinels.values_mut() {
            let since_reply = now.saturating_sub(p.last_master_down_reply_time);
            if since_reply > period * 5 {
                p.master_down = false;
                p.leader = None;
            }
            if !m.server.sdown || !self.links.get(&p.addr).is_some_and(|l| l.connected) {
                continue;
            }
            if !forced {
                let answered_recently = since_reply < period;
                let asked_recently = p.ask_sent.is_some_and(|t| now.saturating_sub(t) < period);
                if answered_recently || asked_recently {
                    continue;
                }
            }
            p.ask_sent = Some(now);
            self.out.push(Action::AskIsMasterDown {
                to: p.addr.clone(),
                master: m.name.clone(),
                master_addr: m.server.addr.clone(),
                current_epoch: self.current_epoch,
                runid: runid.clone(),
            });
        }
    }

    pub(crate) fn on_is_master_down_reply(
        &mut self,
        now: Millis,
        from: &Addr,
        master: &str,
        down: bool,
        leader: String,
        leader_epoch: u64,
    ) {
        let Some(p) = self
            .masters
            .get_mut(master)
            .and_then(|m| m.sentinel_by_addr_mut(from))
        else {
            return;
        };
        p.last_master_down_reply_time = now;
        p.ask_sent = None;
        p.master_down = down;
        if leader != "*" {
            p.leader = Some(leader);
            p.leader_epoch = leader_epoch;
        }
        self.act_now(now, master);
    }

    /// Another sentinel asks whether the primary at `addr` is down, maybe asking for our
    /// vote. The vote is persisted before the reply.
    pub(crate) fn on_is_master_down_request(
        &mut self,
        now: Millis,
        req: ReqId,
        addr: &Addr,
        epoch: u64,
        runid: &str,
    ) {
        let name = self
            .masters
            .values()
            .find(|m| &m.server.addr == addr)
            .map(|m| m.name.clone());
        let mut down = false;
        let mut vote = (None, 0);
        if let Some(mut m) = name.and_then(|n| self.masters.remove(&n)) {
            down = self.tilt_since.is_none() && m.server.sdown;
            if runid != "*" {
                let ctx = MCtx::of(&m);
                vote = self.vote_leader(now, &ctx, &mut m, epoch, runid);
            }
            self.masters.insert(m.name.clone(), m);
        }
        self.persist_point();
        self.out.push(Action::ReplyIsMasterDown {
            req,
            down,
            leader: vote.0.unwrap_or_else(|| "*".to_string()),
            leader_epoch: vote.1,
        });
    }
}
