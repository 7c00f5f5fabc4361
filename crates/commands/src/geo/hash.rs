//! Geohash maths for the GEO commands, computed the way Redis 7.0 computes it so that scores,
//! positions, distances and the boxes a search visits are bit-for-bit the same:
//!
//! - a position is two 26-bit cell numbers (latitude over ±85.05112878, the Web Mercator
//!   limit, and longitude over ±180) interleaved into a 52-bit integer, latitude in the even
//!   bits; that integer is the sorted set score;
//! - decoding gives the cell's centre, clamped to the valid ranges;
//! - a search picks a coarser step from the radius, takes the centre's cell at that step and
//!   its 8 neighbours (moving by one cell with wrap-around), drops the neighbours the
//!   bounding box does not reach, and scans each cell's score interval;
//! - distances are haversine on a sphere of radius 6372797.560856 m.
//!
//! Cell numbers keep C's integer behaviour (a coordinate on the upper limit gives cell
//! 2^step, one past the last; `u32` wrap-around in decoding), because Redis's answers for
//! those edge coordinates come from exactly that arithmetic.

pub const LONG_MIN: f64 = -180.0;
pub const LONG_MAX: f64 = 180.0;
pub const LAT_MIN: f64 = -85.05112878;
pub const LAT_MAX: f64 = 85.05112878;
/// Steps (bits per coordinate) of a stored score.
pub const STEP_MAX: u8 = 26;
pub const EARTH_RADIUS: f64 = 6372797.560856;
const MERCATOR_MAX: f64 = 20037726.37;
const D_R: f64 = std::f64::consts::PI / 180.0;

fn deg_rad(deg: f64) -> f64 {
    deg * D_R
}

fn rad_deg(rad: f64) -> f64 {
    rad / D_R
}

/// A cell: `2 * step` interleaved bits. The zero value (bits and step 0) marks a neighbour
/// the search skips.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Hash {
    pub bits: u64,
    pub step: u8,
}

impl Hash {
    pub fn is_zero(&self) -> bool {
        self.bits == 0 && self.step == 0
    }

    /// The cell's first 52-bit score (the cell number shifted to 26 steps).
    pub fn align52(&self) -> u64 {
        self.bits << (52 - 2 * u32::from(self.step))
    }

    /// The sorted set scores `[min, max)` of everything stored inside this cell.
    pub fn score_range(&self) -> (f64, f64) {
        let next = Hash {
            bits: self.bits.wrapping_add(1),
            step: self.step,
        };
        (self.align52() as f64, next.align52() as f64)
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    pub min: f64,
    pub max: f64,
}

impl Range {
    const LONG: Range = Range {
        min: LONG_MIN,
        max: LONG_MAX,
    };
    const LAT: Range = Range {
        min: LAT_MIN,
        max: LAT_MAX,
    };
    /// The latitude range of standard geohash strings (GEOHASH's output).
    pub const LAT_STANDARD: Range = Range {
        min: -90.0,
        max: 90.0,
    };
}

/// The extent of a cell.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Area {
    pub lon: Range,
    pub lat: Range,
}

/// Spreads the 32 bits of `v` over the even bits of a u64.
fn spread(v: u32) -> u64 {
    let mut x = u64::from(v);
    x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    (x | (x << 1)) & 0x5555_5555_5555_5555
}

/// Gathers the even bits of `v` into a u32 (the inverse of [`spread`]).
fn gather(v: u64) -> u32 {
    let mut x = v & 0x5555_5555_5555_5555;
    x = (x | (x >> 1)) & 0x3333_3333_3333_3333;
    x = (x | (x >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x >> 4)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x >> 8)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x >> 16)) & 0x0000_0000_FFFF_FFFF;
    x as u32
}

/// Latitude cell in the even bits, longitude cell in the odd bits.
pub fn interleave(lat: u32, lon: u32) -> u64 {
    spread(lat) | (spread(lon) << 1)
}

/// (latitude cell, longitude cell).
pub fn deinterleave(bits: u64) -> (u32, u32) {
    (gather(bits), gather(bits >> 1))
}

