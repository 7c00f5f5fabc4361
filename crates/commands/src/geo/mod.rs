//! GEO commands: a geo set is a sorted set whose scores are 52-bit geohashes.
//!
//! - here: the table, GEOADD (a ZADD with computed scores, propagated as that ZADD), GEOPOS,
//!   GEOHASH, GEODIST, and what the search shares (coordinates, units, number formats).
//! - [`search`]: GEOSEARCH, GEOSEARCHSTORE, GEORADIUS, GEORADIUSBYMEMBER and the `_RO` forms.
//! - [`hash`]: the geohash maths (encoding, cells and neighbours, distances).
//! - results are ordered by the sorts shared with SORT (`crate::qsort`), which place
//!   points at equal distances as Redis does.

pub mod hash;
pub mod search;

use bytes::Bytes;
use keyspace::zset::ZSet;

use crate::ctx::Ctx;
use crate::errors::{CmdError, CmdResult};
use crate::table::{flag::*, Spec};
use crate::zset::read_zset;

pub const TABLE: &[Spec] = &[
    Spec::new("geoadd", -5, WRITE | DENYOOM, geoadd)
        .keys(1, 1, 1)
        .acl("write geo slow"),
    Spec::new("geodist", -4, READONLY, geodist)
        .keys(1, 1, 1)
        .acl("read geo slow"),
    Spec::new("geohash", -2, READONLY, geohash)
        .keys(1, 1, 1)
        .acl("read geo slow"),
    Spec::new("geopos", -2, READONLY, geopos)
        .keys(1, 1, 1)
        .acl("read geo slow"),
    Spec::new(
        "georadius",
        -6,
        WRITE | DENYOOM | MOVABLEKEYS,
        search::georadius,
    )
    .keys(1, 1, 1)
    .acl("write geo slow"),
    Spec::new("georadius_ro", -6, READONLY, search::georadius_ro)
        .keys(1, 1, 1)
        .acl("read geo slow"),
    Spec::new(
        "georadiusbymember",
        -5,
        WRITE | DENYOOM | MOVABLEKEYS,
        search::georadiusbymember,
    )
    .keys(1, 1, 1)
    .acl("write geo slow"),
    Spec::new(
        "georadiusbymember_ro",
        -5,
        READONLY,
        search::georadiusbymember_ro,
    )
    .keys(1, 1, 1)
    .acl("read geo slow"),
    Spec::new("geosearch", -7, READONLY, search::geosearch)
        .keys(1, 1, 1)
        .acl("read geo slow"),
    Spec::new(
        "geosearchstore",
        -8,
        WRITE | DENYOOM,
        search::geosearchstore,
    )
    .keys(1, 2, 1)
    .acl("write geo slow"),
];

/// A number argument as Redis's `getDoubleFromObject` reads it, with `msg` (after `ERR `) as
/// the error, or "value is not a valid float".
fn double_arg(b: &[u8], msg: Option<&'static str>) -> Result<f64, CmdError> {
    crate::zset::num::double_arg(b).ok_or(match msg {
        Some(m) => CmdError::err(m),
        None => CmdError::NotFloat,
    })
}

/// A longitude, latitude pair from two arguments, checked against the valid ranges.
fn lon_lat_arg(lon: &[u8], lat: &[u8]) -> Result<(f64, f64), CmdError> {
    let lon = double_arg(lon, None)?;
    let lat = double_arg(lat, None)?;
    #[allow(clippy::manual_range_contains)] // NaN cannot get here; C's comparisons kept
    if lon < hash::LONG_MIN || lon > hash::LONG_MAX || lat < hash::LAT_MIN || lat > hash::LAT_MAX {
        return Err(CmdError::err_owned(format!(
            "invalid longitude,latitude pair {lon:.6},{lat:.6}"
        )));
    }
    Ok((lon, lat))
}

