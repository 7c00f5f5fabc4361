//! The multi-part AOF manifest (Redis 7.0): one line per file,
//! `file <name> seq <n> type <b|h|i>`, the base first, then history files, then the
//! incremental files in sequence order. Names that need quoting are written the way Redis's
//! `sdscatrepr` writes them and read back with `sdssplitargs` rules.
//!
//! Parsing applies Redis's checks with its messages, so a manifest Redis refuses is refused
//! here with the same words; naming and the bookkeeping a rewrite does (new base, new incr,
//! rewritten files becoming history) live here too, as pure operations on the value.

/// What a listed file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Base,
    History,
    Incr,
}

impl FileType {
    pub fn letter(self) -> char {
        match self {
            FileType::Base => 'b',
            FileType::History => 'h',
            FileType::Incr => 'i',
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    pub name: String,
    pub seq: i64,
    pub kind: FileType,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    pub base: Option<FileInfo>,
    pub history: Vec<FileInfo>,
    pub incr: Vec<FileInfo>,
    pub base_seq: i64,
    pub incr_seq: i64,
}

/// Why a manifest was refused: Redis's message, and the line it was reading if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError {
    pub msg: &'static str,
    /// (line number, the trimmed line)
    pub line: Option<(usize, String)>,
}

/// The longest manifest line Redis reads (`MANIFEST_MAX_LINE`).
const MAX_LINE: usize = 1024;

impl Manifest {
    /// Parses a manifest file's bytes.
    pub fn parse(text: &[u8]) -> Result<Manifest, ManifestError> {
        let mut m = Manifest::default();
        let mut maxseq = 0i64;
        let mut linenum = 0usize;
        let mut rest = text;
        if rest.is_empty() {
            return Err(err("Found an empty AOF manifest", None));
        }
        while !rest.is_empty() {
            // One `fgets` of MAX_LINE bytes.
            let cut = rest.len().min(MAX_LINE);
            let (raw, next) = match rest[..cut].iter().position(|&c| c == b'\n') {
                Some(i) => (&rest[..=i], &rest[i + 1..]),
                None => (&rest[..cut], &rest[cut..]),
            };
            rest = next;
            linenum += 1;
            if raw.first() == Some(&b'#') {
                continue;
            }
            let trimmed = trim(raw);
            let shown = String::from_utf8_lossy(trimmed).into_owned();
            let at = || Some((linenum, shown.clone()));
            if !raw.contains(&b'\n') {
                return Err(err("The AOF manifest file contains too long line", at()));
            }
            if trimmed.is_empty() {
                return Err(err("Invalid AOF manifest file format", at()));
            }
            let argv = match split_args(trimmed) {
                Some(a) if a.len() >= 6 && a.len() % 2 == 0 => a,
                _ => return Err(err("Invalid AOF manifest file format", at())),
            };
            let (mut name, mut seq, mut kind) = (None, 0i64, None);
            for pair in argv.chunks(2) {
                let key = String::from_utf8_lossy(&pair[0]).to_ascii_lowercase();
                match key.as_str() {
                    "file" => {
                        if pair[1].contains(&b'/') {
                            return Err(err("File can't be a path, just a filename", at()));
                        }
                        name = Some(String::from_utf8_lossy(&pair[1]).into_owned());
                    }
                    "seq" => seq = super::c_atol(&pair[1]),
                    "type" => kind = pair[1].first().copied(),
                    _ => {}
                }
            }
            let (Some(name), Some(kind)) = (name, kind) else {
                return Err(err("Invalid AOF manifest file format", at()));
            };
            if seq == 0 {
                return Err(err("Invalid AOF manifest file format", at()));
            }
            match kind {
                b'b' => {
                    if m.base.is_some() {
                        return Err(err("Found duplicate base file information", at()));
                    }
                    m.base_seq = seq;
                    m.base = Some(FileInfo {
                        name,
                        seq,
                        kind: FileType::Base,
                    });
                }
                b'h' => m.history.push(FileInfo {
                    name,
                    seq,
                    kind: FileType::History,
                }),
                b'i' => {
                    if seq <= maxseq {
                        return Err(err("Found a non-monotonic sequence number", at()));
                    }
                    maxseq = seq;
                    m.incr_seq = seq;
                    m.incr.push(FileInfo {
                        name,
                        seq,
                        kind: FileType::Incr,
                    });
                }
                _ => return Err(err("Unknown AOF file type", at())),
            }
        }
        Ok(m)
    }

