//! GEO commands against redis-server 7.0: GEOADD GEOPOS GEOHASH GEODIST, every search form
//! and option (GEOSEARCH, GEOSEARCHSTORE, GEORADIUS, GEORADIUSBYMEMBER and the `_RO` forms),
//! errors and their order, edge coordinates, RESP3, events, propagation, and a randomised
//! comparison of searches over random points.

use crate::kit::{hits_misses, Diff, Raw};
use crate::repl_tap::assert_same_stream;

fn text(r: &[u8]) -> String {
    String::from_utf8_lossy(r).into_owned()
}

const SICILY: &str = r#"
    GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
    GEOADD Sicily 12.758489 38.788135 edge1 17.241510 38.788135 edge2
    GEOADD Sicily 13.583333 37.316667 Agrigento 15.55 38.1833 Messina
"#;

#[test]
fn geoadd_scores_options_and_errors() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        GEOADD k 13.361389 38.115556 Palermo
        GEOADD k 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
        ZRANGE k 0 -1 WITHSCORES
        GEOADD k NX 0 0 Palermo 1 1 new
        GEOADD k XX 0 0 Palermo 2 2 other
        GEOADD k XX CH 5 5 Palermo 2 2 other
        GEOADD k CH 5 5 Palermo 6 6 Catania 7 7 fresh
        GEOADD k ch nx 8 8 fresh 9 9 fresher
        GEOADD k CH CH 9 9 fresher
        ZRANGE k 0 -1 WITHSCORES
        GEOADD k NX XX 1 1 a
        GEOADD k GT 1 1 a
        GEOADD k INCR 1 1 a
        GEOADD k 1 1 a 2
        GEOADD k 1 1 a 2 2
        GEOADD k 1
        GEOADD k 1 2
        GEOADD k abc 1 a
        GEOADD k 1 abc a
        GEOADD k 1e999 0 a
        GEOADD k nan 0 a
        GEOADD k 0x10 0 a
        GEOADD k " 1" 0 a
        GEOADD k 200 10 a
        GEOADD k 10 86 a
        GEOADD k -0 inf a
        GEOADD k 1 1 ok 181 0 bad
        GEOADD k -180.0000001 0 a
        EXISTS k2
        GEOADD k2 1 1 ok 181 0 bad
        EXISTS k2
        GEOADD k XX 1 1 nothere
        GEOADD nokey XX 1 1 nothere
        EXISTS nokey
        SET str v
        GEOADD str 1 1 a
        GEOADD str 1 1
        ZCARD k
        "#,
    );
}

#[test]
fn edge_coordinates_and_odd_scores() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        GEOADD e 180 85.05112878 ne -180 -85.05112878 sw 180 -85.05112878 se -180 85.05112878 nw
        GEOADD e 0 0 origin -0 -0 negzero 179.9999999 0 nearline -179.9999999 0 farline
        GEOADD e 0 85.05112877 top 0 -85.05112877 bottom 1e-300 1e-300 tiny
        ZRANGE e 0 -1 WITHSCORES
        GEOPOS e ne sw se nw origin negzero nearline farline top bottom tiny missing
        GEOHASH e ne sw se nw origin negzero nearline farline top bottom tiny missing
        GEODIST e ne sw
        GEODIST e nw ne km
        GEODIST e nearline farline m
        GEODIST e top bottom mi
        GEODIST e origin negzero ft
        GEODIST e origin origin
        ZADD odd -1 neg inf pinf -inf ninf 1.5 frac 9223372036854775808 big 1e300 huge 4503599627370496 b52 18014398509481984 b54
        GEOPOS odd neg pinf ninf frac big huge b52 b54
        GEOHASH odd neg pinf ninf frac big huge b52 b54
        GEODIST odd neg pinf
        GEODIST odd frac b52 km
        GEOSEARCH odd FROMMEMBER frac BYRADIUS 100 km WITHCOORD WITHHASH WITHDIST
        GEOSEARCH odd FROMMEMBER neg BYRADIUS 100 km WITHCOORD WITHHASH WITHDIST
        GEOSEARCH odd FROMLONLAT 0 0 BYRADIUS 20000 km ASC WITHHASH
        GEORADIUSBYMEMBER odd huge 1 m WITHHASH
        GEOADD anti 180 85.05112878 top 0 0 o
        GEOSEARCH anti FROMLONLAT 0 -85.05112878 BYRADIUS 30000 km WITHDIST ASC
        GEOSEARCH anti FROMLONLAT 0 -85.05112878 BYBOX 40000 40000 km WITHDIST
        ZADD anti -1 neg
        GEODIST anti top neg
        GEOSEARCH anti FROMLONLAT 0 -85.05112878 BYRADIUS 1 m WITHDIST
        GEOSEARCH anti FROMLONLAT 180 85.05112878 BYRADIUS 0 m WITHDIST
        "#,
    );
}