/// The cell of (`lon`, `lat`) at `step` over the given ranges; `None` outside the valid
/// coordinates or the ranges.
#[allow(clippy::manual_range_contains)]
pub fn encode(lon_range: Range, lat_range: Range, lon: f64, lat: f64, step: u8) -> Option<Hash> {
    if step == 0 || step > 32 {
        return None;
    }
    // Written as C compares, so that NaN passes these checks as it does there.
    if lon > LONG_MAX || lon < LONG_MIN || lat > LAT_MAX || lat < LAT_MIN {
        return None;
    }
    if lat < lat_range.min || lat > lat_range.max || lon < lon_range.min || lon > lon_range.max {
        return None;
    }
    let scale = (1u64 << step) as f64;
    let lat_offset = (lat - lat_range.min) / (lat_range.max - lat_range.min) * scale;
    let lon_offset = (lon - lon_range.min) / (lon_range.max - lon_range.min) * scale;
    // C converts the offsets to uint32_t by truncation; they are at most 2^step here.
    Some(Hash {
        bits: interleave(lat_offset as u32, lon_offset as u32),
        step,
    })
}

/// The cell of a valid position over the GEO ranges.
pub fn encode_wgs84(lon: f64, lat: f64, step: u8) -> Option<Hash> {
    encode(Range::LONG, Range::LAT, lon, lat, step)
}

/// The extent of `hash` over the GEO ranges; `None` for the zero hash.
pub fn decode(hash: Hash) -> Option<Area> {
    if hash.is_zero() {
        return None;
    }
    let (ilat, ilon) = deinterleave(hash.bits);
    let cells = (1u64 << hash.step.min(63)) as f64;
    let (lat_scale, lon_scale) = (LAT_MAX - LAT_MIN, LONG_MAX - LONG_MIN);
    let edge = |n: u32, min: f64, scale: f64| min + (f64::from(n) * 1.0 / cells) * scale;
    Some(Area {
        lat: Range {
            min: edge(ilat, LAT_MIN, lat_scale),
            max: edge(ilat.wrapping_add(1), LAT_MIN, lat_scale),
        },
        lon: Range {
            min: edge(ilon, LONG_MIN, lon_scale),
            max: edge(ilon.wrapping_add(1), LONG_MIN, lon_scale),
        },
    })
}

