//! CRC-64/Jones as Redis computes it (reflected, polynomial 0xad93d23594c935a9, init 0, no
//! final xor): the checksum after a DUMP payload and at the end of an RDB file, stored
//! little-endian.

use crc::{Crc, Digest, CRC_64_REDIS};

const JONES: Crc<u64> = Crc::<u64>::new(&CRC_64_REDIS);

/// The checksum of `data` in one go.
pub fn crc64(data: &[u8]) -> u64 {
    JONES.checksum(data)
}

/// A running checksum, for data that arrives in pieces (an RDB file streamed to disk or to a
/// replica).
pub struct Crc64(Digest<'static, u64>);

impl Crc64 {
    pub fn new() -> Self {
        Crc64(JONES.digest())
    }

    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    /// The checksum of everything fed so far.
    pub fn value(&self) -> u64 {
        self.0.clone().finalize()
    }
}

impl Default for Crc64 {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_check_value() {
        // Redis's own crc64 self-test vector.
        assert_eq!(crc64(b"123456789"), 0xe9c6d914c4b8d9ca);
        let mut c = Crc64::new();
        c.update(b"1234");
        c.update(b"56789");
        assert_eq!(c.value(), 0xe9c6d914c4b8d9ca);
    }
}