#[test]
fn geopos_geohash_geodist() {
    let mut d = Diff::new(&[]);
    d.run(SICILY);
    d.run(
        r#"
        GEOPOS Sicily Palermo Catania nosuch Messina
        GEOPOS Sicily
        GEOPOS nokey a b
        GEOPOS nokey
        GEOHASH Sicily Palermo Catania nosuch edge1 edge2
        GEOHASH Sicily
        GEOHASH nokey a
        GEODIST Sicily Palermo Catania
        GEODIST Sicily Palermo Catania m
        GEODIST Sicily Palermo Catania km
        GEODIST Sicily Palermo Catania KM
        GEODIST Sicily Palermo Catania ft
        GEODIST Sicily Palermo Catania Mi
        GEODIST Sicily Palermo Palermo
        GEODIST Sicily Palermo nosuch
        GEODIST Sicily nosuch Palermo km
        GEODIST Sicily Palermo Catania yards
        GEODIST Sicily Palermo Catania km extra
        GEODIST nokey Palermo Catania
        GEODIST nokey Palermo Catania yards
        GEODIST Sicily Palermo
        SET str v
        GEOPOS str a
        GEOHASH str a
        GEODIST str a b
        GEODIST str a b yards
        GEODIST str a b km x
        "#,
    );
    // RESP3: coordinates are doubles, distances and hashes stay bulk strings.
    d.a.call(&["HELLO", "3"]);
    d.b.call(&["HELLO", "3"]);
    d.run(
        r#"
        GEOPOS Sicily Palermo nosuch Messina
        GEOHASH Sicily Palermo nosuch
        GEODIST Sicily Palermo Catania km
        GEODIST Sicily Palermo nosuch
        GEODIST nokey a b
        GEOPOS nokey a
        "#,
    );
}

#[test]
fn search_options_and_reply_shapes() {
    let mut d = Diff::new(&[]);
    d.run(SICILY);
    let searches = [
        "GEORADIUS Sicily 15 37 200 km",
        "GEORADIUS Sicily 15 37 200 km WITHDIST",
        "GEORADIUS Sicily 15 37 200 km WITHCOORD",
        "GEORADIUS Sicily 15 37 200 km WITHHASH",
        "GEORADIUS Sicily 15 37 200 km WITHDIST WITHCOORD WITHHASH ASC",
        "GEORADIUS Sicily 15 37 200 km withhash withcoord withdist desc",
        "GEORADIUS Sicily 15 37 200 km COUNT 1",
        "GEORADIUS Sicily 15 37 200 km COUNT 2 DESC",
        "GEORADIUS Sicily 15 37 200 km COUNT 2 ANY",
        "GEORADIUS Sicily 15 37 200 km COUNT 2 ANY ASC WITHDIST",
        "GEORADIUS Sicily 15 37 200 km COUNT 100",
        "GEORADIUS Sicily 15 37 200 km ASC DESC",
        "GEORADIUS Sicily 15 37 0 km",
        "GEORADIUS Sicily 13.361389 38.115556 0 m",
        "GEORADIUS Sicily 15 37 200000 m WITHDIST",
        "GEORADIUS Sicily 15 37 600000 ft WITHDIST",
        "GEORADIUS Sicily 15 37 150 mi WITHDIST",
        "GEORADIUS Sicily 15 37 inf km WITHDIST",
        "GEORADIUS Sicily 15 37 1e300 km",
        "GEORADIUS_RO Sicily 15 37 200 km WITHDIST ASC",
        "GEORADIUSBYMEMBER Sicily Palermo 200 km WITHDIST WITHCOORD",
        "GEORADIUSBYMEMBER Sicily Palermo 0 km",
        "GEORADIUSBYMEMBER Sicily Palermo 300 km DESC COUNT 3",
        "GEORADIUSBYMEMBER_RO Sicily Catania 100 km WITHHASH",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC",
        "GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 200 km WITHDIST",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km ASC WITHCOORD WITHDIST",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 100 km ASC WITHDIST",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 100 400 km ASC WITHDIST",
        "GEOSEARCH Sicily FROMMEMBER Catania BYBOX 0 0 km",
        "GEOSEARCH Sicily FROMMEMBER Catania BYBOX 1000 1000 mi COUNT 3 DESC WITHHASH",
        "GEOSEARCH Sicily FROMMEMBER Catania BYBOX 1000 1000 mi COUNT 3 ANY",
        "GEOSEARCH Sicily BYRADIUS 200 km FROMLONLAT 15 37",
        "GEOSEARCH Sicily BYRADIUS 200 km BYRADIUS 10 km FROMLONLAT 15 37",
        "GEOSEARCH Sicily FROMLONLAT 0 0 FROMLONLAT 15 37 BYRADIUS 200 km",
        "GEOSEARCH Sicily FROMMEMBER Palermo FROMMEMBER Catania BYRADIUS 200 km WITHDIST",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km BYBOX 10 10 km",
        "GEOSEARCH Sicily frommember Agrigento byradius 20000 km desc withdist",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 m",
        "GEOSEARCH nokey FROMLONLAT 15 37 BYRADIUS 1 m",
        "GEOSEARCH nokey FROMMEMBER x BYRADIUS 1 m",
        "GEORADIUS nokey 15 37 200 km",
        "GEORADIUSBYMEMBER nokey x 200 km",
    ];
    for s in searches {
        d.run(s);
    }
    d.a.call(&["HELLO", "3"]);
    d.b.call(&["HELLO", "3"]);
    for s in searches {
        d.run(s);
    }
}

