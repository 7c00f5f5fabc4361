//! `Ctx`: what a handler gets — its arguments, the keyspace, server state, its client and the
//! reply writer — plus argument parsing helpers that produce Redis's errors.

use bytes::Bytes;
use keyspace::Keyspace;
use resp::ReplyWriter;

use crate::client::Client;
use crate::errors::CmdError;
use crate::state::ServerState;
use crate::table::Entry;

pub struct Ctx<'a> {
    /// The command line; `args[0]` is the command name as sent.
    pub args: &'a [Bytes],
    pub ks: &'a mut Keyspace,
    pub srv: &'a mut ServerState,
    pub client: &'a mut Client,
    pub out: &'a mut ReplyWriter,
    /// The command's clock (ms), fixed for its whole run as in Redis's `call()`.
    pub now: i64,
    pub entry: &'static Entry,
    /// What to propagate instead of `args` (the effective, deterministic form).
    pub rewrite: Option<Vec<Bytes>>,
    /// Where in `out` this client's own messages about keyspace events recorded since (keys
    /// expired by a lookup, keys created) belong: the reply's end when the handler started
    /// or last notified. Redis sends those from inside the lookup or `dbAdd`, before the
    /// reply the handler writes next, so a subscribed caller (RESP3) reads them first.
    pub events_at: usize,
}

impl<'a> Ctx<'a> {
    pub fn argc(&self) -> usize {
        self.args.len()
    }

    pub fn arg(&self, i: usize) -> &'a [u8] {
        &self.args[i]
    }

    pub fn db(&self) -> usize {
        self.client.db
    }

    /// True if argument `i` equals `word`, ignoring ASCII case.
    pub fn is(&self, i: usize, word: &str) -> bool {
        self.args[i].eq_ignore_ascii_case(word.as_bytes())
    }

    pub fn i64_arg(&self, i: usize) -> Result<i64, CmdError> {
        parse_i64_arg(&self.args[i])
    }

    pub fn f64_arg(&self, i: usize) -> Result<f64, CmdError> {
        parse_f64(&self.args[i]).ok_or(CmdError::NotFloat)
    }

    /// Propagate `args` instead of the command as received.
    pub fn propagate_as(&mut self, args: Vec<Bytes>) {
        self.rewrite = Some(args);
    }

    /// Fires a keyspace notification for `key` in the client's database.
    pub fn notify(&mut self, class: u32, event: &str, key: &[u8]) {
        let db = self.client.db;
        self.notify_db(class, event, key, db);
    }

    pub fn notify_db(&mut self, class: u32, event: &str, key: &[u8], db: usize) {
        let flags = self.srv.config.notify_keyspace_events;
        if flags & (class | crate::config::notify::NEW) == 0 {
            return;
        }
        // Keys this command's lookups found expired were deleted before it acted, and keys it
        // created were created before it notifies: their `expired` events (and DELs) and
        // `new` events go first, as Redis sends them from inside the lookup and `dbAdd`.
        self.flush_keyspace_events();
        if flags & class == 0 {
            return;
        }
        crate::pubsub::notify_keyspace_event(
            self.srv,
            Some((self.client, self.out)),
            class,
            event,
            key,
            db,
        );
        self.events_at = self.out.len();
    }

    /// Sends now what the keyspace recorded so far (expired and created keys' events, DELs)
    /// rather than after the handler; what this client gets itself goes in its reply at
    /// [`Ctx::events_at`].
    pub fn flush_keyspace_events(&mut self) {
        if (self.ks.events.expired.len() | self.ks.events.created.len()) == 0 {
            return;
        }
        if !self.client.in_pubsub() {
            crate::exec::after_keyspace_events(self.ks, self.srv, Some((self.client, self.out)));
            return;
        }
        // The reply written since `events_at` is set aside while the messages go in.
        let at = self.events_at.min(self.out.len());
        let reply = self.out.buf[at..].to_vec();
        self.out.buf.truncate(at);
        crate::exec::after_keyspace_events(self.ks, self.srv, Some((self.client, self.out)));
        self.events_at = self.out.len();
        self.out.buf.extend_from_slice(&reply);
    }

    /// The reply written so far comes before the keyspace events recorded from now on (a
    /// command that answers with an old value before it creates the key: SET … GET, GETSET).
    pub fn replied(&mut self) {
        self.flush_keyspace_events();
        self.events_at = self.out.len();
    }

    /// The full name of the running command (`get`, `config|get`).
    pub fn name(&self) -> &'static str {
        &self.entry.fullname
    }
}

/// Parses an integer argument as Redis's `getLongLongFromObject` does.
pub fn parse_i64_arg(b: &[u8]) -> Result<i64, CmdError> {
    keyspace::parse_i64(b).ok_or(CmdError::NotInteger)
}

/// Parses a float as Redis's `getDoubleFromObject`/`string2d` does: `strtod` rules, the whole
/// argument consumed, no leading space, NaN refused; "inf" and "-inf" accepted.
pub fn parse_f64(b: &[u8]) -> Option<f64> {
    if b.is_empty() || b[0].is_ascii_whitespace() {
        return None;
    }
    let s = std::str::from_utf8(b).ok()?;
    let lower = s.to_ascii_lowercase();
    let v = match lower.trim_start_matches(['+', '-']) {
        "inf" | "infinity" => {
            if lower.starts_with('-') {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            }
        }
        t if t.starts_with("0x") => return parse_hex_float(&lower),
        t if t.contains("nan") => return None,
        _ => s.parse::<f64>().ok()?,
    };
    (!v.is_nan()).then_some(v)
}

fn parse_hex_float(s: &str) -> Option<f64> {
    let (neg, rest) = match s.as_bytes()[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let hex = rest.strip_prefix("0x")?;
    if hex.is_empty() || hex.contains(['.', 'p']) {
        return None;
    }
    let v = u64::from_str_radix(hex, 16).ok()? as f64;
    Some(if neg { -v } else { v })
}
