//! Log lines in Redis's format (`pid:R dd Mon yyyy hh:mm:ss.mmm * message`), shared by the
//! server and the sentinel so operators' log tooling reads both. Depends on nothing.

use std::io::Write;

/// Appends `line` to `logfile`, or writes it to standard output when `logfile` is empty.
pub fn write(logfile: &str, line: &str) {
    if logfile.is_empty() {
        let _ = std::io::stdout().write_all(line.as_bytes());
    } else if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(logfile)
    {
        let _ = f.write_all(line.as_bytes());
    }
}

/// One formatted line: `role` is Redis's role letter (M primary, S replica, X sentinel, C
/// child…), `mark` its level mark (`.` debug, `-` verbose, `*` notice, `#` warning).
pub fn format(role: char, mark: char, unix_ms: u64, msg: &str) -> String {
    format!(
        "{}:{role} {} {mark} {msg}\n",
        std::process::id(),
        timestamp(unix_ms)
    )
}

/// `dd Mon yyyy hh:mm:ss.mmm`, UTC.
pub fn timestamp(ms: u64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let tod = secs % 86_400;
    // Days since the epoch to a civil date (the proleptic Gregorian calendar, in 400-year
    // eras of 146,097 days whose years start on March 1st).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{day:02} {} {year} {:02}:{:02}:{:02}.{:03}",
        MONTHS[(month - 1) as usize],
        tod / 3600,
        tod % 3600 / 60,
        tod % 60,
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamp_is_redis_style() {
        // 2024-02-29 13:14:15.678 UTC
        assert_eq!(
            super::timestamp(1_709_212_455_678),
            "29 Feb 2024 13:14:15.678"
        );
        assert_eq!(super::timestamp(0), "01 Jan 1970 00:00:00.000");
    }
}