/// The centre of an area, clamped to the valid coordinates: (longitude, latitude).
pub fn area_center(a: &Area) -> (f64, f64) {
    let lon = ((a.lon.min + a.lon.max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let lat = ((a.lat.min + a.lat.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    (lon, lat)
}

/// C's `(uint64_t)d` as gcc compiles it on x86-64: truncation below 2^63, the 2^63 offset
/// trick above, and the "integer indefinite" value for what `cvttsd2si` cannot represent.
pub fn score_bits(score: f64) -> u64 {
    const TWO63: f64 = 9_223_372_036_854_775_808.0;
    fn cvttsd2si(d: f64) -> u64 {
        if (-TWO63..TWO63).contains(&d) {
            d as i64 as u64
        } else {
            1 << 63
        }
    }
    if score < TWO63 {
        cvttsd2si(score)
    } else {
        cvttsd2si(score - TWO63) ^ (1 << 63)
    }
}

/// The position a stored score stands for (Redis's `decodeGeohash`): (longitude, latitude).
/// Any score decodes, as in Redis; scores GEOADD did not write give odd but stable places.
pub fn decode_score(score: f64) -> (f64, f64) {
    let hash = Hash {
        bits: score_bits(score),
        step: STEP_MAX,
    };
    match decode(hash) {
        Some(a) => area_center(&a),
        None => (0.0, 0.0),
    }
}

/// The 52-bit score GEOADD stores for a valid position.
pub fn score_of(lon: f64, lat: f64) -> Option<u64> {
    encode_wgs84(lon, lat, STEP_MAX).map(|h| h.align52())
}

/// Moves a cell by one column (`east`) or back, wrapping around the globe.
fn move_x(h: Hash, east: bool) -> Hash {
    let shift = 64 - 2 * u32::from(h.step);
    let x = h.bits & 0xAAAA_AAAA_AAAA_AAAA;
    let y = h.bits & 0x5555_5555_5555_5555;
    let zz = 0x5555_5555_5555_5555u64 >> shift;
    let x = if east {
        x.wrapping_add(zz.wrapping_add(1))
    } else {
        (x | zz).wrapping_sub(zz.wrapping_add(1))
    };
    Hash {
        bits: (x & (0xAAAA_AAAA_AAAA_AAAAu64 >> shift)) | y,
        step: h.step,
    }
}

/// Moves a cell by one row (`north`) or back, wrapping around.
fn move_y(h: Hash, north: bool) -> Hash {
    let shift = 64 - 2 * u32::from(h.step);
    let x = h.bits & 0xAAAA_AAAA_AAAA_AAAA;
    let y = h.bits & 0x5555_5555_5555_5555;
    let zz = 0xAAAA_AAAA_AAAA_AAAAu64 >> shift;
    let y = if north {
        y.wrapping_add(zz.wrapping_add(1))
    } else {
        (y | zz).wrapping_sub(zz.wrapping_add(1))
    };
    Hash {
        bits: x | (y & (0x5555_5555_5555_5555u64 >> shift)),
        step: h.step,
    }
}

/// The 8 neighbours of a cell.
#[derive(Clone, Copy, Debug, Default)]
pub struct Neighbours {
    pub north: Hash,
    pub south: Hash,
    pub east: Hash,
    pub west: Hash,
    pub north_east: Hash,
    pub north_west: Hash,
    pub south_east: Hash,
    pub south_west: Hash,
}

pub fn neighbours(h: Hash) -> Neighbours {
    Neighbours {
        north: move_y(h, true),
        south: move_y(h, false),
        east: move_x(h, true),
        west: move_x(h, false),
        north_east: move_y(move_x(h, true), true),
        north_west: move_y(move_x(h, false), true),
        south_east: move_y(move_x(h, true), false),
        south_west: move_y(move_x(h, false), false),
    }
}

/// Great-circle distance in metres between two positions (degrees).
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (lat1r, lon1r) = (deg_rad(lat1), deg_rad(lon1));
    let (lat2r, lon2r) = (deg_rad(lat2), deg_rad(lon2));
    let u = ((lat2r - lat1r) / 2.0).sin();
    let v = ((lon2r - lon1r) / 2.0).sin();
    2.0 * EARTH_RADIUS * (u * u + lat1r.cos() * lat2r.cos() * v * v).sqrt().asin()
}

/// What a search covers; lengths are in the unit, `conversion` is metres per unit.
#[derive(Clone, Copy, Debug)]
pub enum Shape {
    Radius(f64),
    Box { width: f64, height: f64 },
}

/// A search: centre (longitude, latitude), shape and unit.
#[derive(Clone, Copy, Debug)]
pub struct Search {
    pub lon: f64,
    pub lat: f64,
    pub shape: Shape,
    pub conversion: f64,
}

impl Search {
    /// [min longitude, min latitude, max longitude, max latitude] of the searched area.
    pub fn bounding_box(&self) -> [f64; 4] {
        let (h, w) = match self.shape {
            Shape::Radius(r) => (self.conversion * r, self.conversion * r),
            Shape::Box { width, height } => (
                self.conversion * (height / 2.0),
                self.conversion * (width / 2.0),
            ),
        };
        let lat_delta = rad_deg(h / EARTH_RADIUS);
        let lon_delta_top = rad_deg(w / EARTH_RADIUS / deg_rad(self.lat + lat_delta).cos());
        let lon_delta_bottom = rad_deg(w / EARTH_RADIUS / deg_rad(self.lat - lat_delta).cos());
        // The box is widest on its edge nearer the pole.
        let lon_delta = if self.lat < 0.0 {
            lon_delta_bottom
        } else {
            lon_delta_top
        };
        [
            self.lon - lon_delta,
            self.lat - lat_delta,
            self.lon + lon_delta,
            self.lat + lat_delta,
        ]
    }

    /// The distance from the centre to the farthest point of the shape, in metres.
    fn reach(&self) -> f64 {
        let r = match self.shape {
            Shape::Radius(r) => r,
            Shape::Box { width, height } => {
                ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt()
            }
        };
        r * self.conversion
    }

    /// The distance (metres) of a point from the centre if the point is inside the shape.
    pub fn contains(&self, lon: f64, lat: f64) -> Option<f64> {
        match self.shape {
            Shape::Radius(r) => {
                let d = distance(self.lon, self.lat, lon, lat);
                // Only a distance known to be farther is out (a NaN one is in, as in C).
                if d > r * self.conversion {
                    None
                } else {
                    Some(d)
                }
            }
            Shape::Box { width, height } => {
                let (w, h) = (width * self.conversion, height * self.conversion);
                let lon_d = distance(lon, lat, self.lon, lat);
                let lat_d = distance(lon, lat, lon, self.lat);
                if lon_d > w / 2.0 || lat_d > h / 2.0 {
                    return None;
                }
                Some(distance(self.lon, self.lat, lon, lat))
            }
        }
    }

    /// The cells to scan, in Redis's order: the centre's cell, then north, south, east, west,
    /// north-east, north-west, south-east, south-west; skipped ones are zero hashes.
    pub fn cells(&self) -> [Hash; 9] {
        let [min_lon, min_lat, max_lon, max_lat] = self.bounding_box();
        let mut step = estimate_step(self.reach(), self.lat);
        let at = |step: u8| {
            let hash = encode_wgs84(self.lon, self.lat, step).unwrap_or(Hash { bits: 0, step });
            (hash, neighbours(hash), decode(hash))
        };
        let (mut hash, mut n, mut area) = at(step);
        // Near a cell's edge the estimated step can leave part of the shape outside the 9
        // cells: one step coarser then.
        let edge = |h: Hash, f: &dyn Fn(&Area) -> bool| decode(h).is_some_and(|a| f(&a));
        let too_small = edge(n.north, &|a| a.lat.max < max_lat)
            || edge(n.south, &|a| a.lat.min > min_lat)
            || edge(n.east, &|a| a.lon.max < max_lon)
            || edge(n.west, &|a| a.lon.min > min_lon);
        if step > 1 && too_small {
            step -= 1;
            (hash, n, area) = at(step);
        }
        if step >= 2 {
            if let Some(a) = area {
                let zero = Hash::default();
                if a.lat.min < min_lat {
                    (n.south, n.south_west, n.south_east) = (zero, zero, zero);
                }
                if a.lat.max > max_lat {
                    (n.north, n.north_east, n.north_west) = (zero, zero, zero);
                }
                if a.lon.min < min_lon {
                    (n.west, n.south_west, n.north_west) = (zero, zero, zero);
                }
                if a.lon.max > max_lon {
                    (n.east, n.south_east, n.north_east) = (zero, zero, zero);
                }
            }
        }
        [
            hash,
            n.north,
            n.south,
            n.east,
            n.west,
            n.north_east,
            n.north_west,
            n.south_east,
            n.south_west,
        ]
    }
}

/// The step whose cells are about the size of the search (`range` metres around `lat`).
#[allow(clippy::manual_range_contains)]
pub fn estimate_step(range: f64, lat: f64) -> u8 {
    if range == 0.0 {
        return STEP_MAX;
    }
    let mut range = range;
    let mut step: i32 = 1;
    while range < MERCATOR_MAX {
        range *= 2.0;
        step += 1;
    }
    step -= 2;
    // Meridians converge towards the poles: cells get narrower, so take bigger ones.
    if lat > 66.0 || lat < -66.0 {
        step -= 1;
        if lat > 80.0 || lat < -80.0 {
            step -= 1;
        }
    }
    step.clamp(1, i32::from(STEP_MAX)) as u8
}

/// The standard 11-character geohash string of a stored score (GEOHASH): the position is
/// decoded and encoded again over latitude ±90, the 11th character standing for 0 bits.
pub fn geohash_string(score: f64) -> [u8; 11] {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let (lon, lat) = decode_score(score);
    let bits = encode(Range::LONG, Range::LAT_STANDARD, lon, lat, STEP_MAX).map_or(0, |h| h.bits);
    let mut out = [b'0'; 11];
    for (i, c) in out.iter_mut().take(10).enumerate() {
        let idx = (bits >> (52 - (i + 1) * 5)) & 0x1f;
        *c = ALPHABET[idx as usize];
    }
    out
}

#[cfg(test)]
#[path = "hash_tests.rs"]
mod tests;
