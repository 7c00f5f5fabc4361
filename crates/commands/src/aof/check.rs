//! `redoubt check-aof [--fix|--truncate-to-timestamp <unix time>] <file.manifest|file.aof>`:
//! Redis 7.0's redis-check-aof. It reads a manifest and checks its base and incremental
//! files in order, or checks one old-style file (with or without an RDB preamble), printing
//! what is wrong and at which offset in redis-check-aof's words. `--fix` cuts the last file
//! back to its last whole command (outside MULTI) after asking, as redis-check-aof does; a
//! broken file that is not the last one is refused. The exit code is 0 when the files are
//! valid (or were fixed), 1 otherwise.
//!
//! The reading rules are the checker's own, stricter than the loader's: every length line
//! must end in `\r\n`, every argument too, MULTI must not nest and EXEC must close one.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use persist::aof::manifest::Manifest;
use persist::aof::Counted;

/// How one file checked out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Ok,
    Empty,
    Truncated,
    TimestampTruncated,
}

/// A failure that ends the tool with exit code 1 (its message is already printed).
struct Exit;

/// The check's state across files (Redis keeps the line count across them too).
struct Checker<'a> {
    out: &'a mut dyn Write,
    input: &'a mut dyn BufRead,
    fix: bool,
    to_timestamp: i64,
    line: i64,
    error: String,
    epos: u64,
}

/// Runs the tool; returns the process exit code. `argv0` names it in the usage line.
pub fn main(argv0: &str, args: &[String]) -> i32 {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let stdin = io::stdin();
    let mut input = stdin.lock();
    run(argv0, args, &mut out, &mut input)
}

/// [`main`] over any output and answer stream (tests).
pub fn run(argv0: &str, args: &[String], out: &mut dyn Write, input: &mut dyn BufRead) -> i32 {
    let mut c = Checker {
        out,
        input,
        fix: false,
        to_timestamp: 0,
        line: 1,
        error: String::new(),
        epos: 0,
    };
    let code = match c.start(argv0, args) {
        Ok(()) => 0,
        Err(Exit) => 1,
    };
    let _ = c.out.flush();
    code
}

macro_rules! say {
    ($c:expr, $($t:tt)*) => {{ let _ = write!($c.out, $($t)*); }};
}

