use super::manifest::{split_args, FileType, Manifest};
use super::*;

fn reader(b: &[u8]) -> CommandReader<&[u8]> {
    CommandReader::new(Counted::new(b))
}

fn cmd(args: &[&str]) -> Item {
    Item::Command(args.iter().map(|a| a.as_bytes().to_vec()).collect())
}

#[test]
fn reads_commands_annotations_and_offsets() {
    let data = b"#TS:1700000000\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$0\r\n\r\n";
    let mut r = reader(data);
    assert_eq!(
        r.next_item().unwrap(),
        Some(Item::Annotation(b"#TS:1700000000".to_vec()))
    );
    assert_eq!(r.next_item().unwrap(), Some(cmd(&["SELECT", "0"])));
    assert_eq!(r.pos(), 16 + 23);
    assert_eq!(r.next_item().unwrap(), Some(cmd(&["SET", "a", ""])));
    assert_eq!(r.pos(), data.len() as u64);
    assert!(r.next_item().unwrap().is_none());
}

#[test]
fn torn_tails_are_truncation() {
    let whole = b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n";
    for cut in 1..whole.len() {
        let mut r = reader(&whole[..cut]);
        assert!(
            matches!(r.next_item(), Err(ReadError::Truncated)),
            "cut at {cut}"
        );
    }
    // A declared length longer than the rest of the file.
    let mut r = reader(b"*1\r\n$100\r\nabc\r\n");
    assert!(matches!(r.next_item(), Err(ReadError::Truncated)));
}

#[test]
fn malformed_input_is_a_format_error() {
    for bad in [
        &b"xyz\r\n"[..],
        b"*0\r\n",
        b"*-1\r\n",
        b"*\r\n",
        b"*1\r\nSET\r\n",
        b"*1\r\n$-5\r\nabc\r\n",
        b"\r\n",
    ] {
        let mut r = reader(bad);
        assert!(
            matches!(r.next_item(), Err(ReadError::Format)),
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn huge_declared_lengths_do_not_allocate() {
    let mut r = reader(b"*1\r\n$999999999999\r\nab");
    assert!(matches!(r.next_item(), Err(ReadError::Truncated)));
    let mut r = reader(b"*99999999999\r\n$1\r\na\r\n");
    assert!(matches!(r.next_item(), Err(ReadError::Truncated)));
}

#[test]
fn c_atol_reads_like_strtol() {
    assert_eq!(c_atol(b"12\r\n"), 12);
    assert_eq!(c_atol(b" -3x"), -3);
    assert_eq!(c_atol(b"x"), 0);
    assert_eq!(c_atol(b"99999999999999999999999"), i64::MAX);
}

#[test]
fn manifest_round_trip_and_rewrite_bookkeeping() {
    let text = b"file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.1.incr.aof seq 1 type h\nfile appendonly.aof.2.incr.aof seq 2 type i\nfile appendonly.aof.3.incr.aof seq 3 type i\n";
    let mut m = Manifest::parse(text).unwrap();
    assert_eq!(m.format().as_bytes(), text);
    assert_eq!((m.base_seq, m.incr_seq), (2, 3));
    assert_eq!(m.new_incr("appendonly.aof"), "appendonly.aof.4.incr.aof");
    assert_eq!(
        m.new_base("appendonly.aof", true),
        "appendonly.aof.3.base.rdb"
    );
    m.mark_rewritten_incr_as_history(true);
    assert_eq!(
        m.format(),
        "file appendonly.aof.3.base.rdb seq 3 type b\n\
         file appendonly.aof.2.incr.aof seq 2 type h\n\
         file appendonly.aof.3.incr.aof seq 3 type h\n\
         file appendonly.aof.2.base.rdb seq 2 type h\n\
         file appendonly.aof.1.incr.aof seq 1 type h\n\
         file appendonly.aof.4.incr.aof seq 4 type i\n"
    );
    assert_eq!(m.incr[0].kind, FileType::Incr);
}

#[test]
fn manifest_errors_use_redis_messages() {
    let cases: &[(&[u8], &str)] = &[
        (b"", "Found an empty AOF manifest"),
        (
            b"file a seq 1 type b",
            "The AOF manifest file contains too long line",
        ),
        (b"\n", "Invalid AOF manifest file format"),
        (b"file a seq 1\n", "Invalid AOF manifest file format"),
        (
            b"file a/b seq 1 type b\n",
            "File can't be a path, just a filename",
        ),
        (b"file a seq 0 type b\n", "Invalid AOF manifest file format"),
        (
            b"file a seq 1 type b\nfile b seq 2 type b\n",
            "Found duplicate base file information",
        ),
        (
            b"file a seq 2 type i\nfile b seq 2 type i\n",
            "Found a non-monotonic sequence number",
        ),
        (b"file a seq 1 type x\n", "Unknown AOF file type"),
    ];
    for (text, msg) in cases {
        let e = Manifest::parse(text).unwrap_err();
        assert_eq!(e.msg, *msg, "{:?}", String::from_utf8_lossy(text));
    }
    // Comments are skipped and counted.
    let e = Manifest::parse(b"# hi\nfile a seq 1 type z\n").unwrap_err();
    assert_eq!(e.line, Some((2, "file a seq 1 type z".into())));
}

#[test]
fn quoted_names_round_trip() {
    let mut m = Manifest::default();
    m.new_incr("my file\"x");
    let text = m.format();
    assert_eq!(text, "file \"my file\\\"x.1.incr.aof\" seq 1 type i\n");
    let back = Manifest::parse(text.as_bytes()).unwrap();
    assert_eq!(back.incr[0].name, "my file\"x.1.incr.aof");
    assert_eq!(
        split_args(b"a \"b\\x41\\n\" 'c\\'d'").unwrap(),
        vec![b"a".to_vec(), b"bA\n".to_vec(), b"c'd".to_vec()]
    );
    assert!(split_args(b"\"open").is_none());
    assert!(split_args(b"\"a\"b").is_none());
}