#[test]
fn search_errors_come_in_redis_order() {
    let mut d = Diff::new(&[]);
    d.run(SICILY);
    d.run(
        r#"
        SET str v
        GEORADIUS str 15 37 200 km
        GEORADIUS str 15 37 abc km BADOPT
        GEOSEARCH str FROMLONLAT 1 1
        GEOSEARCHSTORE dst str FROMLONLAT 1 1 BYRADIUS 1 km
        GEOSEARCHSTORE str Sicily FROMLONLAT 15 37 BYRADIUS 200 km
        TYPE str
        SET str v
        GEORADIUS Sicily 15 37 200 km WITHDIST STORE dst
        GEORADIUS Sicily abc 37 200 km
        GEORADIUS Sicily 200 37 200 km
        GEORADIUS Sicily 15 37 abc km
        GEORADIUS Sicily 15 37 -1 km
        GEORADIUS Sicily 15 37 -0 km
        GEORADIUS Sicily 15 37 200 yards
        GEORADIUS Sicily 15 37 200 km BADOPT
        GEORADIUS Sicily 15 37 200 km COUNT
        GEORADIUS Sicily 15 37 200 km COUNT 0
        GEORADIUS Sicily 15 37 200 km COUNT -1
        GEORADIUS Sicily 15 37 200 km COUNT abc
        GEORADIUS Sicily 15 37 200 km COUNT 99999999999999999999
        GEORADIUS Sicily 15 37 200 km ANY
        GEORADIUS Sicily 15 37 200 km ANY WITHDIST BADOPT
        GEORADIUS Sicily 15 37 200 km STORE
        GEORADIUS Sicily 15 37 200 km STOREDIST
        GEORADIUS Sicily 15 37 200 km STORE dst WITHHASH
        GEORADIUS Sicily 15 37 200 km STOREDIST dst WITHCOORD
        GEORADIUS Sicily 15 37 200 km FROMMEMBER Palermo
        GEORADIUS Sicily 15 37 200 km BYRADIUS 1 km
        GEORADIUS_RO Sicily 15 37 200 km STORE dst
        GEORADIUS_RO Sicily 15 37 200 km STOREDIST dst
        GEORADIUSBYMEMBER Sicily nosuch 200 km
        GEORADIUSBYMEMBER Sicily nosuch abc km
        GEORADIUSBYMEMBER Sicily Palermo abc km
        GEORADIUSBYMEMBER Sicily Palermo 1 parsecs
        GEORADIUSBYMEMBER nokey x abc parsecs
        GEORADIUSBYMEMBER nokey x abc parsecs BADOPT
        GEORADIUSBYMEMBER nokey x 1 km ANY
        GEORADIUSBYMEMBER nokey x 1 km STORE d WITHDIST
        GEORADIUSBYMEMBER_RO Sicily Palermo 1 km STORE dst
        GEOSEARCH Sicily FROMLONLAT 15 37
        GEOSEARCH Sicily BYRADIUS 10 km
        GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 10 km STORE dst
        GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 10 km STOREDIST
        GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 10 km STOREDIST dst
        GEOSEARCH Sicily FROMLONLAT 15 37 FROMMEMBER Palermo BYRADIUS 10 km
        GEOSEARCH Sicily FROMMEMBER Palermo FROMLONLAT 15 37 BYRADIUS 10 km
        GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 10 km BYBOX 1 1 km
        GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1 km BYRADIUS 10 km
        GEOSEARCH Sicily FROMMEMBER nosuch BYRADIUS 10 km
        GEOSEARCH Sicily FROMMEMBER nosuch BYRADIUS abc km
        GEOSEARCH Sicily FROMMEMBER
        GEOSEARCH Sicily FROMLONLAT 15
        GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 10
        GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 10 10
        GEOSEARCH Sicily FROMLONLAT 15 370 BYRADIUS 10 km
        GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS abc km
        GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS -5 km
        GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX abc 1 km
        GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 abc km
        GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX abc abc km
        GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX -1 1 km
        GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 -1 km
        GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1 parsecs
        GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX -1 1 parsecs
        GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 10 km ANY
        GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 10 km COUNT 0 ANY
        geosearch Sicily BYRADIUS 10 km
        GeoSearch Sicily FROMLONLAT 15 37
        geosearchstore dst Sicily BYRADIUS 10 km
        GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 10 km WITHDIST
        GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 10 km WITHHASH STOREDIST
        GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 10 km STORE x
        GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 10 km STOREDIST x
        GEOSEARCHSTORE dst nokey FROMMEMBER x BYBOX 1 1 km WITHCOORD
        GEOSEARCHSTORE dst nokey FROMMEMBER x
        GEOSEARCH nokey FROMMEMBER x BYBOX 1 1 km ANY
        GEOSEARCH nokey FROMLONLAT 1 100 BYBOX 1 1 km
        GEORADIUS nokey 15 37 abc km
        GEORADIUS Sicily 15 37 200
        GEOSEARCH Sicily
        GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37
        EXISTS dst
        "#,
    );
}