    /// The manifest's text: base, history, incremental files.
    pub fn format(&self) -> String {
        let mut s = String::new();
        for f in self.base.iter().chain(&self.history).chain(&self.incr) {
            s.push_str(&format!(
                "file {} seq {} type {}\n",
                repr_if_needed(&f.name),
                f.seq,
                f.kind.letter()
            ));
        }
        s
    }

    /// Whether no data file is listed (history files hold nothing to load).
    pub fn is_empty(&self) -> bool {
        self.base.is_none() && self.incr.is_empty()
    }

    /// Names a new base file (`<prefix>.<seq>.base.rdb|aof`) and turns the current base, if
    /// any, into the first history file.
    pub fn new_base(&mut self, prefix: &str, rdb: bool) -> String {
        if let Some(mut old) = self.base.take() {
            old.kind = FileType::History;
            self.history.insert(0, old);
        }
        self.base_seq += 1;
        let name = format!(
            "{prefix}.{}.base.{}",
            self.base_seq,
            if rdb { "rdb" } else { "aof" }
        );
        self.base = Some(FileInfo {
            name: name.clone(),
            seq: self.base_seq,
            kind: FileType::Base,
        });
        name
    }

    /// Names a new incremental file (`<prefix>.<seq>.incr.aof`) and lists it last.
    pub fn new_incr(&mut self, prefix: &str) -> String {
        self.incr_seq += 1;
        let name = format!("{prefix}.{}.incr.aof", self.incr_seq);
        self.incr.push(FileInfo {
            name: name.clone(),
            seq: self.incr_seq,
            kind: FileType::Incr,
        });
        name
    }

    /// The incremental file appends go to: the last listed, or a new one.
    pub fn last_incr_or_new(&mut self, prefix: &str) -> String {
        match self.incr.last() {
            Some(f) => f.name.clone(),
            None => self.new_incr(prefix),
        }
    }

    /// After a successful rewrite the incremental files it covers become history: all of
    /// them, or all but the last when that one is still being written.
    pub fn mark_rewritten_incr_as_history(&mut self, keep_last: bool) {
        let keep = usize::from(keep_last && !self.incr.is_empty());
        let moved: Vec<FileInfo> = self.incr.drain(..self.incr.len() - keep).collect();
        // Redis walks them newest first, inserting each at the head: the oldest ends first.
        for mut f in moved.into_iter().rev() {
            f.kind = FileType::History;
            self.history.insert(0, f);
        }
    }
}

fn err(msg: &'static str, line: Option<(usize, String)>) -> ManifestError {
    ManifestError { msg, line }
}

fn trim(b: &[u8]) -> &[u8] {
    let ws = |c: &u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    let start = b.iter().position(|c| !ws(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !ws(c)).map_or(start, |i| i + 1);
    &b[start..end]
}

/// Splits a manifest line like Redis's `sdssplitargs`; `None` on unbalanced quotes.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    resp::split_inline_args(line)
}

/// A name as the manifest writes it: verbatim, or quoted and escaped when it holds spaces,
/// quotes, backslashes or unprintable bytes (Redis's `sdsneedsrepr` / `sdscatrepr`).
pub fn repr_if_needed(name: &str) -> String {
    let needs = name
        .bytes()
        .any(|c| c == b'\\' || c == b'"' || !c.is_ascii_graphic());
    if !needs {
        return name.to_string();
    }
    resp::repr(name.as_bytes())
}