impl Checker<'_> {
    fn start(&mut self, argv0: &str, args: &[String]) -> Result<(), Exit> {
        let path = match args {
            [p] => p.clone(),
            [flag, p] if flag == "--fix" => {
                self.fix = true;
                p.clone()
            }
            [flag, ts, p] if flag == "--truncate-to-timestamp" => {
                match ts.parse::<i64>() {
                    Ok(t) => self.to_timestamp = t,
                    Err(_) => {
                        say!(self, "Invalid timestamp, aborting...\n");
                        return Err(Exit);
                    }
                }
                p.clone()
            }
            _ => {
                say!(self, "Usage: {argv0} [--fix|--truncate-to-timestamp $timestamp] <file.manifest|file.aof>\n");
                return Err(Exit);
            }
        };
        let path = PathBuf::from(path);
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if self.is_manifest(&path)? {
            self.multi_part(&dir, &path)
        } else {
            let preamble = self.is_rdb(&path)?;
            say!(self, "Start checking Old-Style AOF\n");
            let shown = path.display().to_string();
            let r = self.single(&shown, &path, true, preamble)?;
            self.print_style(r, &shown, "AOF");
            Ok(())
        }
    }

    fn open_or_exit(&mut self, path: &Path) -> Result<File, Exit> {
        File::open(path).map_err(|e| {
            let why = crate::config_table::strerror(&e);
            say!(self, "Cannot open file {}: {why}\n", path.display());
            Exit
        })
    }

    fn is_manifest(&mut self, path: &Path) -> Result<bool, Exit> {
        let f = self.open_or_exit(path)?;
        let mut found = false;
        for line in BufReader::new(f).split(b'\n') {
            let Ok(line) = line else {
                say!(self, "Cannot read file: {}\n", path.display());
                return Err(Exit);
            };
            if line.starts_with(b"#") {
                continue;
            }
            if line.starts_with(b"file") {
                found = true;
            }
        }
        Ok(found)
    }

    fn is_rdb(&mut self, path: &Path) -> Result<bool, Exit> {
        let mut f = self.open_or_exit(path)?;
        let mut head = [0u8; 8];
        let n = read_full(&mut f, &mut head).unwrap_or(0);
        Ok(n >= 8 && persist::aof::is_rdb(&head))
    }

    fn multi_part(&mut self, dir: &Path, manifest: &Path) -> Result<(), Exit> {
        say!(self, "Start checking Multi Part AOF\n");
        let text = std::fs::read(manifest).map_err(|e| {
            let why = crate::config_table::strerror(&e);
            say!(
                self,
                "Fatal error: can't open the AOF manifest file {} for reading: {why}\n",
                manifest.display()
            );
            Exit
        })?;
        let m = Manifest::parse(&text).map_err(|e| {
            say!(self, "\n*** FATAL AOF MANIFEST FILE ERROR ***\n\n");
            if let Some((n, l)) = &e.line {
                say!(
                    self,
                    "Reading the manifest file, at line {n}\n\n>>> '{l}'\n\n"
                );
            }
            say!(self, "{}\n\n", e.msg);
            Exit
        })?;
        let total = usize::from(m.base.is_some()) + m.incr.len();
        let mut seen = 0;
        if let Some(b) = &m.base {
            seen += 1;
            let p = dir.join(&b.name);
            let preamble = self.is_rdb(&p)?;
            say!(
                self,
                "Start to check BASE AOF ({} format).\n",
                if preamble { "RDB" } else { "RESP" }
            );
            let r = self.single(&b.name, &p, seen == total, preamble)?;
            self.print_style(r, &b.name, "BASE AOF");
        }
        if !m.incr.is_empty() {
            say!(self, "Start to check INCR files.\n");
            for f in &m.incr {
                seen += 1;
                let r = self.single(&f.name, &dir.join(&f.name), seen == total, false)?;
                self.print_style(r, &f.name, "INCR AOF");
            }
        }
        say!(self, "All AOF files and manifest are valid\n");
        Ok(())
    }

    fn print_style(&mut self, r: Outcome, name: &str, kind: &str) {
        match r {
            Outcome::Ok => say!(self, "{kind} {name} is valid\n"),
            Outcome::Empty => say!(self, "{kind} {name} is empty\n"),
            Outcome::Truncated => say!(self, "Successfully truncated AOF {name}\n"),
            Outcome::TimestampTruncated => say!(
                self,
                "Successfully truncated AOF {name} to timestamp {}\n",
                self.to_timestamp
            ),
        }
    }

    fn set_error(&mut self, msg: String) {
        self.error = format!("0x{:16x}: {msg}", self.epos);
    }

    /// Checks one file (Redis's `checkSingleAof`).
    fn single(
        &mut self,
        name: &str,
        path: &Path,
        last: bool,
        preamble: bool,
    ) -> Result<Outcome, Exit> {
        let file = match OpenOptions::new().read(true).write(true).open(path) {
            Ok(f) => f,
            Err(e) => {
                let why = crate::config_table::strerror(&e);
                say!(
                    self,
                    "Cannot open file {}: {why}, aborting...\n",
                    path.display()
                );
                return Err(Exit);
            }
        };
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        if size == 0 {
            return Ok(Outcome::Empty);
        }
        let mut r = Stream {
            r: Counted::new(BufReader::with_capacity(
                1 << 16,
                file.try_clone().map_err(|_| Exit)?,
            )),
            eof: false,
        };
        if preamble {
            if !self.check_rdb(name, &mut r) {
                say!(self, "RDB preamble of AOF file is not sane, aborting.\n");
                return Err(Exit);
            }
            say!(self, "RDB preamble is OK, proceeding with AOF tail...\n");
        }
        let mut pos = 0u64;
        let mut multi = 0i64;
        loop {
            if multi == 0 {
                pos = r.pos();
            }
            let first = match r.peek() {
                Ok(Some(b)) => b,
                Ok(None) => break,
                Err(_) => {
                    say!(self, "Failed to read from AOF {name}, aborting...\n");
                    return Err(Exit);
                }
            };
            if first == b'#' {
                if !self.annotation(&mut r, &file, &path.display().to_string(), last)? {
                    return Ok(Outcome::TimestampTruncated);
                }
            } else if first == b'*' {
                if !self.command(&mut r, &path.display().to_string(), &mut multi) {
                    break;
                }
            } else {
                say!(self, "AOF {name} format error\n");
                break;
            }
        }
        if r.eof && multi != 0 && self.error.is_empty() {
            self.set_error("Reached EOF before reading EXEC for MULTI".into());
        }
        if !self.error.is_empty() {
            say!(self, "{}\n", self.error);
        }
        let diff = size.saturating_sub(pos);
        if diff == 0 && self.to_timestamp != 0 {
            say!(
                self,
                "Truncate nothing in AOF {name} to timestamp {}\n",
                self.to_timestamp
            );
            return Ok(Outcome::Ok);
        }
        say!(
            self,
            "AOF analyzed: filename={name}, size={size}, ok_up_to={pos}, ok_up_to_line={}, diff={diff}\n",
            self.line
        );
        if diff == 0 {
            return Ok(Outcome::Ok);
        }
        if !self.fix {
            say!(
                self,
                "AOF {name} is not valid. Use the --fix option to try fixing it.\n"
            );
            return Err(Exit);
        }
        if !last {
            say!(
                self,
                "Failed to truncate AOF {name} because it is not the last file\n"
            );
            return Err(Exit);
        }
        say!(
            self,
            "This will shrink the AOF {name} from {size} bytes, with {diff} bytes, to {pos} bytes\n"
        );
        say!(self, "Continue? [y/N]: ");
        let _ = self.out.flush();
        let mut answer = String::new();
        let yes = self.input.read_line(&mut answer).is_ok()
            && answer
                .as_bytes()
                .first()
                .is_some_and(|c| c.eq_ignore_ascii_case(&b'y'));
        if !yes {
            say!(self, "Aborting...\n");
            return Err(Exit);
        }
        if file.set_len(pos).is_err() {
            say!(self, "Failed to truncate AOF {name}\n");
            return Err(Exit);
        }
        Ok(Outcome::Truncated)
    }

    /// An RDB preamble: loaded into a scratch keyspace, as redis-check-rdb would walk it.
    fn check_rdb(&mut self, name: &str, r: &mut Stream) -> bool {
        say!(self, "[offset 0] Checking RDB file {name}\n");
        let mut ks = keyspace::Keyspace::new(256);
        match persist::rdb::load(&mut r.r, &mut ks, None) {
            Ok(info) => {
                let now = super::wall_ms();
                let (mut expires, mut expired) = (0u64, 0u64);
                for db in ks.dbs() {
                    expires += db.expires_len() as u64;
                    for (k, _) in db.dict().iter() {
                        if db.expire_of(k).is_some_and(|at| at < now) {
                            expired += 1;
                        }
                    }
                }
                let at = r.pos();
                say!(self, "[offset {at}] \\o/ RDB looks OK! \\o/\n");
                say!(self, "[info] {} keys read\n", info.keys);
                say!(self, "[info] {expires} expires\n");
                say!(self, "[info] {expired} already expired\n");
                true
            }
            Err(e) => {
                let at = r.pos();
                say!(self, "--- RDB ERROR DETECTED ---\n[offset {at}] {e}\n");
                false
            }
        }
    }

    /// A `#` line (Redis's `processAnnotations`): only `#TS:` matters, with
    /// `--truncate-to-timestamp`. False once the file was cut there.
    fn annotation(
        &mut self,
        r: &mut Stream,
        file: &File,
        shown: &str,
        last: bool,
    ) -> Result<bool, Exit> {
        self.epos = r.pos();
        let Some(line) = r.fgets(persist::aof::LINE_MAX).ok().flatten() else {
            say!(
                self,
                "Failed to read annotations from AOF {shown}, aborting...\n"
            );
            return Err(Exit);
        };
        if self.to_timestamp == 0 || !line.starts_with(b"#TS:") {
            return Ok(true);
        }
        let digits: &[u8] = &line[4..];
        let end = digits
            .iter()
            .position(|c| !c.is_ascii_digit())
            .unwrap_or(digits.len());
        let ts = std::str::from_utf8(&digits[..end])
            .ok()
            .and_then(|s| s.parse::<i64>().ok());
        let Some(ts) = ts.filter(|_| digits.get(end) == Some(&b'\r')) else {
            say!(self, "Invalid timestamp annotation\n");
            return Err(Exit);
        };
        if ts <= self.to_timestamp {
            return Ok(true);
        }
        if self.epos == 0 {
            say!(
                self,
                "AOF {shown} has nothing before timestamp {}, aborting...\n",
                self.to_timestamp
            );
            return Err(Exit);
        }
        if !last {
            say!(self, "Failed to truncate AOF {shown} to timestamp {} to offset {} because it is not the last file.\n", self.to_timestamp, self.epos);
            say!(self, "If you insist, please delete all files after this file according to the manifest file and delete the corresponding records in manifest file manually. Then re-run redis-check-aof.\n");
            return Err(Exit);
        }
        if file.set_len(self.epos).is_err() {
            say!(
                self,
                "Failed to truncate AOF {shown} to timestamp {}\n",
                self.to_timestamp
            );
            return Err(Exit);
        }
        Ok(false)
    }

    /// One `*` command (Redis's `processRESP`); false with the error recorded.
    fn command(&mut self, r: &mut Stream, shown: &str, multi: &mut i64) -> bool {
        let Some(argc) = self.read_long(r, b'*') else {
            return false;
        };
        for i in 0..argc.max(0) {
            let Some(s) = self.read_string(r) else {
                return false;
            };
            if i != 0 {
                continue;
            }
            if s.eq_ignore_ascii_case(b"multi") {
                *multi += 1;
                if *multi > 1 {
                    self.set_error(format!("Unexpected MULTI in AOF {shown}"));
                    return false;
                }
            } else if s.eq_ignore_ascii_case(b"exec") {
                *multi -= 1;
                if *multi != 0 {
                    self.set_error(format!("Unexpected EXEC in AOF {shown}"));
                    return false;
                }
            }
        }
        true
    }

    fn consume_newline(&mut self, b: &[u8]) -> bool {
        if b.starts_with(b"\r\n") {
            self.line += 1;
            return true;
        }
        let c = |i: usize| b.get(i).map_or(0, |&c| c as i8 as i32);
        let hex = |v: i32| format!("{:02x}", v as u32);
        self.set_error(format!("Expected \\r\\n, got: {}{}", hex(c(0)), hex(c(1))));
        false
    }

    fn read_long(&mut self, r: &mut Stream, prefix: u8) -> Option<i64> {
        self.epos = r.pos();
        let line = r.fgets(128).ok().flatten()?;
        if line[0] != prefix {
            self.set_error(format!(
                "Expected prefix '{}', got: '{}'",
                prefix as char, line[0] as char
            ));
            return None;
        }
        let (n, used) = strtol(&line[1..]);
        self.consume_newline(&line[1 + used..]).then_some(n)
    }

    fn read_string(&mut self, r: &mut Stream) -> Option<Vec<u8>> {
        let len = self.read_long(r, b'$')?;
        if !(0..=i64::MAX - 2).contains(&len) {
            self.set_error(format!(
                "Expected to read string of {len} bytes, which is not in the suitable range"
            ));
            return None;
        }
        let want = len as u64 + 2;
        self.epos = r.pos();
        let (data, got) = r.read_up_to(want);
        if got < want {
            self.set_error(format!("Expected to read {want} bytes, got {got} bytes"));
            return None;
        }
        let tail = if data.len() >= 2 {
            &data[data.len() - 2..]
        } else {
            &data[..]
        };
        let tail = tail.to_vec();
        if !self.consume_newline(&tail) {
            return None;
        }
        let mut s = data;
        s.truncate(s.len().saturating_sub(2));
        Some(s)
    }
}