/// Metres per unit; the units are case-insensitive.
fn unit_arg(b: &[u8]) -> Result<f64, CmdError> {
    let u = b.to_ascii_lowercase();
    match &u[..] {
        b"m" => Ok(1.0),
        b"km" => Ok(1000.0),
        b"ft" => Ok(0.3048),
        b"mi" => Ok(1609.34),
        _ => Err(CmdError::err(
            "unsupported unit provided. please use M, KM, FT, MI",
        )),
    }
}

/// A distance as Redis replies it: `%.4f` in a bulk string, in RESP3 too.
fn reply_distance(ctx: &mut Ctx, d: f64) {
    ctx.out.bulk(fixed(d, 4).as_bytes());
}

/// C's `%.<prec>f`, including glibc's spelling of NaN and infinities.
fn fixed(d: f64, prec: usize) -> String {
    if d.is_nan() {
        return if d.is_sign_negative() { "-nan" } else { "nan" }.to_string();
    }
    format!("{d:.prec$}")
}

/// A coordinate as Redis's `addReplyHumanLongDouble` writes it: `%.17Lf` of the exact value
/// without trailing zeros (a bulk string in RESP2, a double in RESP3).
fn reply_coord(ctx: &mut Ctx, d: f64) {
    let s = human(d);
    if ctx.out.is_resp3() {
        ctx.out.raw(format!(",{s}\r\n").as_bytes());
    } else {
        ctx.out.bulk(s.as_bytes());
    }
}

