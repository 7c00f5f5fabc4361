//! DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: write `dbfilename` the way SAVE does, empty the
//! keyspace, and read the file back with the start-up loader.
//!
//! As in Redis 7.0 the reload is invisible to the rest of the system: nothing is propagated
//! to replicas or the AOF (the dataset is the one they already have, unless NOSAVE loads
//! another), the replication id stays, loaded keys signal no watcher or blocked client and
//! fire no notification, and only the save counts towards INFO persistence
//! (`rdb_changes_since_last_save` 0 and `rdb_last_save_time` now, `rdb_saves` unchanged);
//! `rdb_last_load_keys_loaded`/`_expired` describe the load.
//!
//! A file that cannot be opened or read to its end is an error reply, as in Redis 7.0: the
//! flush has happened and the keys read before the damage stay. A key of the file that the
//! keyspace already holds (NOFLUSH without MERGE) stops the server, as it makes Redis panic.

use std::fs::File;
use std::io::BufReader;

use keyspace::{Access, Keyspace, SBytes, Ttl};

use crate::ctx::Ctx;
use crate::errors::{CmdError, CmdResult};
use crate::persistence;
use crate::state::ServerState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Options {
    /// Keys in the file replace keys with the same name (otherwise a clash is fatal).
    merge: bool,
    flush: bool,
    save: bool,
}

/// Parses the options after RELOAD (any order, repeats allowed, case-insensitive).
fn options(ctx: &Ctx) -> Result<Options, CmdError> {
    let mut o = Options {
        merge: false,
        flush: true,
        save: true,
    };
    for i in 2..ctx.argc() {
        if ctx.is(i, "merge") {
            o.merge = true;
        } else if ctx.is(i, "noflush") {
            o.flush = false;
        } else if ctx.is(i, "nosave") {
            o.save = false;
        } else {
            return Err(CmdError::err(
                "DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
            ));
        }
    }
    Ok(o)
}

/// Why a load did not complete.
#[derive(Debug)]
enum Failure {
    /// Redis answers an error and keeps running.
    Refused,
    /// Redis logs these lines and stops.
    Fatal(Vec<String>),
}

/// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]
pub(super) fn reload(ctx: &mut Ctx) -> CmdResult {
    let opts = options(ctx)?;
    if opts.save {
        // Redis's synchronous save without SAVE's bookkeeping: only SAVE and BGSAVE count
        // in `rdb_saves`. A running BGSAVE is no obstacle (its temporary file has its pid).
        let saves = ctx.srv.persist.rdb_saves;
        let saved = persistence::save(ctx.ks, ctx.srv, ctx.now);
        ctx.srv.persist.rdb_saves = saves;
        // Redis's bare shared error, "-ERR".
        saved.map_err(|_| CmdError::Raw("ERR".into()))?;
    }
    // Neither the flush nor the load is a change: the count stays what the save left (and
    // with nothing counted the executor propagates nothing).
    let dirty = ctx.ks.dirty;
    if opts.flush {
        // Watchers of keys that existed are touched, as Redis's emptyData does.
        ctx.ks.flush_all();
    }
    let ev = &ctx.ks.events;
    let marks = (ev.touched.len(), ev.ready.len(), ev.ready_dbs.len());
    let result = load(ctx.ks, ctx.srv, ctx.now, opts);
    // Redis's loader adds keys without signalling watchers or blocked clients.
    let ev = &mut ctx.ks.events;
    ev.touched.truncate(marks.0);
    ev.ready.truncate(marks.1);
    ev.ready_dbs.truncate(marks.2);
    ctx.ks.dirty = dirty;
    match result {
        Ok(()) => {
            crate::aof::log(ctx.srv, '#', "DB reloaded by DEBUG RELOAD");
            ctx.out.ok();
            Ok(())
        }
        Err(Failure::Refused) => Err(CmdError::err("Error trying to load the RDB dump")),
        Err(Failure::Fatal(lines)) => {
            for l in &lines {
                crate::aof::log(ctx.srv, '#', l);
            }
            std::process::exit(1);
        }
    }
}