#[test]
fn stores_replace_or_delete_the_destination() {
    let mut d = Diff::new(&[]);
    d.run(SICILY);
    d.run(
        r#"
        GEORADIUS Sicily 15 37 200 km STORE dst
        ZRANGE dst 0 -1 WITHSCORES
        OBJECT ENCODING dst
        GEORADIUS Sicily 15 37 200 km STOREDIST dst
        ZRANGE dst 0 -1 WITHSCORES
        GEORADIUS Sicily 15 37 200 km STOREDIST dst STORE dst2
        ZRANGE dst2 0 -1 WITHSCORES
        GEORADIUS Sicily 15 37 200 km STORE dst2 STOREDIST dst3 COUNT 2 DESC
        ZRANGE dst3 0 -1 WITHSCORES
        EXISTS dst2
        GEORADIUSBYMEMBER Sicily Palermo 200 mi STOREDIST dst4 ASC COUNT 3
        ZRANGE dst4 0 -1 WITHSCORES
        GEORADIUSBYMEMBER Sicily Palermo 200 mi STORE dst4 COUNT 2 ANY
        ZRANGE dst4 0 -1 WITHSCORES
        GEOSEARCHSTORE dst5 Sicily FROMLONLAT 15 37 BYBOX 400 400 km
        ZRANGE dst5 0 -1 WITHSCORES
        GEOSEARCHSTORE dst5 Sicily FROMLONLAT 15 37 BYBOX 400 400 km STOREDIST
        ZRANGE dst5 0 -1 WITHSCORES
        GEOSEARCHSTORE dst5 Sicily FROMLONLAT 15 37 BYBOX 400 400 km STOREDIST COUNT 1
        ZRANGE dst5 0 -1 WITHSCORES
        GEOSEARCHSTORE dst5 Sicily FROMLONLAT 15 37 BYBOX 400 400 ft STOREDIST
        EXISTS dst5
        GEOSEARCHSTORE dst5 Sicily FROMLONLAT 15 37 BYBOX 400 400 ft
        SET str v
        EXPIRE str 100
        GEOSEARCHSTORE str Sicily FROMMEMBER Palermo BYRADIUS 10 km
        TYPE str
        TTL str
        SET str v
        GEORADIUS Sicily 15 37 1 m STORE str
        EXISTS str
        SET str v
        GEORADIUS nokey 15 37 1 m STORE str
        EXISTS str
        GEORADIUSBYMEMBER nokey x 1 m STORE dst
        GEOSEARCHSTORE dst nokey FROMMEMBER x BYRADIUS 1 m
        GEOSEARCHSTORE Sicily Sicily FROMMEMBER Palermo BYRADIUS 200 km STOREDIST
        ZRANGE Sicily 0 -1 WITHSCORES
        "#,
    );
}

