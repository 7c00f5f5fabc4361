//! Fuzzes the server's request decoder (`resp::parse_request`), the first code that touches
//! bytes from the network. Beyond "never panics", it checks what the connection loop relies
//! on: a decoded request consumes at least one byte and no more than the buffer, its argument
//! ranges lie inside what it consumed, and decoding is prefix-stable — a request (or a
//! non-size protocol error) found in a prefix of the stream is the same one found when more
//! bytes have arrived, so how TCP splits the stream never changes the commands.
//!
//! Input layout: byte 0 picks the limits (bit 0: unauthenticated, bit 1: a 1 KB
//! proto-max-bulk-len, bit 2: a primary's stream), byte 1 where to cut, the rest is the stream.
#![no_main]

use std::ops::Range;

use libfuzzer_sys::fuzz_target;
use resp::request::Request;
use resp::{parse_request, ProtocolError, RequestLimits};

#[derive(Debug, PartialEq)]
enum Outcome {
    Incomplete,
    Done { consumed: usize, args: Vec<Vec<u8>> },
    Failed(ProtocolError),
}

fn decode_one(buf: &[u8], limits: &RequestLimits) -> Outcome {
    let mut ranges: Vec<Range<usize>> = Vec::new();
    match parse_request(buf, limits, &mut ranges) {
        Ok(None) => {
            assert!(ranges.is_empty(), "ranges left behind on Ok(None)");
            Outcome::Incomplete
        }
        Err(e) => {
            assert!(ranges.is_empty(), "ranges left behind on error");
            assert!(e.0.starts_with("Protocol error: "), "{e}");
            Outcome::Failed(e)
        }
        Ok(Some(req)) => {
            let consumed = req.consumed();
            assert!(consumed > 0 && consumed <= buf.len(), "consumed {consumed}");
            let args = match req {
                Request::Multibulk { .. } => ranges
                    .iter()
                    .map(|r| {
                        assert!(r.start <= r.end && r.end <= consumed, "range {r:?}");
                        buf[r.clone()].to_vec()
                    })
                    .collect(),
                Request::Inline { args, .. } => {
                    assert!(ranges.is_empty());
                    args
                }
            };
            Outcome::Done { consumed, args }
        }
    }
}

/// Size errors depend on how much has arrived (as in Redis), so they are not prefix-stable.
fn size_dependent(o: &Outcome) -> bool {
    matches!(o, Outcome::Failed(e) if e.0.contains("too big"))
}

fuzz_target!(|data: &[u8]| {
    let [flags, cut, stream @ ..] = data else {
        return;
    };
    let limits = RequestLimits {
        max_bulk_len: if flags & 2 != 0 {
            1024
        } else {
            512 * 1024 * 1024
        },
        authenticated: flags & 1 == 0,
        from_primary: flags & 4 != 0,
    };
    // Decode the stream request by request, as the connection loop does.
    let mut pos = 0;
    while pos < stream.len() {
        let whole = decode_one(&stream[pos..], &limits);
        let cut_at = (*cut as usize * (stream.len() - pos)) / 255;
        let part = decode_one(&stream[pos..pos + cut_at], &limits);
        match (&part, &whole) {
            (Outcome::Incomplete, _) => {}
            (p, _) if size_dependent(p) => {}
            (p, w) => assert_eq!(p, w, "prefix of {cut_at} bytes decodes differently"),
        }
        if let Outcome::Done { consumed, .. } = whole {
            if cut_at >= consumed {
                assert_eq!(part, whole);
            }
            pos += consumed;
        } else {
            break;
        }
    }
    let _ = resp::split_inline_args(stream);
});