/// Reads `dbfilename` into the keyspace: straight in after a flush, else through a fresh
/// keyspace merged key by key so that clashes can be found.
fn load(ks: &mut Keyspace, srv: &mut ServerState, now: i64, opts: Options) -> Result<(), Failure> {
    let path = persistence::rdb_path(srv);
    // A file that cannot be opened leaves the last load's figures as they were.
    let file = File::open(path).map_err(|_| Failure::Refused)?;
    let reader = BufReader::with_capacity(1 << 20, file);
    // Keys whose time has passed are dropped on a primary, kept on a replica (whose primary
    // deletes them), as at start-up.
    let skip_expired = (!srv.is_replica()).then_some(now);
    let key_count = |k: &Keyspace| k.dbs().iter().map(|d| d.len() as u64).sum::<u64>();
    // On failure: how many keys were read before it (their expired count is not known).
    let loaded = if opts.flush {
        persist::rdb::load(reader, ks, skip_expired).map_err(|_| key_count(ks))
    } else {
        let mut fresh = Keyspace::new(ks.db_count());
        fresh.lru_clock = ks.lru_clock;
        fresh.access = ks.access;
        let r = persist::rdb::load(reader, &mut fresh, skip_expired);
        let partial = key_count(&fresh);
        // Merged keys come from the file, as loaded ones: no `new` events.
        let track_new = std::mem::replace(&mut ks.track_new, false);
        let merged = merge(ks, fresh, opts.merge);
        ks.track_new = track_new;
        merged?;
        r.map_err(|_| partial)
    };
    let p = &mut srv.persist;
    match loaded {
        Ok(info) => {
            p.last_load_keys = info.keys;
            p.last_load_expired = info.expired_skipped;
            Ok(())
        }
        Err(partial) => {
            p.last_load_keys = partial;
            p.last_load_expired = 0;
            Err(Failure::Refused)
        }
    }
}

/// Moves every key of `fresh` into `ks`, with its expiry and access field. A key `ks`
/// already holds (even one whose time has passed) is replaced under MERGE and fatal
/// otherwise, as Redis's loader treats a key it cannot add.
fn merge(ks: &mut Keyspace, mut fresh: Keyspace, replace: bool) -> Result<(), Failure> {
    for db in 0..fresh.db_count() {
        let d = fresh.db(db);
        if d.is_empty() {
            continue;
        }
        ks.reserve(db, d.len(), d.expires_len());
        let keys: Vec<SBytes> = d.dict().iter().map(|(k, _)| k.clone()).collect();
        for key in keys {
            // No time is before i64::MIN: `take` expires nothing.
            let Some((slot, at)) = fresh.take(db, &key, i64::MIN) else {
                continue;
            };
            if !replace && ks.db(db).peek(&key).is_some() {
                return Err(Failure::Fatal(vec![
                    format!(
                        "RDB has duplicated key '{}' in DB {db}",
                        String::from_utf8_lossy(&key)
                    ),
                    "Duplicated key found in RDB file".into(),
                ]));
            }
            ks.set(db, &key, slot.value, at.map_or(Ttl::Clear, Ttl::At));
            restore_access(ks, db, &key, slot.lru);
        }
    }
    Ok(())
}

/// Gives a merged key back the access field it was loaded with (`set` counted an access).
fn restore_access(ks: &mut Keyspace, db: usize, key: &[u8], field: u32) {
    let (freq, idle) = match ks.access {
        Access::Lfu { .. } => (Some((field & 0xff) as u8), None),
        Access::Lru => {
            let idle = keyspace::evict::idle_seconds(ks.lru_clock, field);
            (None, Some(i64::from(idle)))
        }
    };
    ks.set_lru_or_lfu(db, key, freq, idle);
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyspace::Value;

    /// The file's side: `k` with an expiry and `other`, in db 1.
    fn file_side() -> Keyspace {
        let mut file = Keyspace::new(2);
        file.set(1, b"k", Value::string(b"new"), Ttl::At(4_000_000_000_000));
        file.set(1, b"other", Value::string(b"x"), Ttl::Clear);
        file
    }

    /// The server's side: `k` without expiry and `mine` with one, in db 1.
    fn server_side() -> Keyspace {
        let mut ks = Keyspace::new(2);
        ks.set(1, b"k", Value::string(b"old"), Ttl::Clear);
        ks.set(1, b"mine", Value::string(b"y"), Ttl::At(5_000_000_000_000));
        ks
    }

    #[test]
    fn merge_replaces_only_when_asked() {
        let clash = merge(&mut server_side(), file_side(), false);
        assert!(
            matches!(&clash, Err(Failure::Fatal(l)) if l[0] == "RDB has duplicated key 'k' in DB 1"),
            "{clash:?}"
        );
        let mut ks = server_side();
        merge(&mut ks, file_side(), true).unwrap();
        assert_eq!(ks.get(1, b"k", 0), Some(&Value::string(b"new")));
        assert_eq!(ks.expire_of(1, b"k"), Some(4_000_000_000_000));
        assert_eq!(ks.expire_of(1, b"mine"), Some(5_000_000_000_000));
        assert_eq!(ks.db(1).len(), 3);
        assert!(ks.db(0).is_empty());
    }
}
