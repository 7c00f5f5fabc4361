//! The `$EOF:<mark>` form of a full-resync payload (diskless sync): the primary announces a
//! random 40-character mark, streams the RDB without a length, and ends it with the mark.

/// Length of an EOF mark (Redis's `CONFIG_RUN_ID_SIZE`).
pub const MARK_LEN: usize = 40;

/// A new random mark: 40 hex digits, as Redis's `getRandomHexChars` makes them.
pub fn new_mark() -> String {
    crate::ids::new_replid()
}

/// The payload header a replica reads: `$EOF:<mark>` (`Some(mark)`) or `$<len>`
/// (`None` with the length). Anything else is a protocol error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadHeader {
    Eof(Vec<u8>),
    Len(usize),
}

/// Parses the line after `+FULLRESYNC` (without its CRLF).
pub fn parse_header(line: &str) -> Option<PayloadHeader> {
    let spec = line.strip_prefix('$')?;
    if let Some(mark) = spec.strip_prefix("EOF:") {
        // Redis takes the first 40 bytes after "EOF:" and requires at least that many.
        let mark = mark.as_bytes().get(..MARK_LEN)?;
        return Some(PayloadHeader::Eof(mark.to_vec()));
    }
    spec.parse().ok().map(PayloadHeader::Len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        let m = "a".repeat(40);
        assert_eq!(
            parse_header(&format!("$EOF:{m}")),
            Some(PayloadHeader::Eof(m.clone().into_bytes()))
        );
        assert_eq!(parse_header("$EOF:short"), None);
        assert_eq!(parse_header("$1234"), Some(PayloadHeader::Len(1234)));
        assert_eq!(parse_header("$-1"), None);
        assert_eq!(parse_header("+OK"), None);
        assert_eq!(new_mark().len(), MARK_LEN);
    }
}
