//! LATENCY LATEST / HISTORY / RESET / GRAPH / DOCTOR / HISTOGRAM / HELP, the latency monitor
//! (events sampled once a second when `latency-monitor-threshold` is set) and the per-call
//! hook that feeds it and the per-command histograms.

use std::collections::BTreeMap;

use resp::ReplyWriter;

use super::histogram::Histogram;
use crate::ctx::Ctx;
use crate::errors::{subcommand_syntax, CmdError, CmdResult};
use crate::state::ServerState;
use crate::table::{flag::*, table, Entry, Spec};

const ADM: u32 = ADMIN | NOSCRIPT | LOADING | STALE;
const ACL: &str = "admin slow dangerous";

pub const SPEC: Spec = Spec::new("latency", -2, 0, crate::help_only).subs(&[
    Spec::new("graph", 3, ADM, graph).acl(ACL),
    Spec::new("doctor", 2, ADM, doctor).acl(ACL),
    Spec::new("histogram", -2, ADM, histogram).acl(ACL),
    Spec::new("latest", 2, ADM, latest).acl(ACL),
    Spec::new("history", 3, ADM, history).acl(ACL),
    Spec::new("help", 2, LOADING | STALE, help).acl("slow"),
    Spec::new("reset", -2, ADM, reset).acl(ACL),
]);

/// Samples kept per event, as in Redis.
const SERIES_LEN: usize = 160;

/// One event's recent samples: (unix seconds, milliseconds), at most one per second.
#[derive(Debug, Default, Clone)]
pub struct Series {
    pub samples: std::collections::VecDeque<(i64, u64)>,
    pub max: u64,
}

/// Latency events by name (`command`, `fast-command`, `expire-cycle`…).
#[derive(Debug, Default)]
pub struct Monitor {
    pub events: BTreeMap<String, Series>,
}

impl Monitor {
    /// Records `ms` for `event` at `now_s` (Redis's `latencyAddSample`).
    pub fn add(&mut self, event: &str, ms: u64, now_s: i64) {
        let s = self.events.entry(event.to_string()).or_default();
        s.max = s.max.max(ms);
        if let Some(last) = s.samples.back_mut() {
            if last.0 == now_s {
                last.1 = last.1.max(ms);
                return;
            }
        }
        s.samples.push_back((now_s, ms));
        if s.samples.len() > SERIES_LEN {
            s.samples.pop_front();
        }
    }
}

/// Records `ms` for `event` when it reaches `latency-monitor-threshold`.
pub fn maybe_add_sample(srv: &mut ServerState, event: &str, ms: u64, now_ms: i64) {
    let t = srv.config.latency_monitor_threshold;
    if t > 0 && ms >= t {
        srv.latency.add(event, ms, now_ms / 1000);
    }
}

/// Called by the executor after every command run: the command's latency histogram and the
/// `command` / `fast-command` monitor events.
pub fn on_call(srv: &mut ServerState, entry: &Entry, usec: u64, now_ms: i64) {
    if srv.config.latency_tracking {
        if let Some(st) = srv.stats.commands.get_mut(entry.id) {
            st.hist
                .get_or_insert_with(Default::default)
                .record_usec(usec);
        }
    }
    let event = if entry.spec.is(FAST) {
        "fast-command"
    } else {
        "command"
    };
    maybe_add_sample(srv, event, usec / 1000, now_ms);
}

/// LATENCY LATEST
fn latest(ctx: &mut Ctx) -> CmdResult {
    let out = &mut *ctx.out;
    out.array(ctx.srv.latency.events.len());
    for (name, s) in &ctx.srv.latency.events {
        let (t, ms) = s.samples.back().copied().unwrap_or((0, 0));
        out.array(4);
        out.bulk(name.as_bytes());
        out.int(t);
        out.int(ms as i64);
        out.int(s.max as i64);
    }
    Ok(())
}

fn event_name(ctx: &Ctx, i: usize) -> String {
    String::from_utf8_lossy(ctx.arg(i)).into_owned()
}

/// LATENCY HISTORY event
fn history(ctx: &mut Ctx) -> CmdResult {
    let name = event_name(ctx, 2);
    let out = &mut *ctx.out;
    match ctx.srv.latency.events.get(&name) {
        None => out.array(0),
        Some(s) => {
            out.array(s.samples.len());
            for (t, ms) in &s.samples {
                out.array(2);
                out.int(*t);
                out.int(*ms as i64);
            }
        }
    }
    Ok(())
}

/// LATENCY RESET [event ...]
fn reset(ctx: &mut Ctx) -> CmdResult {
    let all = ctx.argc() == 2;
    let ev = &mut ctx.srv.latency.events;
    let n = if all {
        let n = ev.len();
        ev.clear();
        n
    } else {
        ctx.args[2..]
            .iter()
            .filter(|a| ev.remove(&*String::from_utf8_lossy(a)).is_some())
            .count()
    };
    ctx.out.int(n as i64);
    Ok(())
}

