//! The GEO searches: GEOSEARCH, GEOSEARCHSTORE, GEORADIUS, GEORADIUSBYMEMBER and the `_RO`
//! forms share one parser and one search, as in Redis, so that they check their arguments
//! in the same order and fail with the same error first:
//!
//! 1. the source key is looked up (a hit or miss is counted; WRONGTYPE before anything else);
//! 2. GEORADIUS's centre and radius, or GEORADIUSBYMEMBER's member and radius (only when the
//!    key exists), then the options left to right, each checked as it is read;
//! 3. the option conflicts; then a missing key answers empty (or 0, deleting the
//!    destination of a store);
//! 4. the cells of [`Search::cells`] are scanned by score range, points filtered by exact
//!    distance (COUNT … ANY stops at the count), sorted, and replied or stored.

use std::cmp::Ordering;
use std::collections::HashSet;

use keyspace::zset::ZSet;
use keyspace::{SBytes, Ttl, Value};

use super::hash::{self, Search, Shape};
use super::{double_arg, lon_lat_arg, reply_coord, reply_distance, unit_arg};
use crate::config::notify;
use crate::ctx::{parse_i64_arg, Ctx};
use crate::errors::{CmdError, CmdResult};
use crate::qsort;

/// Which command is parsing.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    /// GEORADIUS key longitude latitude radius unit …
    Coords,
    /// GEORADIUSBYMEMBER key member radius unit …
    Member,
    /// GEOSEARCH key …
    Search,
    /// GEOSEARCHSTORE destination source …
    SearchStore,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sort {
    None,
    Asc,
    Desc,
}

/// A point found inside the shape.
#[derive(Clone)]
struct Point {
    lon: f64,
    lat: f64,
    /// Metres until the reply divides by the unit.
    dist: f64,
    score: f64,
    member: SBytes,
}

/// GEORADIUS key longitude latitude radius M|KM|FT|MI [WITHCOORD] [WITHDIST] [WITHHASH]
/// [COUNT count [ANY]] [ASC|DESC] [STORE key] [STOREDIST key]
pub fn georadius(ctx: &mut Ctx) -> CmdResult {
    generic(ctx, 1, Form::Coords, false)
}

/// GEORADIUS_RO key longitude latitude radius M|KM|FT|MI [WITHCOORD] [WITHDIST] [WITHHASH]
/// [COUNT count [ANY]] [ASC|DESC]
pub fn georadius_ro(ctx: &mut Ctx) -> CmdResult {
    generic(ctx, 1, Form::Coords, true)
}

/// GEORADIUSBYMEMBER key member radius M|KM|FT|MI [WITHCOORD] [WITHDIST] [WITHHASH]
/// [COUNT count [ANY]] [ASC|DESC] [STORE key] [STOREDIST key]
pub fn georadiusbymember(ctx: &mut Ctx) -> CmdResult {
    generic(ctx, 1, Form::Member, false)
}

/// GEORADIUSBYMEMBER_RO key member radius M|KM|FT|MI [WITHCOORD] [WITHDIST] [WITHHASH]
/// [COUNT count [ANY]] [ASC|DESC]
pub fn georadiusbymember_ro(ctx: &mut Ctx) -> CmdResult {
    generic(ctx, 1, Form::Member, true)
}

/// GEOSEARCH key FROMMEMBER member | FROMLONLAT longitude latitude
/// BYRADIUS radius M|KM|FT|MI | BYBOX width height M|KM|FT|MI
/// [ASC|DESC] [COUNT count [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]
pub fn geosearch(ctx: &mut Ctx) -> CmdResult {
    generic(ctx, 1, Form::Search, false)
}

/// GEOSEARCHSTORE destination source FROMMEMBER member | FROMLONLAT longitude latitude
/// BYRADIUS radius M|KM|FT|MI | BYBOX width height M|KM|FT|MI
/// [ASC|DESC] [COUNT count [ANY]] [STOREDIST]
pub fn geosearchstore(ctx: &mut Ctx) -> CmdResult {
    generic(ctx, 2, Form::SearchStore, false)
}

