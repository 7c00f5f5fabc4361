use super::*;

type Parsed = Option<(Vec<Vec<u8>>, usize)>;

fn parse(buf: &[u8]) -> Result<Parsed, ProtocolError> {
    let mut ranges = Vec::new();
    Ok(
        parse_request(buf, &RequestLimits::default(), &mut ranges)?.map(|r| match r {
            Request::Multibulk { consumed } => (
                ranges.iter().map(|r| buf[r.clone()].to_vec()).collect(),
                consumed,
            ),
            Request::Inline { consumed, args } => (args, consumed),
        }),
    )
}

fn err(buf: &[u8]) -> String {
    parse(buf).unwrap_err().0
}

#[test]
fn multibulk_whole_and_split_at_every_byte() {
    let req = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n";
    let (args, n) = parse(req).unwrap().unwrap();
    assert_eq!(
        args,
        vec![b"SET".to_vec(), b"k".to_vec(), b"hello".to_vec()]
    );
    assert_eq!(n, req.len());
    for cut in 0..req.len() {
        assert_eq!(parse(&req[..cut]).unwrap(), None, "cut at {cut}");
    }
}

#[test]
fn multibulk_errors_match_redis() {
    assert_eq!(err(b"*x\r\n"), "Protocol error: invalid multibulk length");
    assert_eq!(
        err(b"*3000000000\r\n"),
        "Protocol error: invalid multibulk length"
    );
    assert_eq!(err(b"*1\r\nx\r\n"), "Protocol error: expected '$', got 'x'");
    assert_eq!(err(b"*1\r\n$-1\r\n"), "Protocol error: invalid bulk length");
    assert_eq!(
        err(b"*1\r\n$600000000\r\n"),
        "Protocol error: invalid bulk length"
    );
    let mut big = b"*".to_vec();
    big.extend(std::iter::repeat_n(b'1', 70_000));
    assert_eq!(err(&big), "Protocol error: too big mbulk count string");
}

#[test]
fn unauthenticated_limits() {
    let limits = RequestLimits {
        authenticated: false,
        ..Default::default()
    };
    let mut r = Vec::new();
    let e = parse_request(b"*11\r\n", &limits, &mut r).unwrap_err();
    assert_eq!(e.0, "Protocol error: unauthenticated multibulk length");
    let e = parse_request(b"*1\r\n$16385\r\n", &limits, &mut r).unwrap_err();
    assert_eq!(e.0, "Protocol error: unauthenticated bulk length");
}

#[test]
fn empty_multibulk_is_skipped() {
    assert_eq!(parse(b"*0\r\n").unwrap(), Some((vec![], 4)));
    assert_eq!(parse(b"*-1\r\n").unwrap(), Some((vec![], 5)));
}

#[test]
fn inline_commands() {
    let (args, n) = parse(b"SET k \"a b\\x41\\n\"\r\nGET").unwrap().unwrap();
    assert_eq!(
        args,
        vec![b"SET".to_vec(), b"k".to_vec(), b"a bA\n".to_vec()]
    );
    assert_eq!(n, 19);
    assert_eq!(parse(b"  \n").unwrap(), Some((vec![], 3)));
    assert_eq!(parse(b"GET k").unwrap(), None);
    assert_eq!(
        err(b"SET \"a\n"),
        "Protocol error: unbalanced quotes in request"
    );
    assert_eq!(
        err(b"SET \"a\"b\n"),
        "Protocol error: unbalanced quotes in request"
    );
    assert_eq!(
        split_inline_args(b"'it\\'s' x").unwrap(),
        vec![b"it's".to_vec(), b"x".to_vec()]
    );
}

proptest::proptest! {
    #[test]
    fn garbage_never_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
        let _ = parse(&data);
    }

    #[test]
    fn encoded_args_round_trip(args in proptest::collection::vec(
        proptest::collection::vec(proptest::num::u8::ANY, 0..40), 1..8)) {
        let mut buf = format!("*{}\r\n", args.len()).into_bytes();
        for a in &args {
            buf.extend(format!("${}\r\n", a.len()).bytes());
            buf.extend(a);
            buf.extend(b"\r\n");
        }
        let (got, n) = parse(&buf).unwrap().unwrap();
        proptest::prop_assert_eq!(got, args);
        proptest::prop_assert_eq!(n, buf.len());
    }
}