/// LATENCY GRAPH event: a column chart of the event's samples, oldest first.
fn graph(ctx: &mut Ctx) -> CmdResult {
    let name = event_name(ctx, 2);
    let Some(s) = ctx.srv.latency.events.get(&name) else {
        return Err(CmdError::err_owned(format!(
            "No samples available for event '{}'",
            crate::errors::trunc(ctx.arg(2), usize::MAX)
        )));
    };
    let high = s.samples.iter().map(|x| x.1).max().unwrap_or(0);
    let low = s.samples.iter().map(|x| x.1).min().unwrap_or(0);
    let mut text = format!(
        "{name} - high {high} ms, low {low} ms (all time high {} ms)\n{}\n",
        s.max,
        "-".repeat(80)
    );
    const ROWS: u64 = 4;
    for row in (1..=ROWS).rev() {
        let line: String = s
            .samples
            .iter()
            .map(|x| {
                let level = (x.1 * ROWS).checked_div(high).unwrap_or(0);
                if level >= row {
                    '#'
                } else {
                    ' '
                }
            })
            .collect();
        text.push_str(line.trim_end());
        text.push('\n');
    }
    ctx.out.verbatim("txt", text.as_bytes());
    Ok(())
}

/// LATENCY DOCTOR: a short report in our own words.
fn doctor(ctx: &mut Ctx) -> CmdResult {
    let srv = &*ctx.srv;
    let mut text = String::new();
    if srv.config.latency_monitor_threshold == 0 {
        text.push_str(
            "Latency monitoring is disabled. Enable it with \
             CONFIG SET latency-monitor-threshold <milliseconds>.\n",
        );
    } else if srv.latency.events.is_empty() {
        text.push_str("No latency spikes were observed above the configured threshold.\n");
    } else {
        text.push_str("Latency spikes observed:\n");
        for (name, s) in &srv.latency.events {
            let avg = s.samples.iter().map(|x| x.1).sum::<u64>() / s.samples.len().max(1) as u64;
            text.push_str(&format!(
                "- {name}: {} samples, average {avg} ms, worst {} ms.\n",
                s.samples.len(),
                s.max
            ));
        }
    }
    ctx.out.verbatim("txt", text.as_bytes());
    Ok(())
}

/// One command's `{calls, histogram_usec}` map.
fn reply_cdf(out: &mut ReplyWriter, h: &Histogram) {
    out.map(2);
    out.bulk(b"calls");
    out.int(h.total() as i64);
    out.bulk(b"histogram_usec");
    let buckets = h.log_buckets();
    out.map(buckets.len());
    for (us, n) in buckets {
        out.int(us);
        out.int(n as i64);
    }
}

/// LATENCY HISTOGRAM [command ...]
fn histogram(ctx: &mut Ctx) -> CmdResult {
    let t = table();
    let mut chosen: Vec<&Entry> = Vec::new();
    if ctx.argc() == 2 {
        chosen.extend(t.entries.iter());
    } else {
        for name in &ctx.args[2..] {
            let Some(e) = super::command::lookup_fullname(name) else {
                continue;
            };
            chosen.push(e);
            let mut subs: Vec<usize> = e.subs.values().copied().collect();
            subs.sort_unstable();
            chosen.extend(subs.into_iter().map(|i| &t.entries[i]));
        }
    }
    let stats = &ctx.srv.stats.commands;
    let with_data: Vec<(&Entry, &Histogram)> = chosen
        .into_iter()
        .filter_map(|e| Some((e, stats.get(e.id)?.hist.as_deref()?)))
        .collect();
    ctx.out.map(with_data.len());
    for (e, h) in with_data {
        ctx.out.bulk(e.fullname.as_bytes());
        reply_cdf(ctx.out, h);
    }
    Ok(())
}

fn help(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() != 2 {
        return Err(subcommand_syntax(ctx.args));
    }
    crate::reply_help(
        ctx,
        "LATENCY",
        &[
            "DOCTOR",
            "    Return a human readable latency analysis report.",
            "GRAPH <event>",
            "    Return an ASCII latency graph for the <event> class.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
            "    If no commands are specified then all histograms are replied.",
        ],
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sample_per_second_keeping_the_worst() {
        let mut m = Monitor::default();
        m.add("command", 5, 100);
        m.add("command", 9, 100);
        m.add("command", 3, 100);
        m.add("command", 4, 101);
        let s = &m.events["command"];
        assert_eq!(s.samples, vec![(100, 9), (101, 4)]);
        assert_eq!(s.max, 9);
        for t in 0..200 {
            m.add("command", 1, 1000 + t);
        }
        assert_eq!(m.events["command"].samples.len(), SERIES_LEN);
    }
}
