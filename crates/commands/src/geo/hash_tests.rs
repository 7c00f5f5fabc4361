//! Geohash maths checked against values redis-server 7.0.15 replied, and against the
//! algorithm's own invariants.

use super::*;

fn f(s: &str) -> f64 {
    s.parse().unwrap()
}

#[test]
fn scores_are_redis_scores() {
    assert_eq!(score_of(13.361389, 38.115556), Some(3479099956230698));
    assert_eq!(score_of(15.087269, 37.502669), Some(3479447370796909));
    // The upper limits give the cell one past the last (bits 52 and 53 set).
    assert_eq!(score_of(180.0, LAT_MAX), Some(13510798882111488));
    assert_eq!(score_of(-180.0, LAT_MIN), Some(0));
    assert_eq!(score_of(180.000001, 0.0), None);
    assert_eq!(score_of(0.0, 85.06), None);
}

#[test]
fn decoding_gives_the_cell_centre_clamped() {
    assert_eq!(
        decode_score(3479099956230698.0),
        (f("13.36138933897018433"), f("38.11555639549629859"))
    );
    assert_eq!(decode_score(13510798882111488.0), (180.0, LAT_MAX));
    let origin = (f("-179.99999731779098511"), f("-85.05112751263942528"));
    assert_eq!(decode_score(0.0), origin);
}

#[test]
fn any_score_decodes_as_c_casts_it() {
    assert_eq!(score_bits(-1.0), u64::MAX);
    assert_eq!(score_bits(1.5), 1);
    assert_eq!(score_bits(f64::INFINITY), 0);
    assert_eq!(score_bits(f64::NEG_INFINITY), 1 << 63);
    assert_eq!(score_bits(9_223_372_036_854_775_808.0), 1 << 63);
    assert_eq!(score_bits(1e300), 0);
    // Positions redis-server replied for those scores (ZADD then GEOPOS).
    assert_eq!(decode_score(-1.0), (180.0, LAT_MAX));
    assert_eq!(
        decode_score(f64::NEG_INFINITY),
        (180.0, f("-85.05112751263942528"))
    );
    assert_eq!(
        decode_score(1.5),
        (f("-179.99999731779098511"), f("-85.05112497791824921"))
    );
}

#[test]
fn geohash_strings_match_redis() {
    assert_eq!(&geohash_string(3479099956230698.0), b"sqc8b49rny0");
    assert_eq!(&geohash_string(3479447370796909.0), b"sqdtr74hyu0");
    assert_eq!(&geohash_string(13510798882111488.0), b"bp05b5048p0");
    assert_eq!(&geohash_string(0.0), b"00bh0hbj200");
    assert_eq!(&geohash_string(1.5), b"00bh0hbj210");
}

#[test]
fn distances_match_redis() {
    let (a, b) = (
        decode_score(3479099956230698.0),
        decode_score(3479447370796909.0),
    );
    let d = distance(a.0, a.1, b.0, b.1);
    assert_eq!(format!("{d:.4}"), "166274.1516");
    assert_eq!(distance(a.0, a.1, a.0, a.1), 0.0);
    assert_eq!(distance(a.0, a.1, b.0, b.1), distance(b.0, b.1, a.0, a.1));
}

#[test]
fn interleaving_round_trips() {
    for (lat, lon) in [
        (0u32, 0u32),
        (1, 0),
        (0, 1),
        (u32::MAX, 7),
        (0x0123_4567, 0x89ab_cdef),
    ] {
        let bits = interleave(lat, lon);
        assert_eq!(deinterleave(bits), (lat, lon));
    }
    assert_eq!(interleave(1, 0), 1);
    assert_eq!(interleave(0, 1), 2);
    assert_eq!(interleave(3, 0), 0b101);
}

#[test]
fn neighbours_move_one_cell_and_wrap() {
    let step = 3;
    let at = |lat: u32, lon: u32| Hash {
        bits: interleave(lat, lon),
        step,
    };
    let n = neighbours(at(2, 5));
    assert_eq!(n.north, at(3, 5));
    assert_eq!(n.south, at(1, 5));
    assert_eq!(n.east, at(2, 6));
    assert_eq!(n.west, at(2, 4));
    assert_eq!(n.north_east, at(3, 6));
    assert_eq!(n.south_west, at(1, 4));
    let corner = neighbours(at(7, 0));
    assert_eq!(corner.north, at(0, 0));
    assert_eq!(corner.west, at(7, 7));
    assert_eq!(corner.north_west, at(0, 7));
}

#[test]
fn steps_follow_the_radius_and_latitude() {
    assert_eq!(estimate_step(0.0, 0.0), 26);
    assert_eq!(estimate_step(1.0, 0.0), 24);
    assert_eq!(estimate_step(1000.0, 0.0), 14);
    assert_eq!(estimate_step(1000.0, 70.0), 13);
    assert_eq!(estimate_step(1000.0, -85.0), 12);
    assert_eq!(estimate_step(5_000_000.0, 0.0), 2);
    assert_eq!(estimate_step(f64::INFINITY, 0.0), 1);
    assert_eq!(estimate_step(1e-300, 0.0), 26);
}

#[test]
fn cells_cover_the_search() {
    // Every point of a small circle lies in one of the non-zero cells.
    let s = Search {
        lon: 13.36,
        lat: 38.11,
        shape: Shape::Radius(5.0),
        conversion: 1000.0,
    };
    let cells = s.cells();
    assert!(!cells[0].is_zero());
    for k in 0..64 {
        let a = k as f64 / 64.0 * std::f64::consts::TAU;
        let (lon, lat) = (13.36 + 0.05 * a.cos(), 38.11 + 0.04 * a.sin());
        if s.contains(lon, lat).is_none() {
            continue;
        }
        let score = score_of(lon, lat).unwrap() as f64;
        assert!(
            cells.iter().filter(|c| !c.is_zero()).any(|c| {
                let (min, max) = c.score_range();
                min <= score && score < max
            }),
            "{lon},{lat} not covered"
        );
    }
}

#[test]
fn boxes_filter_on_both_axes() {
    let s = Search {
        lon: 0.0,
        lat: 0.0,
        shape: Shape::Box {
            width: 200.0,
            height: 100.0,
        },
        conversion: 1000.0,
    };
    assert!(s.contains(0.8, 0.0).is_some());
    assert!(s.contains(0.0, 0.8).is_none());
    assert!(s.contains(0.8, 0.4).is_some());
    assert!(s.contains(1.0, 0.0).is_none());
}
