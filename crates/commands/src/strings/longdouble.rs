//! `long double` addition for INCRBYFLOAT (and HINCRBYFLOAT): a safe wrapper over the C shim
//! in `longdouble.c`.
//!
//! Why C: Redis adds in C `long double` (x87 80-bit on x86-64), reads with `strtold` and prints
//! with `%.17Lf` minus trailing zeros. Rust has no extended-precision float and no crate
//! implements x87 arithmetic with glibc's exact decimal conversion, while f64 gives different
//! strings (`INCRBYFLOAT k 10.5` then `0.1` must reply `10.6`, which f64 prints as
//! `10.59999999999999964`). Three libc calls in C reproduce Redis byte for byte.

use std::ffi::{c_char, c_int};

use crate::errors::CmdError;

/// Longest text Redis reads or writes for a long double (`MAX_LONG_DOUBLE_CHARS`).
pub const MAX_CHARS: usize = 5 * 1024;

extern "C" {
    fn redoubt_ld_incr(
        cur: *const c_char,
        curlen: usize,
        incr: *const c_char,
        incrlen: usize,
        out: *mut c_char,
        outcap: usize,
        outlen: *mut usize,
    ) -> c_int;
}

/// The formatted sum, held on the stack.
pub struct Sum {
    buf: [u8; MAX_CHARS],
    len: usize,
}

impl Sum {
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// `cur + incr` as Redis's INCRBYFLOAT computes and prints it; `cur` is `None` for a missing
/// key (read as 0). Errors: either text not a valid float, or a NaN/infinite sum.
pub fn add(cur: Option<&[u8]>, incr: &[u8]) -> Result<Sum, CmdError> {
    let mut sum = Sum {
        buf: [0; MAX_CHARS],
        len: 0,
    };
    let (cp, cl) = match cur {
        Some(c) => (c.as_ptr() as *const c_char, c.len()),
        None => (std::ptr::null(), 0),
    };
    // SAFETY: every pointer is valid for the length passed with it; the shim copies inputs
    // into its own NUL-terminated buffer and writes at most `outcap` bytes to `out`.
    let rc = unsafe {
        redoubt_ld_incr(
            cp,
            cl,
            incr.as_ptr() as *const c_char,
            incr.len(),
            sum.buf.as_mut_ptr() as *mut c_char,
            sum.buf.len(),
            &mut sum.len,
        )
    };
    match rc {
        0 if sum.len <= MAX_CHARS => Ok(sum),
        2 => Err(CmdError::NanOrInf),
        _ => Err(CmdError::NotFloat),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(cur: Option<&str>, incr: &str) -> Result<String, CmdError> {
        add(cur.map(str::as_bytes), incr.as_bytes())
            .map(|r| String::from_utf8(r.as_bytes().to_vec()).unwrap())
    }

    #[test]
    fn sums_print_like_redis() {
        assert_eq!(s(Some("10.5"), "0.1").unwrap(), "10.6");
        assert_eq!(s(None, "1").unwrap(), "1");
        assert_eq!(s(Some("5.0e3"), "2.0e2").unwrap(), "5200");
        assert_eq!(s(Some("1"), "-1").unwrap(), "0");
        assert_eq!(s(Some("0"), "-1e-30").unwrap(), "0");
        assert_eq!(s(Some("3"), "-5.5").unwrap(), "-2.5");
        assert_eq!(s(Some("0x10"), "1").unwrap(), "17");
    }

    #[test]
    fn invalid_inputs_and_overflow() {
        assert_eq!(s(Some("abc"), "1"), Err(CmdError::NotFloat));
        assert_eq!(s(Some("1"), " 1"), Err(CmdError::NotFloat));
        assert_eq!(s(Some("1"), "1 "), Err(CmdError::NotFloat));
        assert_eq!(s(Some("1"), ""), Err(CmdError::NotFloat));
        assert_eq!(s(Some("1"), "nan"), Err(CmdError::NotFloat));
        assert_eq!(s(Some("1"), "1e99999"), Err(CmdError::NotFloat));
        assert_eq!(s(Some("1"), "inf"), Err(CmdError::NanOrInf));
        let big = "1".repeat(MAX_CHARS);
        assert_eq!(s(Some("1"), &big), Err(CmdError::NotFloat));
    }

    #[test]
    fn huge_sums_fit_the_buffer() {
        let r = s(Some("1e4000"), "1e4000").unwrap();
        assert!(r.len() > 4000 && !r.contains('.'));
    }
}
