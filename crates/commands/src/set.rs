//! Set commands: SADD SREM SMOVE SISMEMBER SMISMEMBER SCARD SPOP SRANDMEMBER SMEMBERS, the
//! algebra (SINTER SINTERCARD SUNION SDIFF and their STORE forms, in [`algebra`]) and SSCAN.
//!
//! Values are [`keyspace::set::Set`] (intset or hashtable, as Redis 7.0). Writes follow
//! Redis's bookkeeping: a command that changes nothing does not dirty the key, touch its
//! watchers or propagate (so lookups go through `peek` first and `get_mut` only when
//! something will change); an emptied set is deleted; SPOP is propagated as the SREMs (or
//! the DEL/UNLINK) it amounts to.

pub mod algebra;

use bytes::Bytes;
use keyspace::set::{Member, Set};
use keyspace::{Keyspace, Ttl, Value};

use crate::config::notify;
use crate::ctx::Ctx;
use crate::errors::{CmdError, CmdResult};
use crate::table::{flag::*, Spec};

pub const TABLE: &[Spec] = &[
    Spec::new("sadd", -3, WRITE | DENYOOM | FAST, sadd)
        .keys(1, 1, 1)
        .acl("write set fast"),
    Spec::new("srem", -3, WRITE | FAST, srem)
        .keys(1, 1, 1)
        .acl("write set fast"),
    Spec::new("smove", 4, WRITE | FAST, smove)
        .keys(1, 2, 1)
        .acl("write set fast"),
    Spec::new("sismember", 3, READONLY | FAST, sismember)
        .keys(1, 1, 1)
        .acl("read set fast"),
    Spec::new("smismember", -3, READONLY | FAST, smismember)
        .keys(1, 1, 1)
        .acl("read set fast"),
    Spec::new("scard", 2, READONLY | FAST, scard)
        .keys(1, 1, 1)
        .acl("read set fast"),
    Spec::new("spop", -2, WRITE | FAST, spop)
        .keys(1, 1, 1)
        .acl("write set fast"),
    Spec::new("srandmember", -2, READONLY, srandmember)
        .keys(1, 1, 1)
        .acl("read set slow"),
    Spec::new("sinter", -2, READONLY, algebra::sinter)
        .keys(1, -1, 1)
        .acl("read set slow"),
    Spec::new(
        "sintercard",
        -3,
        READONLY | MOVABLEKEYS,
        algebra::sintercard,
    )
    .acl("read set slow"),
    Spec::new("sinterstore", -3, WRITE | DENYOOM, algebra::sinterstore)
        .keys(1, -1, 1)
        .acl("write set slow"),
    Spec::new("sunion", -2, READONLY, algebra::sunion)
        .keys(1, -1, 1)
        .acl("read set slow"),
    Spec::new("sunionstore", -3, WRITE | DENYOOM, algebra::sunionstore)
        .keys(1, -1, 1)
        .acl("write set slow"),
    Spec::new("sdiff", -2, READONLY, algebra::sdiff)
        .keys(1, -1, 1)
        .acl("read set slow"),
    Spec::new("sdiffstore", -3, WRITE | DENYOOM, algebra::sdiffstore)
        .keys(1, -1, 1)
        .acl("write set slow"),
    Spec::new("smembers", 2, READONLY, algebra::smembers)
        .keys(1, 1, 1)
        .acl("read set slow"),
    Spec::new("sscan", -3, READONLY, sscan)
        .keys(1, 1, 1)
        .acl("read set slow"),
];

/// Redis's intset limit as configured now.
pub(crate) fn max_intset(ctx: &Ctx) -> usize {
    ctx.srv.config.set_max_intset_entries
}

/// Publishes the encoding limits to the keyspace, where the RDB and DUMP loaders read them.
/// Called when the configuration is built and after every CONFIG SET.
pub fn sync_encoding_limits(cfg: &crate::config::Config) {
    use std::sync::atomic::Ordering::Relaxed;
    keyspace::set::MAX_INTSET_ENTRIES.store(cfg.set_max_intset_entries, Relaxed);
    keyspace::zset::MAX_LISTPACK_ENTRIES.store(cfg.zset_max_listpack_entries, Relaxed);
    keyspace::zset::MAX_LISTPACK_VALUE.store(cfg.zset_max_listpack_value, Relaxed);
}

