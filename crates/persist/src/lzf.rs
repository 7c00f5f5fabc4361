//! LZF compression as Redis 7.0's bundled liblzf 3.6 does it (HLOG 16, VERY_FAST, matches
//! allowed up to the last three bytes, the 16-step unrolled match extension), so that the
//! strings Redoubt compresses into DUMP payloads and RDB files are the bytes Redis 7.0
//! writes, and anything Redis compressed decompresses here. (Later Redis versions stop
//! matching four bytes before the end, which changes the last few output bytes.)
//!
//! Why not the `lzf` crate: it is marked deprecated, allocates a 512 KiB table per call,
//! sizes its output buffer by a caller-declared length (an allocation a DUMP payload could
//! drive), and follows another liblzf revision's match-length rule, so its output differs
//! from Redis's near the end of the input.
//!
//! Format: `000LLLLL` + L+1 literal bytes; `LLLooooo oooooooo` a back reference of L+2 bytes
//! at distance `o+1`; `111ooooo LLLLLLLL oooooooo` the same with length L+9.

const HLOG: u32 = 16;
const HSIZE: usize = 1 << HLOG;
const MAX_LIT: usize = 1 << 5;
const MAX_OFF: usize = 1 << 13;
const MAX_REF: usize = (1 << 8) + (1 << 3);

/// The hash slot of the three bytes at the low end of `h` (liblzf's VERY_FAST `IDX`).
fn idx(h: u32) -> usize {
    ((h >> (3 * 8 - HLOG)).wrapping_sub(h.wrapping_mul(5)) as usize) & (HSIZE - 1)
}