#[test]
fn stored_encodings_follow_the_listpack_limits() {
    let mut d = Diff::new(&[
        "--zset-max-listpack-entries",
        "3",
        "--zset-max-listpack-value",
        "10",
    ]);
    d.run(SICILY);
    d.run(
        r#"
        OBJECT ENCODING Sicily
        GEOADD long 1 1 aaaaaaaaaaaaaaaaaaaaaaaaa 1 1 b
        OBJECT ENCODING long
        GEOSEARCHSTORE d1 Sicily FROMLONLAT 15 37 BYRADIUS 400 km
        OBJECT ENCODING d1
        GEOSEARCHSTORE d2 Sicily FROMLONLAT 15 37 BYRADIUS 400 km COUNT 3
        OBJECT ENCODING d2
        GEOSEARCHSTORE d3 long FROMLONLAT 1 1 BYRADIUS 1 km
        OBJECT ENCODING d3
        GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 400 km WITHDIST
        GEOSEARCH long FROMLONLAT 1 1 BYRADIUS 1 km WITHDIST
        "#,
    );
}

/// Many members at the same place: equal distances come out in the order Redis's sorts
/// leave them (glibc's merge sort for full results, `pqsort` below the count).
#[test]
fn ties_keep_redis_order() {
    for limits in [
        &["--zset-max-listpack-entries", "128"][..],
        &["--zset-max-listpack-entries", "0"],
    ] {
        let mut d = Diff::new(limits);
        let mut args = vec!["GEOADD".to_string(), "t".to_string()];
        for i in 0..150 {
            let (lon, lat) = match i % 5 {
                0 => ("10", "10"),
                1 => ("10.01", "10"),
                2 => ("10", "10.01"),
                3 => ("9.99", "10"),
                _ => ("10", "9.99"),
            };
            args.extend([lon.to_string(), lat.to_string(), format!("m{i}")]);
        }
        d.check(&args);
        for cmd in [
            "GEOSEARCH t FROMLONLAT 10 10 BYRADIUS 10 km ASC",
            "GEOSEARCH t FROMLONLAT 10 10 BYRADIUS 10 km DESC",
            "GEOSEARCH t FROMLONLAT 10 10 BYRADIUS 10 km",
            "GEOSEARCH t FROMLONLAT 10 10 BYRADIUS 10 km COUNT 7",
            "GEOSEARCH t FROMLONLAT 10 10 BYRADIUS 10 km COUNT 7 DESC",
            "GEOSEARCH t FROMLONLAT 10 10 BYRADIUS 10 km COUNT 45",
            "GEOSEARCH t FROMLONLAT 10 10 BYRADIUS 10 km COUNT 45 DESC",
            "GEOSEARCH t FROMLONLAT 10 10 BYRADIUS 10 km COUNT 149 WITHDIST",
            "GEOSEARCH t FROMLONLAT 10.005 10 BYRADIUS 10 km COUNT 100",
            "GEOSEARCH t FROMLONLAT 10.005 10.002 BYRADIUS 10 km COUNT 3 DESC",
            "GEOSEARCH t FROMLONLAT 10 10 BYRADIUS 10 km COUNT 10 ANY",
            "GEOSEARCH t FROMLONLAT 10 10 BYRADIUS 10 km COUNT 10 ANY DESC",
            "GEOSEARCH t FROMLONLAT 10 10 BYBOX 1 1 km COUNT 10 ANY ASC",
            "GEORADIUSBYMEMBER t m3 5 km COUNT 20 DESC",
            "GEOSEARCHSTORE out t FROMLONLAT 10 10 BYRADIUS 10 km COUNT 33 STOREDIST",
            "ZRANGE out 0 -1 WITHSCORES",
        ] {
            d.run(cmd);
        }
    }
}