/// A set for a read: counted as a hit or miss, with `keymiss` fired on a miss.
fn read_set<'a>(
    ks: &'a mut Keyspace,
    db: usize,
    key: &[u8],
    now: i64,
) -> Result<Option<&'a Set>, CmdError> {
    match ks.get(db, key, now) {
        None => Ok(None),
        Some(Value::Set(s)) => Ok(Some(s)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// A set for a write, looked up without statistics (Redis's `lookupKeyWrite`).
fn peek_set<'a>(
    ks: &'a mut Keyspace,
    db: usize,
    key: &[u8],
    now: i64,
) -> Result<Option<&'a Set>, CmdError> {
    match ks.peek(db, key, now) {
        None => Ok(None),
        Some(Value::Set(s)) => Ok(Some(s)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// The set at `key` to modify: dirties the key and touches its watchers. The caller has
/// checked it exists and is a set.
fn set_mut<'a>(ks: &'a mut Keyspace, db: usize, key: &[u8], now: i64) -> Option<&'a mut Set> {
    match ks.get_mut(db, key, now) {
        Some(Value::Set(s)) => Some(s),
        _ => None,
    }
}

pub(crate) fn reply_member(out: &mut resp::ReplyWriter, m: Member) {
    match m {
        Member::Int(n) => out.bulk_int(n),
        Member::Bytes(b) => out.bulk(b),
    }
}

/// The keyspace bookkeeping before a write lookup, so a lookup that ends up changing nothing
/// (or finds the wrong type) can be taken back: Redis dirties a key and signals its
/// watchers only when a write happened, and this costs one lookup where a check-first
/// `peek` would cost two.
pub(crate) struct WriteMark {
    dirty: u64,
    touched: usize,
}

impl WriteMark {
    pub(crate) fn new(ks: &Keyspace) -> WriteMark {
        WriteMark {
            dirty: ks.dirty,
            touched: ks.events.touched.len(),
        }
    }

    /// Forgets the dirty count and WATCH touches recorded since the mark.
    pub(crate) fn undo(&self, ks: &mut Keyspace) {
        ks.dirty = self.dirty;
        ks.events.touched.truncate(self.touched);
    }

    /// Makes the dirty count `n` writes since the mark (the lookup counted one).
    pub(crate) fn settle(&self, ks: &mut Keyspace, n: u64) {
        if n == 0 {
            self.undo(ks);
        } else {
            ks.dirty = self.dirty + n;
        }
    }
}

/// SADD key member [member ...]
fn sadd(ctx: &mut Ctx) -> CmdResult {
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    let members = &ctx.args[2..];
    let max = max_intset(ctx);
    let mark = WriteMark::new(ctx.ks);
    let added = match ctx.ks.get_mut(db, key, now) {
        Some(Value::Set(s)) => members.iter().filter(|m| s.add(m, max)).count(),
        Some(_) => {
            mark.undo(ctx.ks);
            return Err(CmdError::WrongType);
        }
        None => {
            let mut s = Set::new_for(&members[0]);
            let n = members.iter().filter(|m| s.add(m, max)).count();
            ctx.ks.set(db, key, Value::Set(Box::new(s)), Ttl::Clear);
            n
        }
    };
    mark.settle(ctx.ks, added as u64);
    if added > 0 {
        ctx.notify(notify::SET, "sadd", key);
    }
    ctx.out.int(added as i64);
    Ok(())
}

/// SREM key member [member ...]
fn srem(ctx: &mut Ctx) -> CmdResult {
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    let members = &ctx.args[2..];
    match peek_set(ctx.ks, db, key, now)? {
        Some(s) if members.iter().any(|m| s.contains(m)) => {}
        _ => {
            ctx.out.int(0);
            return Ok(());
        }
    }
    let Some(s) = set_mut(ctx.ks, db, key, now) else {
        return Err(CmdError::WrongType);
    };
    let mut removed = 0u64;
    for m in members {
        if s.remove(m) {
            removed += 1;
            if s.is_empty() {
                break;
            }
        }
    }
    let emptied = s.is_empty();
    ctx.ks.dirty += removed - 1;
    if emptied {
        ctx.ks.remove(db, key, now);
        ctx.ks.dirty -= 1;
    }
    ctx.notify(notify::SET, "srem", key);
    if emptied {
        ctx.notify(notify::GENERIC, "del", key);
    }
    ctx.out.int(removed as i64);
    Ok(())
}

/// SMOVE source destination member
fn smove(ctx: &mut Ctx) -> CmdResult {
    let (db, now) = (ctx.db(), ctx.now);
    let (src, dst, member) = (ctx.arg(1), ctx.arg(2), ctx.arg(3));
    let max = max_intset(ctx);
    let src_has = match ctx.ks.peek(db, src, now) {
        None => {
            ctx.out.int(0);
            return Ok(());
        }
        Some(Value::Set(s)) => s.contains(member),
        Some(_) => return Err(CmdError::WrongType),
    };
    let dst_has = match ctx.ks.peek(db, dst, now) {
        None => None,
        Some(Value::Set(s)) => Some(s.contains(member)),
        Some(_) => return Err(CmdError::WrongType),
    };
    if src == dst {
        ctx.out.int(src_has as i64);
        return Ok(());
    }
    if !src_has {
        ctx.out.int(0);
        return Ok(());
    }
    let Some(s) = set_mut(ctx.ks, db, src, now) else {
        return Err(CmdError::WrongType);
    };
    s.remove(member);
    let emptied = s.is_empty();
    ctx.notify(notify::SET, "srem", src);
    if emptied {
        ctx.ks.remove(db, src, now);
        ctx.ks.dirty -= 1;
        ctx.notify(notify::GENERIC, "del", src);
    }
    match dst_has {
        Some(true) => {}
        Some(false) => {
            if let Some(d) = set_mut(ctx.ks, db, dst, now) {
                d.add(member, max);
            }
            ctx.notify(notify::SET, "sadd", dst);
        }
        None => {
            let mut d = Set::new_for(member);
            d.add(member, max);
            ctx.ks.set(db, dst, Value::Set(Box::new(d)), Ttl::Clear);
            ctx.notify(notify::SET, "sadd", dst);
        }
    }
    ctx.out.int(1);
    Ok(())
}

/// SISMEMBER key member
fn sismember(ctx: &mut Ctx) -> CmdResult {
    let (db, now, key, member) = (ctx.db(), ctx.now, ctx.arg(1), ctx.arg(2));
    match read_set(ctx.ks, db, key, now)? {
        Some(s) => {
            let hit = s.contains(member);
            ctx.out.int(hit as i64);
        }
        None => {
            crate::strings::miss(ctx, key);
            ctx.out.int(0);
        }
    }
    Ok(())
}

/// SMISMEMBER key member [member ...]
fn smismember(ctx: &mut Ctx) -> CmdResult {
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    let members = &ctx.args[2..];
    match read_set(ctx.ks, db, key, now)? {
        Some(s) => {
            ctx.out.array(members.len());
            for m in members {
                ctx.out.int(s.contains(m) as i64);
            }
        }
        None => {
            crate::strings::miss(ctx, key);
            ctx.out.array(members.len());
            for _ in members {
                ctx.out.int(0);
            }
        }
    }
    Ok(())
}

/// SCARD key
fn scard(ctx: &mut Ctx) -> CmdResult {
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    match read_set(ctx.ks, db, key, now)? {
        Some(s) => {
            let n = s.len();
            ctx.out.int(n as i64);
        }
        None => {
            crate::strings::miss(ctx, key);
            ctx.out.int(0);
        }
    }
    Ok(())
}

/// SPOP key [count]
fn spop(ctx: &mut Ctx) -> CmdResult {
    match ctx.argc() {
        2 => spop_one(ctx),
        3 => spop_count(ctx),
        _ => Err(CmdError::Syntax),
    }
}

fn spop_one(ctx: &mut Ctx) -> CmdResult {
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    if peek_set(ctx.ks, db, key, now)?.is_none() {
        ctx.out.null();
        return Ok(());
    }
    let Some(s) = set_mut(ctx.ks, db, key, now) else {
        return Err(CmdError::WrongType);
    };
    let Some(m) = s.pop_random() else {
        return Err(CmdError::WrongType);
    };
    let emptied = s.is_empty();
    ctx.notify(notify::SET, "spop", key);
    ctx.out.bulk(&m);
    if emptied {
        ctx.ks.remove(db, key, now);
        ctx.ks.dirty -= 1;
        ctx.notify(notify::GENERIC, "del", key);
    }
    ctx.propagate_as(vec![
        Bytes::from_static(b"SREM"),
        ctx.args[1].clone(),
        Bytes::copy_from_slice(&m),
    ]);
    Ok(())
}

/// Elements per propagated SREM, as Redis batches them.
const SPOP_BATCH: usize = 1024;
/// When what stays is under a fifth of what goes, the survivors are moved to a new set
/// instead of popping one by one (Redis's `SPOP_MOVE_STRATEGY_MUL`), which also re-encodes
/// the set for its first survivor.
const SPOP_MOVE_STRATEGY_MUL: usize = 5;

fn spop_count(ctx: &mut Ctx) -> CmdResult {
    let count = match ctx.i64_arg(2) {
        Ok(n) if n >= 0 => n as usize,
        _ => return Err(CmdError::MustBePositive),
    };
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    let Some(size) = peek_set(ctx.ks, db, key, now)?.map(Set::len) else {
        ctx.out.set(0);
        return Ok(());
    };
    if count == 0 {
        ctx.out.set(0);
        return Ok(());
    }
    ctx.notify(notify::SET, "spop", key);
    if count >= size {
        // The whole set, replied as SUNION replies it, then deleted.
        let Some(Value::Set(s)) = ctx.ks.remove(db, key, now) else {
            return Err(CmdError::WrongType);
        };
        ctx.ks.dirty += size as u64 - 1;
        algebra::reply_union_of(ctx, &[Some(&*s)]);
        ctx.notify(notify::GENERIC, "del", key);
        let del = crate::strings::del_word(ctx.srv.config.lazyfree_lazy_server_del);
        ctx.propagate_as(vec![del, ctx.args[1].clone()]);
        return Ok(());
    }
    let max = max_intset(ctx);
    let Some(s) = set_mut(ctx.ks, db, key, now) else {
        return Err(CmdError::WrongType);
    };
    let popped: Vec<keyspace::SBytes> = if (size - count) * SPOP_MOVE_STRATEGY_MUL > count {
        (0..count).filter_map(|_| s.pop_random()).collect()
    } else {
        // Move the survivors to a new set; what is left in the old one is the answer, in
        // its own order.
        // The new set is encoded for its first member, as Redis's `setTypeCreate` picks.
        let mut keep: Option<Set> = None;
        for _ in 0..size - count {
            if let Some(m) = s.pop_random() {
                keep.get_or_insert_with(|| Set::new_for(&m)).add(&m, max);
            }
        }
        let keep = keep.unwrap_or_default();
        let gone: Vec<keyspace::SBytes> = s.iter().map(Member::to_sbytes).collect();
        *s = keep;
        gone
    };
    ctx.ks.dirty += popped.len() as u64 - 1;
    ctx.out.set(popped.len());
    for m in &popped {
        ctx.out.bulk(m);
    }
    // Propagated as SREMs of at most 1024 members each; several of them go inside
    // MULTI/EXEC, as Redis 7.0 wraps the commands one call propagates (unless the call is
    // already inside EXEC, whose block holds them).
    let mut batches: Vec<Vec<Bytes>> = popped
        .chunks(SPOP_BATCH)
        .map(|chunk| {
            let mut args = Vec::with_capacity(chunk.len() + 2);
            args.push(Bytes::from_static(b"SREM"));
            args.push(ctx.args[1].clone());
            args.extend(chunk.iter().map(|m| Bytes::copy_from_slice(m)));
            args
        })
        .collect();
    if batches.len() == 1 {
        ctx.propagate_as(batches.remove(0));
        return Ok(());
    }
    let top_level = ctx.srv.blocking.top == Some(ctx.entry.id);
    if top_level {
        crate::propagate::propagate(ctx.srv, db, &[Bytes::from_static(b"MULTI")]);
    }
    let last = batches.pop().unwrap_or_default();
    for b in &batches {
        crate::propagate::propagate(ctx.srv, db, b);
    }
    if top_level {
        crate::propagate::propagate(ctx.srv, db, &last);
        ctx.propagate_as(vec![Bytes::from_static(b"EXEC")]);
    } else {
        ctx.propagate_as(last);
    }
    Ok(())
}

/// SRANDMEMBER key [count]
fn srandmember(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() > 3 {
        return Err(CmdError::Syntax);
    }
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    if ctx.argc() == 2 {
        match read_set(ctx.ks, db, key, now)? {
            Some(s) => match s.random() {
                Some(m) => reply_member(ctx.out, m),
                None => ctx.out.null(),
            },
            None => {
                crate::strings::miss(ctx, key);
                ctx.out.null();
            }
        }
        return Ok(());
    }
    let l = ctx.i64_arg(2)?;
    if l == i64::MIN {
        return Err(CmdError::RangeBetween(-i64::MAX, i64::MAX));
    }
    let (count, uniq) = (l.unsigned_abs() as usize, l >= 0);
    let Some(s) = read_set(ctx.ks, db, key, now)? else {
        crate::strings::miss(ctx, key);
        ctx.out.array(0);
        return Ok(());
    };
    if count == 0 {
        ctx.out.array(0);
        return Ok(());
    }
    if !uniq || count == 1 {
        ctx.out.array(count);
        for _ in 0..count {
            if let Some(m) = s.random() {
                reply_member(ctx.out, m);
            }
        }
        return Ok(());
    }
    if count >= s.len() {
        ctx.out.array(s.len());
        for m in s.iter() {
            reply_member(ctx.out, m);
        }
        return Ok(());
    }
    if count * 3 > s.len() {
        // Many of them: shuffle a snapshot partially.
        let mut all: Vec<Member> = s.iter().collect();
        for i in 0..count {
            let j = i + fastrand::usize(..all.len() - i);
            all.swap(i, j);
        }
        ctx.out.array(count);
        for &m in &all[..count] {
            reply_member(ctx.out, m);
        }
        return Ok(());
    }
    // Few of a large set: draw until `count` distinct ones came up.
    let mut seen = std::collections::HashSet::with_capacity(count);
    let mut picked = Vec::with_capacity(count);
    while picked.len() < count {
        let Some(m) = s.random() else { break };
        if seen.insert(m) {
            picked.push(m);
        }
    }
    ctx.out.array(picked.len());
    for m in picked {
        reply_member(ctx.out, m);
    }
    Ok(())
}

/// SSCAN key cursor [MATCH pattern] [COUNT count]
fn sscan(ctx: &mut Ctx) -> CmdResult {
    let cursor = crate::keys::iterate::parse_cursor(ctx.arg(2))?;
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    if read_set(ctx.ks, db, key, now)?.is_none() {
        crate::strings::miss(ctx, key);
        ctx.out.array(2);
        ctx.out.bulk(b"0");
        ctx.out.array(0);
        return Ok(());
    }
    let opts = crate::keys::iterate::parse_scan_options(ctx, 3, false)?;
    let Some(Value::Set(s)) = ctx.ks.peek(db, key, now) else {
        return Err(CmdError::WrongType);
    };
    let mut found: Vec<keyspace::SBytes> = Vec::new();
    let mut cursor = cursor;
    let mut budget = opts.count.saturating_mul(10);
    loop {
        cursor = s.scan(cursor, |m| found.push(m.to_sbytes()));
        if cursor == 0 || budget == 0 || found.len() >= opts.count {
            break;
        }
        budget -= 1;
    }
    if let Some(p) = opts.pattern {
        found.retain(|m| crate::glob::matches(p, m, false));
    }
    ctx.out.array(2);
    ctx.out.bulk_int(cursor as i64);
    ctx.out.array(found.len());
    for m in &found {
        ctx.out.bulk(m);
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests;