/// A radius and its unit: (radius, metres per unit).
fn radius_arg(r: &[u8], unit: &[u8]) -> Result<(f64, f64), CmdError> {
    let r = double_arg(r, Some("need numeric radius"))?;
    if r < 0.0 {
        return Err(CmdError::err("radius cannot be negative"));
    }
    Ok((r, unit_arg(unit)?))
}

/// A box and its unit: (width, height, metres per unit).
fn box_arg(w: &[u8], h: &[u8], unit: &[u8]) -> Result<(f64, f64, f64), CmdError> {
    let w = double_arg(w, Some("need numeric width"))?;
    let h = double_arg(h, Some("need numeric height"))?;
    if h < 0.0 || w < 0.0 {
        return Err(CmdError::err("height or width cannot be negative"));
    }
    Ok((w, h, unit_arg(unit)?))
}

/// The position of `member` in the source set, or Redis's error for a missing one.
fn member_center(ctx: &mut Ctx, src: usize, member: &[u8]) -> Result<(f64, f64), CmdError> {
    let (db, now) = (ctx.db(), ctx.now);
    match ctx.ks.peek(db, ctx.args[src].as_ref(), now) {
        Some(Value::ZSet(z)) => z.score(member).map(hash::decode_score),
        _ => None,
    }
    .ok_or(CmdError::err("could not decode requested zset member"))
}

/// What the options asked for.
struct Request {
    search: Search,
    with_dist: bool,
    with_hash: bool,
    with_coord: bool,
    sort: Sort,
    any: bool,
    /// 0: no COUNT.
    count: i64,
    /// Argument index of the destination key.
    store: Option<usize>,
    store_dist: bool,
}