/// The file being checked, with C stdio's end-of-file flag.
struct Stream {
    r: Counted<BufReader<File>>,
    eof: bool,
}

impl Stream {
    fn pos(&self) -> u64 {
        self.r.pos()
    }

    fn peek(&mut self) -> io::Result<Option<u8>> {
        let b = self.r.fill_buf()?;
        if b.is_empty() {
            self.eof = true;
            return Ok(None);
        }
        Ok(Some(b[0]))
    }

    /// `fgets` with a `size`-byte buffer: `None` at the end of input with nothing read.
    fn fgets(&mut self, size: usize) -> io::Result<Option<Vec<u8>>> {
        let mut line = Vec::new();
        while line.len() < size - 1 {
            let b = self.r.fill_buf()?;
            if b.is_empty() {
                self.eof = true;
                break;
            }
            let room = (size - 1 - line.len()).min(b.len());
            match b[..room].iter().position(|&c| c == b'\n') {
                Some(i) => {
                    line.extend_from_slice(&b[..=i]);
                    self.r.consume(i + 1);
                    return Ok(Some(line));
                }
                None => {
                    line.extend_from_slice(&b[..room]);
                    self.r.consume(room);
                }
            }
        }
        Ok((!line.is_empty()).then_some(line))
    }

    /// Reads up to `n` bytes; keeps at most the first 64 KB and the last two, so a huge
    /// declared length costs no memory. Returns (kept bytes, bytes read).
    fn read_up_to(&mut self, n: u64) -> (Vec<u8>, u64) {
        const KEEP: usize = 64 * 1024;
        let mut kept = Vec::new();
        let mut last2 = [0u8; 2];
        let mut got = 0u64;
        while got < n {
            let b = match self.r.fill_buf() {
                Ok(b) if !b.is_empty() => b,
                _ => {
                    self.eof = true;
                    break;
                }
            };
            let take = (b.len() as u64).min(n - got) as usize;
            if kept.len() < KEEP {
                let room = (KEEP - kept.len()).min(take);
                kept.extend_from_slice(&b[..room]);
            }
            for &c in &b[..take] {
                last2 = [last2[1], c];
            }
            self.r.consume(take);
            got += take as u64;
        }
        if got as usize > kept.len() && got >= 2 {
            // A long argument: what matters is that it ends in \r\n.
            kept.truncate(KEEP.saturating_sub(2).min(kept.len()));
            kept.extend_from_slice(&last2);
        }
        (kept, got)
    }
}

/// C's `strtol(s, &end, 10)`: the value and how many bytes it used (0 when no digits).
fn strtol(s: &[u8]) -> (i64, usize) {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | 0x0b | 0x0c) {
        i += 1;
    }
    let sign_at = i;
    if matches!(s.get(i), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits_at = i;
    while s.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    if i == digits_at {
        return (0, 0);
    }
    (persist::aof::c_atol(&s[sign_at..i]), i)
}

fn read_full(f: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests;