thread_local! {
    /// The hash table, kept zeroed between calls: zeroing 256 KiB per string would cost more
    /// than compressing a short one (an RDB save compresses millions).
    static HTAB: std::cell::RefCell<Vec<u32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Compresses `input` into at most `max_out` bytes; `None` if it does not fit (or is empty).
///
/// liblzf leaves its hash table uninitialised; a zeroed table ("no earlier position") gives
/// the output it produces on a fresh stack, which is what a DUMP of Redis shows.
pub fn compress(input: &[u8], max_out: usize) -> Option<Vec<u8>> {
    HTAB.with(|cell| {
        let mut htab = cell.borrow_mut();
        if htab.is_empty() {
            htab.resize(HSIZE, 0);
        }
        let out = compress_with(&mut htab, input, max_out);
        // Every slot written belongs to some position's three bytes; clear those (or all).
        if input.len() > HSIZE {
            htab.fill(0);
        } else {
            for w in input.windows(3) {
                let h = (u32::from(w[0]) << 16) | (u32::from(w[1]) << 8) | u32::from(w[2]);
                htab[idx(h)] = 0;
            }
        }
        out
    })
}

fn compress_with(htab: &mut [u32], input: &[u8], max_out: usize) -> Option<Vec<u8>> {
    let n = input.len();
    if n == 0 || max_out == 0 {
        return None;
    }
    // Positions are stored +0 and position 0 is never a valid reference (liblzf requires
    // `ref > in_data`), so 0 doubles as "empty".
    let mut out = vec![0u8; max_out];
    let mut op = 1usize; // start run: the literal-length byte is at op - lit - 1
    let mut lit = 0usize;
    let mut ip = 0usize;
    let mut hval: u32 = if n >= 2 {
        (u32::from(input[0]) << 8) | u32::from(input[1])
    } else {
        0
    };
    while n >= 3 && ip < n - 2 {
        hval = (hval << 8) | u32::from(input[ip + 2]);
        let slot = idx(hval);
        let r = htab[slot] as usize;
        htab[slot] = ip as u32;
        let is_match = r > 0
            && r < ip
            && ip - r - 1 < MAX_OFF
            && input[r] == input[ip]
            && input[r + 1] == input[ip + 1]
            && input[r + 2] == input[ip + 2];
        if is_match {
            let off = ip - r - 1;
            let maxlen = (n - ip - 2).min(MAX_REF);
            // Stop the literal run (or drop its unused length byte).
            out[op - lit - 1] = (lit as u8).wrapping_sub(1);
            if lit == 0 {
                op -= 1;
            }
            if op + 3 + 1 >= max_out {
                return None;
            }
            let len = match_len(input, r, ip, maxlen) - 2;
            ip += 1;
            if len < 7 {
                out[op] = ((off >> 8) + (len << 5)) as u8;
                op += 1;
            } else {
                out[op] = ((off >> 8) + (7 << 5)) as u8;
                out[op + 1] = (len - 7) as u8;
                op += 2;
            }
            out[op] = off as u8;
            op += 2; // the reference's last byte, then a new run's length byte
            lit = 0;
            ip += len + 1;
            if ip >= n - 2 {
                break;
            }
            ip -= 2;
            hval = (u32::from(input[ip]) << 8) | u32::from(input[ip + 1]);
            for _ in 0..2 {
                hval = (hval << 8) | u32::from(input[ip + 2]);
                htab[idx(hval)] = ip as u32;
                ip += 1;
            }
        } else {
            if op >= max_out {
                return None;
            }
            out[op] = input[ip];
            op += 1;
            ip += 1;
            lit += 1;
            if lit == MAX_LIT {
                out[op - lit - 1] = (lit - 1) as u8;
                lit = 0;
                op += 1;
            }
        }
    }
    if op + 3 > max_out {
        return None;
    }
    while ip < n {
        out[op] = input[ip];
        op += 1;
        ip += 1;
        lit += 1;
        if lit == MAX_LIT {
            out[op - lit - 1] = (lit - 1) as u8;
            lit = 0;
            op += 1;
        }
    }
    out[op - lit - 1] = (lit as u8).wrapping_sub(1);
    if lit == 0 {
        op -= 1;
    }
    out.truncate(op);
    Some(out)
}

/// How many bytes match at `r` and `ip` (at least 3, known equal), extended the way liblzf
/// does: sixteen unchecked steps when `maxlen > 16`, which may run past `maxlen` by up to two,
/// and never fewer than three (so a match may take the input's last three bytes).
fn match_len(input: &[u8], r: usize, ip: usize, maxlen: usize) -> usize {
    let mut len = 2;
    if maxlen > 16 {
        for _ in 0..16 {
            len += 1;
            if input[r + len] != input[ip + len] {
                return len;
            }
        }
    }
    loop {
        len += 1;
        if len >= maxlen || input[r + len] != input[ip + len] {
            return len;
        }
    }
}

/// Decompresses `input`, which must expand to exactly `out_len` bytes; `None` if the data is
/// corrupt or of another length. Allocation grows with the data actually produced, never
/// with the declared length alone.
pub fn decompress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::with_capacity(out_len.min(input.len().saturating_mul(4) + 64));
    let mut ip = 0;
    while ip < input.len() {
        let ctrl = input[ip] as usize;
        ip += 1;
        if ctrl < MAX_LIT {
            let run = ctrl + 1;
            if out.len() + run > out_len || ip + run > input.len() {
                return None;
            }
            out.extend_from_slice(&input[ip..ip + run]);
            ip += run;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += *input.get(ip)? as usize;
                ip += 1;
            }
            let back = ((ctrl & 0x1f) << 8) + *input.get(ip)? as usize + 1;
            ip += 1;
            if out.len() + len + 2 > out_len || back > out.len() {
                return None;
            }
            // Byte by byte: the reference may overlap what it produces (run-length style).
            let start = out.len() - back;
            for i in 0..len + 2 {
                let b = out[start + i];
                out.push(b);
            }
        }
    }
    (out.len() == out_len).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(data: &[u8]) {
        if let Some(c) = compress(data, data.len() + 64) {
            assert_eq!(decompress(&c, data.len()).as_deref(), Some(data));
        }
    }

    #[test]
    fn compresses_repetitive_data() {
        let data = vec![b'a'; 100];
        let c = compress(&data, 96).unwrap();
        assert!(c.len() < 10, "{c:?}");
        assert_eq!(decompress(&c, 100).unwrap(), data);
    }

    #[test]
    fn same_bytes_as_redis() {
        // From DUMP on redis-server 7.0.15: position 0 is never referenced.
        let c = compress(&[b'a'; 100], 96).unwrap();
        assert_eq!(c, b"\x01aa\xe0\x57\x00\x01aa");
        let c = compress(&b"abcdefghij".repeat(3), 26).unwrap();
        assert_eq!(c, b"\x0aabcdefghija\xe0\x0a\x09");
        // A match may cover exactly the last three bytes.
        let mut s = b"_xyz".to_vec();
        s.extend_from_slice(&[b'a'; 40]);
        s.extend_from_slice(b"xyz");
        let c = compress(&s, s.len() - 4).unwrap();
        assert_eq!(c, b"\x04_xyza\xe0\x1e\x00\x20\x2a");
    }

    #[test]
    fn table_is_left_clean() {
        let data: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 13) as u8).collect();
        let first = compress(&data, data.len());
        assert_eq!(compress(&data, data.len()), first);
        compress(&vec![7u8; 100_000], 100_000);
        HTAB.with(|t| assert!(t.borrow().iter().all(|&v| v == 0)));
        compress(&data[..100], 100);
        HTAB.with(|t| assert!(t.borrow().iter().all(|&v| v == 0)));
    }

    #[test]
    fn incompressible_does_not_fit() {
        let mut x = 1u32;
        let data: Vec<u8> = (0..1000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        assert!(compress(&data, data.len() - 4).is_none());
        round_trip(&data);
    }

    #[test]
    fn corrupt_input_is_rejected() {
        assert!(decompress(&[0x20, 0x00], 10).is_none()); // reference before the start
        assert!(decompress(&[0x05, b'a'], 6).is_none()); // literal run past the input
        assert!(decompress(&[0x00, b'a'], 2).is_none()); // wrong length
        assert!(decompress(&[0xe0], 10).is_none()); // truncated long reference
        assert!(decompress(&[0x00, b'a', 0x20, 0x00], 3).is_none()); // too long output
    }

    proptest::proptest! {
        #[test]
        fn round_trips(data in proptest::collection::vec(0u8..4, 0..3000)) {
            round_trip(&data);
        }

        #[test]
        fn decompress_never_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..200), n in 0usize..5000) {
            let _ = decompress(&data, n);
        }
    }
}