fn generic(ctx: &mut Ctx, src: usize, form: Form, no_store: bool) -> CmdResult {
    let args = ctx.args;
    let is = |i: usize, w: &str| args[i].eq_ignore_ascii_case(w.as_bytes());
    let (db, now) = (ctx.db(), ctx.now);
    let exists = match ctx.ks.get(db, &args[src], now) {
        None => false,
        Some(Value::ZSet(_)) => true,
        Some(_) => return Err(CmdError::WrongType),
    };
    if !exists {
        crate::strings::miss(ctx, &args[src]);
    }
    let searching = matches!(form, Form::Search | Form::SearchStore);
    let mut req = Request {
        search: Search {
            lon: 0.0,
            lat: 0.0,
            shape: Shape::Radius(0.0),
            conversion: 0.0,
        },
        with_dist: false,
        with_hash: false,
        with_coord: false,
        sort: Sort::None,
        any: false,
        count: 0,
        store: None,
        store_dist: false,
    };
    let base = match form {
        Form::Coords => {
            (req.search.lon, req.search.lat) = lon_lat_arg(&args[2], &args[3])?;
            let (r, conv) = radius_arg(&args[4], &args[5])?;
            (req.search.shape, req.search.conversion) = (Shape::Radius(r), conv);
            6
        }
        Form::Member if !exists => 5,
        Form::Member => {
            (req.search.lon, req.search.lat) = member_center(ctx, src, &args[2])?;
            let (r, conv) = radius_arg(&args[3], &args[4])?;
            (req.search.shape, req.search.conversion) = (Shape::Radius(r), conv);
            5
        }
        Form::Search => 2,
        Form::SearchStore => {
            req.store = Some(1);
            3
        }
    };
    let (mut from_member, mut from_lonlat, mut by_radius, mut by_box) =
        (false, false, false, false);
    let remaining = args.len().saturating_sub(base);
    let mut i = 0;
    while i < remaining {
        let at = base + i;
        let has = |n: usize| i + n < remaining;
        if is(at, "withdist") {
            req.with_dist = true;
        } else if is(at, "withhash") {
            req.with_hash = true;
        } else if is(at, "withcoord") {
            req.with_coord = true;
        } else if is(at, "any") {
            req.any = true;
        } else if is(at, "asc") {
            req.sort = Sort::Asc;
        } else if is(at, "desc") {
            req.sort = Sort::Desc;
        } else if is(at, "count") && has(1) {
            req.count = parse_i64_arg(&args[at + 1])?;
            if req.count <= 0 {
                return Err(CmdError::err("COUNT must be > 0"));
            }
            i += 1;
        } else if (is(at, "store") || is(at, "storedist")) && has(1) && !no_store && !searching {
            req.store = Some(at + 1);
            req.store_dist = is(at, "storedist");
            i += 1;
        } else if is(at, "storedist") && form == Form::SearchStore {
            req.store_dist = true;
        } else if is(at, "frommember") && has(1) && searching && !from_lonlat {
            if exists {
                (req.search.lon, req.search.lat) = member_center(ctx, src, &args[at + 1])?;
            }
            from_member = true;
            i += 1;
        } else if is(at, "fromlonlat") && has(2) && searching && !from_member {
            (req.search.lon, req.search.lat) = lon_lat_arg(&args[at + 1], &args[at + 2])?;
            from_lonlat = true;
            i += 2;
        } else if is(at, "byradius") && has(2) && searching && !by_box {
            let (r, conv) = radius_arg(&args[at + 1], &args[at + 2])?;
            (req.search.shape, req.search.conversion) = (Shape::Radius(r), conv);
            by_radius = true;
            i += 2;
        } else if is(at, "bybox") && has(3) && searching && !by_radius {
            let (width, height, conv) = box_arg(&args[at + 1], &args[at + 2], &args[at + 3])?;
            req.search.shape = Shape::Box { width, height };
            req.search.conversion = conv;
            by_box = true;
            i += 3;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if req.store.is_some() && (req.with_dist || req.with_hash || req.with_coord) {
        return Err(CmdError::err_owned(format!(
            "{} is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
            if form == Form::SearchStore {
                "GEOSEARCHSTORE"
            } else {
                "STORE option in GEORADIUS"
            }
        )));
    }
    let name = || String::from_utf8_lossy(&args[0]).into_owned();
    if searching && !(from_member || from_lonlat) {
        return Err(CmdError::err_owned(format!(
            "exactly one of FROMMEMBER or FROMLONLAT can be specified for {}",
            name()
        )));
    }
    if searching && !(by_radius || by_box) {
        return Err(CmdError::err_owned(format!(
            "exactly one of BYRADIUS and BYBOX can be specified for {}",
            name()
        )));
    }
    if req.any && req.count == 0 {
        return Err(CmdError::err("the ANY argument requires COUNT argument"));
    }
    if !exists {
        match req.store {
            Some(dst) => {
                delete_destination(ctx, dst);
                ctx.out.int(0);
            }
            None => ctx.out.array(0),
        }
        return Ok(());
    }
    // The nearest N need a sort; ANY takes the first N found instead.
    if req.count != 0 && req.sort == Sort::None && !req.any {
        req.sort = Sort::Asc;
    }
    let limit = if req.any { req.count as usize } else { 0 };
    let mut points = match ctx.ks.peek(db, &args[src], now) {
        Some(Value::ZSet(z)) => collect(z, &req.search, limit),
        _ => Vec::new(),
    };
    if points.is_empty() && req.store.is_none() {
        ctx.out.array(0);
        return Ok(());
    }
    let found = points.len();
    let returned = if req.count == 0 || (found as u64) < req.count as u64 {
        found
    } else {
        req.count as usize
    };
    sort(&mut points, req.sort, returned);
    points.truncate(returned);
    for p in &mut points {
        p.dist /= req.search.conversion;
    }
    match req.store {
        None => reply(ctx, &req, &points),
        Some(dst) => store(ctx, &req, form, dst, points),
    }
    Ok(())
}

/// The points of every cell inside the shape, in scan order; with `limit`, the first that
/// many.
fn collect(z: &ZSet, search: &Search, limit: usize) -> Vec<Point> {
    let cells = search.cells();
    let mut points = Vec::new();
    let full = |p: &Vec<Point>| limit > 0 && p.len() >= limit;
    let mut last = 0;
    for (i, cell) in cells.iter().enumerate() {
        if cell.is_zero() {
            continue;
        }
        // With a huge radius neighbours can be the same cell as the one just scanned.
        if last != 0 && *cell == cells[last] {
            continue;
        }
        if full(&points) {
            break;
        }
        let (min, max) = cell.score_range();
        if min < max {
            let (lo, hi) = z.span(|s, _| s < min, |s, _| s < max);
            for (score, member) in z.range(lo, hi - lo, false) {
                let (lon, lat) = hash::decode_score(score);
                if let Some(dist) = search.contains(lon, lat) {
                    points.push(Point {
                        lon,
                        lat,
                        dist,
                        score,
                        member: SBytes::new(member),
                    });
                }
                if full(&points) {
                    break;
                }
            }
        }
        last = i;
    }
    points
}

/// C's comparator for ascending distance (a NaN compares as smaller, as there).
fn asc(a: &Point, b: &Point) -> Ordering {
    if a.dist > b.dist {
        Ordering::Greater
    } else if a.dist == b.dist {
        Ordering::Equal
    } else {
        Ordering::Less
    }
}

/// Sorts as Redis does, for ties (points at the same distance) to come out in its order:
/// glibc's merge sort when every point is returned, `pqsort` below the count.
fn sort(points: &mut [Point], how: Sort, returned: usize) {
    let desc = |a: &Point, b: &Point| asc(a, b).reverse();
    let hi = returned.saturating_sub(1) as i64;
    match how {
        Sort::None => {}
        Sort::Asc if returned == points.len() => qsort::merge_sort(points, asc),
        Sort::Desc if returned == points.len() => qsort::merge_sort(points, desc),
        Sort::Asc => qsort::partial_sort(points, 0, hi, asc),
        Sort::Desc => qsort::partial_sort(points, 0, hi, desc),
    }
}

/// C's `(long long)` of a score for WITHHASH (out of range gives the indefinite value).
fn hash_int(score: f64) -> i64 {
    if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&score) {
        score as i64
    } else {
        i64::MIN
    }
}

fn reply(ctx: &mut Ctx, req: &Request, points: &[Point]) {
    let extras = [req.with_dist, req.with_hash, req.with_coord]
        .iter()
        .filter(|&&b| b)
        .count();
    ctx.out.array(points.len());
    for p in points {
        if extras > 0 {
            ctx.out.array(extras + 1);
        }
        ctx.out.bulk(&p.member);
        if req.with_dist {
            reply_distance(ctx, p.dist);
        }
        if req.with_hash {
            ctx.out.int(hash_int(p.score));
        }
        if req.with_coord {
            ctx.out.array(2);
            reply_coord(ctx, p.lon);
            reply_coord(ctx, p.lat);
        }
    }
}

/// Writes the result set to the destination (replacing it), or deletes the destination
/// when nothing was found; replies with the number stored.
fn store(ctx: &mut Ctx, req: &Request, form: Form, dst: usize, points: Vec<Point>) {
    let n = points.len();
    if n == 0 {
        delete_destination(ctx, dst);
        ctx.out.int(0);
        return;
    }
    let mut seen = HashSet::with_capacity(n);
    let items: Vec<(f64, SBytes)> = points
        .into_iter()
        .filter(|p| seen.insert(p.member.clone()))
        .map(|p| (if req.store_dist { p.dist } else { p.score }, p.member))
        .collect();
    let (db, key) = (ctx.db(), ctx.args[dst].clone());
    let z = ZSet::from_items(items, crate::zset::limits(ctx));
    ctx.ks.set(db, &key, Value::ZSet(Box::new(z)), Ttl::Clear);
    // Redis counts one change per stored member.
    ctx.ks.dirty += n as u64 - 1;
    let event = if form == Form::SearchStore {
        "geosearchstore"
    } else {
        "georadiusstore"
    };
    ctx.notify(notify::ZSET, event, &key);
    ctx.out.int(n as i64);
}

fn delete_destination(ctx: &mut Ctx, dst: usize) {
    let (db, now, key) = (ctx.db(), ctx.now, ctx.args[dst].clone());
    if ctx.ks.remove(db, &key, now).is_some() {
        ctx.notify(notify::GENERIC, "del", &key);
    }
}