#[test]
fn poles_antimeridian_and_huge_radii() {
    let mut d = Diff::new(&[]);
    let mut args = vec!["GEOADD".to_string(), "w".to_string()];
    let mut n = 0;
    for lon in (-180..=180).step_by(30) {
        for lat in [
            -85.05112878,
            -85.0,
            -80.0,
            -66.5,
            -30.0,
            0.0,
            45.0,
            66.5,
            80.0,
            85.0,
            85.05112878,
        ] {
            args.extend([lon.to_string(), lat.to_string(), format!("p{n}")]);
            n += 1;
        }
    }
    d.check(&args);
    for cmd in [
        "GEOSEARCH w FROMLONLAT 0 0 BYRADIUS 20000 km ASC WITHDIST",
        "GEOSEARCH w FROMLONLAT 0 0 BYRADIUS 5000 km DESC WITHDIST",
        "GEOSEARCH w FROMLONLAT 179.9 0 BYRADIUS 4000 km ASC WITHDIST",
        "GEOSEARCH w FROMLONLAT -180 0 BYRADIUS 4000 km ASC WITHCOORD",
        "GEOSEARCH w FROMLONLAT 180 85.05112878 BYRADIUS 1000 km ASC WITHDIST",
        "GEOSEARCH w FROMLONLAT -180 -85.05112878 BYRADIUS 1000 km ASC WITHDIST",
        "GEOSEARCH w FROMLONLAT 0 85.05112878 BYRADIUS 3000 km WITHDIST",
        "GEOSEARCH w FROMLONLAT 0 84 BYBOX 5000 1000 km ASC WITHDIST",
        "GEOSEARCH w FROMLONLAT 0 -84 BYBOX 5000 1000 km ASC WITHDIST",
        "GEOSEARCH w FROMLONLAT 170 70 BYBOX 8000 3000 km ASC WITHDIST",
        "GEOSEARCH w FROMLONLAT 0 0 BYBOX 40000 40000 km ASC",
        "GEOSEARCH w FROMLONLAT 0 0 BYBOX inf inf km",
        "GEOSEARCH w FROMLONLAT 0 0 BYRADIUS inf km COUNT 5",
        "GEOSEARCH w FROMLONLAT 90 45 BYRADIUS 12000 km COUNT 30 DESC WITHHASH",
        "GEOSEARCH w FROMMEMBER p0 BYRADIUS 10000 km ASC",
        "GEOSEARCH w FROMMEMBER p10 BYRADIUS 100 km ASC",
        "GEORADIUS w 0 0 19000 km WITHDIST DESC",
        "GEORADIUS w 0 -85 2000 mi WITHDIST ASC",
        "GEORADIUS w 0 0 1e20 m COUNT 3",
        "GEODIST w p0 p142 km",
        "GEODIST w p5 p71",
    ] {
        d.run(cmd);
    }
}

#[test]
fn keyspace_events_match_redis() {
    let mut d = Diff::new(&["--notify-keyspace-events", "KEAm"]);
    let (mut sa, mut sb) = d.keyspace_subscribers();
    d.run(SICILY);
    d.run(
        r#"
        GEOADD Sicily 13.361389 38.115556 Palermo
        GEOADD Sicily XX 1 1 nothere
        GEOADD Sicily CH 1 1 Palermo
        GEOPOS nokey a
        GEOHASH nokey a
        GEODIST nokey a b
        GEOSEARCH nokey FROMLONLAT 1 1 BYRADIUS 1 km
        GEORADIUS Sicily 15 37 200 km STORE dst
        GEORADIUSBYMEMBER Sicily Catania 200 km STOREDIST dst
        GEOSEARCHSTORE dst2 Sicily FROMLONLAT 15 37 BYRADIUS 200 km
        GEOSEARCHSTORE dst2 Sicily FROMLONLAT 15 37 BYRADIUS 1 m
        GEORADIUS nokey 1 1 1 km STORE dst
        GEORADIUS nokey 1 1 1 km STORE dst
        "#,
    );
    let wait = std::time::Duration::from_millis(300);
    let ea = text(&sa.read_for(wait));
    let eb = text(&sb.read_for(wait));
    assert_eq!(ea, eb);
    for event in ["zadd", "georadiusstore", "geosearchstore", "del", "keymiss"] {
        assert!(ea.contains(event), "no {event} in {ea}");
    }
}

#[test]
fn propagation_matches_redis() {
    assert_same_stream(
        &[],
        r#"
        GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
        GEOADD Sicily NX CH 13.361389 38.115556 Palermo 1 2 new
        GEOADD Sicily XX 1 1 nothere
        GEOADD Sicily ch 13.361389 38.115556 Palermo
        GEOADD Sicily 200 1 bad
        GEORADIUS Sicily 15 37 200 km STORE dst
        GEORADIUS Sicily 15 37 200 km
        GEORADIUSBYMEMBER Sicily Palermo 10 km STOREDIST dst
        GEOSEARCHSTORE dst2 Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST
        GEOSEARCHSTORE dst2 Sicily FROMLONLAT 15 37 BYRADIUS 1 m
        GEOSEARCHSTORE dst2 Sicily FROMLONLAT 15 37 BYRADIUS 1 m
        GEORADIUS nokey 1 1 1 km STORE dst
        SET marker done
        "#,
    );
}