/// `%.17Lf` minus trailing zeros and a trailing dot; "-0" becomes "0".
fn human(d: f64) -> String {
    if d.is_infinite() {
        return if d > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    let mut s = fixed(d, 17);
    if s.contains('.') {
        let t = s.trim_end_matches('0').trim_end_matches('.').len();
        s.truncate(t);
    }
    if s == "-0" {
        s = "0".to_string();
    }
    s
}

/// The position of a stored member: (longitude, latitude).
fn member_pos(z: &ZSet, member: &[u8]) -> Option<(f64, f64)> {
    z.score(member).map(hash::decode_score)
}

/// GEOADD key [NX | XX] [CH] longitude latitude member [longitude latitude member ...]
///
/// Runs as the ZADD it stands for (Redis rewrites the command into it), so replies, events
/// and encodings are ZADD's, and that ZADD is what replicas and the AOF get.
fn geoadd(ctx: &mut Ctx) -> CmdResult {
    let (mut nx, mut xx) = (false, false);
    let mut first = 2;
    while first < ctx.argc() {
        if ctx.is(first, "nx") {
            nx = true;
        } else if ctx.is(first, "xx") {
            xx = true;
        } else if !ctx.is(first, "ch") {
            break;
        }
        first += 1;
    }
    if !(ctx.argc() - first).is_multiple_of(3) || (nx && xx) {
        return Err(CmdError::Syntax);
    }
    let mut zargs: Vec<Bytes> = Vec::with_capacity(first + (ctx.argc() - first) / 3 * 2);
    zargs.push(Bytes::from_static(b"zadd"));
    zargs.extend(ctx.args[1..first].iter().cloned());
    for i in (first..ctx.argc()).step_by(3) {
        let (lon, lat) = lon_lat_arg(ctx.arg(i), ctx.arg(i + 1))?;
        let score = hash::score_of(lon, lat).unwrap_or(0);
        zargs.push(Bytes::from(score.to_string()));
        zargs.push(ctx.args[i + 2].clone());
    }
    let Some(entry) = crate::table::table().get(b"zadd") else {
        return Err(CmdError::err("unknown command 'zadd'"));
    };
    let dirty = ctx.ks.dirty;
    let mut zadd = Ctx {
        args: &zargs,
        ks: &mut *ctx.ks,
        srv: &mut *ctx.srv,
        client: &mut *ctx.client,
        out: &mut *ctx.out,
        now: ctx.now,
        entry,
        rewrite: None,
        events_at: ctx.events_at,
    };
    let result = (entry.spec.handler)(&mut zadd);
    ctx.events_at = zadd.events_at;
    if ctx.ks.dirty != dirty {
        ctx.propagate_as(zargs);
    }
    result
}

/// GEOPOS key [member [member ...]]
fn geopos(ctx: &mut Ctx) -> CmdResult {
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    let positions: Vec<Option<(f64, f64)>> = match read_zset(ctx.ks, db, key, now)? {
        Some(z) => ctx.args[2..].iter().map(|m| member_pos(z, m)).collect(),
        None => {
            crate::strings::miss(ctx, key);
            vec![None; ctx.argc() - 2]
        }
    };
    ctx.out.array(positions.len());
    for p in positions {
        match p {
            Some((lon, lat)) => {
                ctx.out.array(2);
                reply_coord(ctx, lon);
                reply_coord(ctx, lat);
            }
            None => ctx.out.null_array(),
        }
    }
    Ok(())
}

/// GEOHASH key [member [member ...]]
fn geohash(ctx: &mut Ctx) -> CmdResult {
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    let hashes: Vec<Option<[u8; 11]>> = match read_zset(ctx.ks, db, key, now)? {
        Some(z) => ctx.args[2..]
            .iter()
            .map(|m| z.score(m).map(hash::geohash_string))
            .collect(),
        None => {
            crate::strings::miss(ctx, key);
            vec![None; ctx.argc() - 2]
        }
    };
    ctx.out.array(hashes.len());
    for h in hashes {
        match h {
            Some(s) => ctx.out.bulk(&s),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

/// GEODIST key member1 member2 [M | KM | FT | MI]
fn geodist(ctx: &mut Ctx) -> CmdResult {
    let to_meters = match ctx.argc() {
        5 => unit_arg(ctx.arg(4))?,
        n if n > 5 => return Err(CmdError::Syntax),
        _ => 1.0,
    };
    let (db, now, args) = (ctx.db(), ctx.now, ctx.args);
    let key = &args[1];
    let pair = match read_zset(ctx.ks, db, key, now)? {
        Some(z) => member_pos(z, &args[2]).zip(member_pos(z, &args[3])),
        None => {
            crate::strings::miss(ctx, key);
            None
        }
    };
    match pair {
        Some(((lon1, lat1), (lon2, lat2))) => {
            reply_distance(ctx, hash::distance(lon1, lat1, lon2, lat2) / to_meters)
        }
        None => ctx.out.null(),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_print_like_redis() {
        // Replies of redis-server 7.0.15 for GEOADD k 13.361389 38.115556 … then GEOPOS.
        assert_eq!(human(13.361_389_338_970_184), "13.36138933897018433");
        assert_eq!(human(38.115_556_395_496_3), "38.11555639549629859");
        assert_eq!(human(180.0), "180");
        assert_eq!(human(hash::LAT_MAX), "85.0511287799999991");
        assert_eq!(human(-0.0), "0");
        assert_eq!(human(0.5), "0.5");
        assert_eq!(fixed(166.274_151_6, 4), "166.2742");
        assert_eq!(fixed(-f64::NAN, 4), "-nan");
    }

    #[test]
    fn units_are_case_insensitive() {
        assert_eq!(unit_arg(b"KM"), Ok(1000.0));
        assert_eq!(unit_arg(b"Mi"), Ok(1609.34));
        assert!(unit_arg(b"yd").is_err());
    }

    #[test]
    fn out_of_range_pairs_are_refused_with_six_decimals() {
        assert_eq!(
            lon_lat_arg(b"200", b"10").unwrap_err().wire(),
            "ERR invalid longitude,latitude pair 200.000000,10.000000"
        );
        assert_eq!(
            lon_lat_arg(b"-0", b"inf").unwrap_err().wire(),
            "ERR invalid longitude,latitude pair -0.000000,inf"
        );
        assert_eq!(lon_lat_arg(b"1e999", b"0"), Err(CmdError::NotFloat));
        assert_eq!(
            lon_lat_arg(b"180", b"-85.05112878"),
            Ok((180.0, -85.05112878))
        );
    }
}