#[test]
fn lookups_dirty_counts_and_metadata_match_redis() {
    let mut d = Diff::new(&[]);
    d.run("CONFIG RESETSTAT");
    d.run(SICILY);
    for line in [
        "GEOPOS Sicily Palermo",
        "GEOPOS nokey a",
        "GEOHASH nokey a",
        "GEODIST nokey a b",
        "GEODIST Sicily Palermo Catania",
        "GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 1 km",
        "GEOSEARCH nokey FROMMEMBER Palermo BYRADIUS 1 km",
        "GEOSEARCHSTORE d Sicily FROMMEMBER Palermo BYRADIUS 1 km",
        "GEORADIUSBYMEMBER nokey a 1 km",
        "GEORADIUS Sicily 15 37 1 km BADOPT",
    ] {
        let args = resp::split_inline_args(line.as_bytes()).unwrap();
        d.check(&args);
        assert_eq!(hits_misses(&mut d.a), hits_misses(&mut d.b), "after {line}");
    }
    let changes = |c: &mut Raw| {
        let info = text(&c.call(&["INFO", "persistence"]));
        info.lines()
            .find(|l| l.starts_with("rdb_changes_since_last_save:"))
            .unwrap_or_default()
            .to_string()
    };
    for line in [
        "GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYRADIUS 300 km",
        "GEORADIUS Sicily 15 37 300 km STORE d2",
        "GEORADIUS Sicily 15 37 1 m STORE d2",
        "GEOADD Sicily CH 1 1 Palermo 2 2 a 3 3 b",
    ] {
        let args = resp::split_inline_args(line.as_bytes()).unwrap();
        d.check(&args);
        assert_eq!(changes(&mut d.a), changes(&mut d.b), "after {line}");
    }
    for name in [
        "geoadd",
        "geodist",
        "geohash",
        "geopos",
        "georadius",
        "georadius_ro",
        "georadiusbymember",
        "georadiusbymember_ro",
        "geosearch",
        "geosearchstore",
    ] {
        d.check(&["COMMAND", "INFO", name]);
    }
    d.run(
        r#"
        COMMAND GETKEYS GEORADIUS src 1 2 3 km STORE dst
        COMMAND GETKEYS GEORADIUS src 1 2 3 km STOREDIST dst
        COMMAND GETKEYS GEORADIUSBYMEMBER src m 3 km STORE dst
        COMMAND GETKEYS GEOSEARCHSTORE dst src FROMMEMBER m BYRADIUS 1 km
        COMMAND GETKEYS GEOADD k 1 1 m
        "#,
    );
}

/// A small deterministic generator (xorshift64*), so a failure names its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Uniform in [lo, hi).
    fn float(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (self.next() >> 11) as f64 / (1u64 << 53) as f64 * (hi - lo)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// A random search command over key `g` (members `m0`…), with random options.
fn random_search(rng: &mut Rng, centre: (f64, f64), members: usize) -> Vec<String> {
    let unit = rng.pick(&["m", "km", "ft", "mi", "KM"]);
    let scale = match unit {
        "m" => 1.0,
        "ft" => 3.28,
        "mi" => 0.000621,
        _ => 0.001,
    };
    // Radii from metres to across the globe (metres, then converted to the unit).
    let radius_m = 10f64.powf(rng.float(0.0, 7.3));
    let r = format!("{:.3}", radius_m * scale);
    let (lon, lat) = (
        (centre.0 + rng.float(-2.0, 2.0)).clamp(-180.0, 180.0),
        (centre.1 + rng.float(-2.0, 2.0)).clamp(-85.05, 85.05),
    );
    let (lon, lat) = (format!("{lon:.6}"), format!("{lat:.6}"));
    let member = format!("m{}", rng.below(members as u64 + 2));
    let form = rng.below(7);
    let mut cmd: Vec<String> = match form {
        0 => vec!["GEORADIUS".into(), "g".into(), lon, lat, r, unit.into()],
        1 => vec!["GEORADIUS_RO".into(), "g".into(), lon, lat, r, unit.into()],
        2 => vec![
            "GEORADIUSBYMEMBER".into(),
            "g".into(),
            member,
            r,
            unit.into(),
        ],
        3 => vec![
            "GEORADIUSBYMEMBER_RO".into(),
            "g".into(),
            member,
            r,
            unit.into(),
        ],
        _ => {
            let mut c = vec!["GEOSEARCH".to_string(), "g".into()];
            if rng.below(2) == 0 {
                c.extend(["FROMLONLAT".into(), lon, lat]);
            } else {
                c.extend(["FROMMEMBER".into(), member]);
            }
            if rng.below(2) == 0 {
                c.extend(["BYRADIUS".into(), r, unit.into()]);
            } else {
                let w = format!("{:.3}", radius_m * scale * rng.float(0.2, 3.0));
                let h = format!("{:.3}", radius_m * scale * rng.float(0.2, 3.0));
                c.extend(["BYBOX".into(), w, h, unit.into()]);
            }
            c
        }
    };
    let store = form != 1 && form != 3 && rng.below(4) == 0;
    if !store {
        for opt in ["WITHDIST", "WITHCOORD", "WITHHASH"] {
            if rng.below(2) == 0 {
                cmd.push(opt.into());
            }
        }
    }
    match rng.below(3) {
        0 => cmd.push("ASC".into()),
        1 => cmd.push("DESC".into()),
        _ => {}
    }
    if rng.below(2) == 0 {
        cmd.extend(["COUNT".into(), (1 + rng.below(40)).to_string()]);
        if rng.below(3) == 0 {
            cmd.push("ANY".into());
        }
    }
    if store {
        if cmd[0] == "GEOSEARCH" {
            cmd[0] = "GEOSEARCHSTORE".into();
            cmd.insert(1, "dst".into());
            if rng.below(2) == 0 {
                cmd.push("STOREDIST".into());
            }
        } else {
            cmd.push(rng.pick(&["STORE", "STOREDIST"]).into());
            cmd.push("dst".into());
        }
    }
    cmd
}

/// Random points around a few centres (some sharing a position, some on the limits), then
/// random searches of every form and option; every reply and stored set must match.
#[test]
fn random_searches_match_redis() {
    let rounds: u64 = std::env::var("REDOUBT_GEO_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24);
    let mut d = Diff::new(&["--zset-max-listpack-entries", "64"]);
    let centres = [
        (13.361389, 38.115556),
        (-0.1276, 51.5072),
        (179.5, -17.7),
        (-179.9, 65.0),
        (0.0, 0.0),
        (151.2, -33.9),
        (20.0, 84.9),
        (-70.0, -84.5),
    ];
    for round in 0..rounds {
        let seed = 0x9E37_79B9_7F4A_7C15 ^ (round + 1);
        let mut rng = Rng(seed);
        d.run("FLUSHALL");
        let centre = centres[rng.below(centres.len() as u64) as usize];
        let members = 1 + rng.below(200) as usize;
        let spread = 10f64.powf(rng.float(-3.0, 1.5));
        let mut add = vec!["GEOADD".to_string(), "g".into()];
        let mut last = (centre.0, centre.1);
        for i in 0..members {
            let p = match rng.below(10) {
                // The same place as the previous member: a distance tie.
                0 => last,
                1 => (
                    *[-180.0, 180.0, centre.0]
                        .get(rng.below(3) as usize)
                        .unwrap_or(&0.0),
                    centre.1,
                ),
                _ => (
                    (centre.0 + rng.float(-spread, spread)).clamp(-180.0, 180.0),
                    (centre.1 + rng.float(-spread, spread)).clamp(-85.05112878, 85.05112878),
                ),
            };
            last = p;
            add.extend([
                format!("{:.7}", p.0),
                format!("{:.7}", p.1),
                format!("m{i}"),
            ]);
        }
        d.check(&add);
        for _ in 0..40 {
            let cmd = random_search(&mut rng, centre, members);
            let context = format!("seed {seed:#x}: {}", cmd.join(" "));
            let (ra, rb) = (d.a.call(&cmd), d.b.call(&cmd));
            assert_eq!(text(&ra), text(&rb), "{context}");
            if cmd
                .iter()
                .any(|a| a.starts_with("STORE") || a == "GEOSEARCHSTORE")
            {
                let z = ["ZRANGE", "dst", "0", "-1", "WITHSCORES"];
                assert_eq!(text(&d.a.call(&z)), text(&d.b.call(&z)), "{context}");
            }
            let (a, b) = (rng.below(members as u64 + 1), rng.below(members as u64 + 1));
            let unit = rng.pick(&["m", "km", "ft", "mi"]);
            let a = format!("m{a}");
            let b = format!("m{b}");
            d.check(&["GEODIST", "g", &a, &b, unit]);
            d.check(&["GEOPOS", "g", &a, &b]);
            d.check(&["GEOHASH", "g", &a, &b]);
        }
    }
}
