//! The directive table: every redis.conf directive Redis 7.0 knows — name, alias, flags, type
//! and bounds — and how it reads into and out of [`crate::config::Config`]. redis.conf and
//! command-line parsing (the `redoubt` binary), CONFIG GET/SET ([`crate::config_cmd`]) and
//! CONFIG REWRITE ([`rewrite`]) all go through it, so a directive behaves the same everywhere.
//!
//! - [`entries`]: the table itself, one line per directive.
//! - [`special`]: directives with their own syntax (save, bind, client-output-buffer-limit…).
//! - [`rewrite`]: CONFIG REWRITE's in-place file update.
//! - [`text`]: Redis's value syntax (memory units, quoting, `strtoll`).

mod entries;
pub mod rewrite;
mod special;
pub mod text;

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

use crate::config::Config;
use rewrite::Rewrite;

pub use entries::DIRECTIVES;
pub use special::strerror;

/// Directive flags (Redis's `*_CONFIG` flags that change behaviour).
pub mod flag {
    /// CONFIG SET refuses it: "can't set immutable config".
    pub const IMMUTABLE: u32 = 1 << 0;
    /// CONFIG SET needs `enable-protected-configs`.
    pub const PROTECTED: u32 = 1 << 1;
    /// Takes several arguments (CONFIG SET splits its value on spaces).
    pub const MULTI_ARG: u32 = 1 << 2;
    /// Left out of CONFIG GET patterns; an exact name still finds it.
    pub const HIDDEN: u32 = 1 << 3;
    /// Holds a secret (password).
    pub const SENSITIVE: u32 = 1 << 4;
    /// CONFIG SET refuses it while loading a data set.
    pub const DENY_LOADING: u32 = 1 << 5;
}

/// What setting a directive failed with: the text after "- " in Redis's messages.
pub type SetError = Cow<'static, str>;
pub type SetResult = Result<(), SetError>;

/// Context of a set: redis.conf loading treats `save` lines as a list that replaces the
/// defaults once, where CONFIG SET replaces the whole list each time.
#[derive(Debug, Default)]
pub struct SetCtx {
    pub reading_file: bool,
    pub save_loaded: bool,
}

pub struct Directive {
    pub name: &'static str,
    pub alias: Option<&'static str>,
    pub flags: u32,
    pub kind: Kind,
}

pub enum Kind {
    Bool(BoolSpec),
    Num(NumSpec),
    Enum(EnumSpec),
    Str(StrSpec),
    Special(SpecialSpec),
}

type Check<T> = Option<fn(T) -> Result<(), &'static str>>;
pub type StrCheck = fn(&[u8]) -> Result<(), &'static str>;

pub struct BoolSpec {
    pub get: fn(&Config) -> bool,
    pub set: fn(&mut Config, bool),
    pub check: Check<bool>,
}

/// How a number is written and read besides plain integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumFmt {
    Int,
    Memory,
    /// A memory value or `N%` (stored negated).
    MemoryPercent,
    Octal,
}

pub struct NumSpec {
    pub lo: i64,
    /// For unsigned types this is the C bound reinterpreted (`-1` = ULLONG_MAX).
    pub hi: i64,
    pub unsigned: bool,
    pub fmt: NumFmt,
    pub get: fn(&Config) -> i64,
    pub set: fn(&mut Config, i64),
}

pub struct EnumSpec {
    pub names: &'static [(&'static str, i32)],
    /// Several names OR together (shutdown-on-sigint nosave now).
    pub bitflags: bool,
    pub get: fn(&Config) -> i32,
    pub set: fn(&mut Config, i32),
    pub check: Check<i32>,
}

pub struct StrSpec {
    /// `None` is Redis's NULL (an empty value of an EMPTY_STRING_IS_NULL directive).
    pub get: fn(&Config) -> Option<&[u8]>,
    pub set: fn(&mut Config, Option<&[u8]>),
    pub empty_is_null: bool,
    pub check: Option<StrCheck>,
}

pub struct SpecialSpec {
    pub set: fn(&mut Config, &[Vec<u8>], &mut SetCtx) -> SetResult,
    pub get: fn(&Config) -> Vec<u8>,
    pub rewrite: fn(&Config, &str, &mut Rewrite),
}

/// A name CONFIG GET/SET and redis.conf accept: a directive's name or its alias.
pub struct Entry {
    pub name: &'static str,
    pub directive: &'static Directive,
    pub alias: bool,
    /// Position in [`entries`], which CONFIG SET uses to spot a repeated name.
    pub id: usize,
}

struct Registry {
    entries: Vec<Entry>,
    by_name: HashMap<String, usize>,
}

fn registry() -> &'static Registry {
    static R: OnceLock<Registry> = OnceLock::new();
    R.get_or_init(|| {
        let mut entries = Vec::new();
        for d in DIRECTIVES {
            entries.push(Entry {
                name: d.name,
                directive: d,
                alias: false,
                id: entries.len(),
            });
            if let Some(a) = d.alias {
                entries.push(Entry {
                    name: a,
                    directive: d,
                    alias: true,
                    id: entries.len(),
                });
            }
        }
        let by_name = entries.iter().map(|e| (e.name.to_string(), e.id)).collect();
        Registry { entries, by_name }
    })
}

/// Every accepted name, each directive followed by its alias.
pub fn entries() -> &'static [Entry] {
    &registry().entries
}

/// Finds a directive by name or alias, ignoring case.
pub fn lookup(name: &[u8]) -> Option<&'static Entry> {
    let name = std::str::from_utf8(name).ok()?.to_ascii_lowercase();
    let r = registry();
    r.by_name.get(&name).map(|&i| &r.entries[i])
}

/// The built-in defaults, which CONFIG REWRITE compares against.
pub fn defaults() -> &'static Config {
    static D: OnceLock<Config> = OnceLock::new();
    D.get_or_init(Config::default)
}

/// `yes`/`no`, any case, as Redis's `yesnotoi`.
pub fn yes_no(v: &[u8]) -> Option<bool> {
    if v.eq_ignore_ascii_case(b"yes") {
        Some(true)
    } else if v.eq_ignore_ascii_case(b"no") {
        Some(false)
    } else {
        None
    }
}

impl Directive {
    pub fn is(&self, f: u32) -> bool {
        self.flags & f != 0
    }

    /// Sets the directive from its arguments (one, unless MULTI_ARG).
    pub fn set(&self, cfg: &mut Config, args: &[Vec<u8>], ctx: &mut SetCtx) -> SetResult {
        let first = args.first().map(Vec::as_slice).unwrap_or_default();
        match &self.kind {
            Kind::Bool(b) => {
                let v = yes_no(first).ok_or("argument must be 'yes' or 'no'")?;
                if let Some(check) = b.check {
                    check(v)?;
                }
                (b.set)(cfg, v);
            }
            Kind::Num(n) => {
                let v = n.parse(first)?;
                n.check_bounds(v)?;
                (n.set)(cfg, v);
            }
            Kind::Enum(e) => {
                let v = e.parse(args).ok_or_else(|| e.error())?;
                if let Some(check) = e.check {
                    check(v)?;
                }
                (e.set)(cfg, v);
            }
            Kind::Str(s) => {
                if let Some(check) = s.check {
                    check(first)?;
                }
                let v = (!(s.empty_is_null && first.is_empty())).then_some(first);
                (s.set)(cfg, v);
            }
            Kind::Special(s) => (s.set)(cfg, args, ctx)?,
        }
        Ok(())
    }

    /// The value as CONFIG GET shows it.
    pub fn get(&self, cfg: &Config) -> Vec<u8> {
        match &self.kind {
            Kind::Bool(b) => (if (b.get)(cfg) { "yes" } else { "no" }).into(),
            Kind::Num(n) => n.format((n.get)(cfg)).into_bytes(),
            Kind::Enum(e) => e.name_of((e.get)(cfg)).into_bytes(),
            Kind::Str(s) => (s.get)(cfg).unwrap_or_default().to_vec(),
            Kind::Special(s) => (s.get)(cfg),
        }
    }

    /// Writes the directive into a CONFIG REWRITE state: replaces its old lines, or appends
    /// a line when the value is not the default.
    pub fn rewrite(&self, cfg: &Config, rw: &mut Rewrite) {
        let name = self.name;
        let def = defaults();
        match &self.kind {
            Kind::Bool(b) => {
                let v = (b.get)(cfg);
                let line = format!("{name} {}", if v { "yes" } else { "no" });
                rw.line(name, line.into_bytes(), v != (b.get)(def));
            }
            Kind::Num(n) => {
                let (v, d) = ((n.get)(cfg), (n.get)(def));
                let line = match n.fmt {
                    NumFmt::MemoryPercent if v < 0 => {
                        // Redis compares the positive percentage with the default here.
                        let p = v.wrapping_neg();
                        return rw.line(name, format!("{name} {p}%").into_bytes(), p != d);
                    }
                    NumFmt::Memory | NumFmt::MemoryPercent => {
                        format!("{name} {}", text::format_memory(v))
                    }
                    NumFmt::Octal => format!("{name} {:o}", v as u64),
                    NumFmt::Int => format!("{name} {v}"),
                };
                rw.line(name, line.into_bytes(), v != d);
            }
            Kind::Enum(e) => {
                let v = (e.get)(cfg);
                let line = format!("{name} {}", e.name_of(v));
                rw.line(name, line.into_bytes(), v != (e.get)(def));
            }
            Kind::Str(s) => match (s.get)(cfg) {
                None => rw.mark(name),
                Some(v) => {
                    let force = (s.get)(def) != Some(v);
                    let mut line = format!("{name} ").into_bytes();
                    line.extend(text::repr(v));
                    rw.line(name, line, force);
                }
            },
            Kind::Special(s) => (s.rewrite)(cfg, name, rw),
        }
    }
}

impl NumSpec {
    fn parse(&self, s: &[u8]) -> Result<i64, SetError> {
        let memory = matches!(self.fmt, NumFmt::Memory | NumFmt::MemoryPercent);
        if memory {
            if let Some(v) = text::memtoull(s) {
                return Ok(v as i64);
            }
        }
        if self.fmt == NumFmt::MemoryPercent && s.len() > 1 && s.ends_with(b"%") {
            if let Some(v) = keyspace::parse_i64(&s[..s.len() - 1]).filter(|&v| v >= 0) {
                return Ok(-v);
            }
        }
        match self.fmt {
            NumFmt::Octal => match text::strtoll(s, 8) {
                (v, true, false) => Ok(v),
                _ => Err("argument couldn't be parsed as an octal number".into()),
            },
            NumFmt::Int => keyspace::parse_i64(s)
                .ok_or_else(|| "argument couldn't be parsed into an integer".into()),
            NumFmt::Memory => Err("argument must be a memory value".into()),
            NumFmt::MemoryPercent => Err("argument must be a memory or percent value".into()),
        }
    }

    fn check_bounds(&self, v: i64) -> SetResult {
        if self.unsigned {
            let (u, lo, hi) = (v as u64, self.lo as u64, self.hi as u64);
            if u > hi || u < lo {
                return Err(if self.fmt == NumFmt::Octal {
                    format!("argument must be between {lo:o} and {hi:o} inclusive").into()
                } else {
                    format!("argument must be between {lo} and {hi} inclusive").into()
                });
            }
        } else if self.fmt == NumFmt::MemoryPercent && v < 0 {
            if v < self.lo {
                return Err(format!(
                    "percentage argument must be less or equal to {}",
                    self.lo.wrapping_neg()
                )
                .into());
            }
        } else if v > self.hi || v < self.lo {
            return Err(format!(
                "argument must be between {} and {} inclusive",
                self.lo, self.hi
            )
            .into());
        }
        Ok(())
    }

    fn format(&self, v: i64) -> String {
        match self.fmt {
            NumFmt::MemoryPercent if v < 0 => format!("{}%", v.wrapping_neg()),
            NumFmt::Memory | NumFmt::MemoryPercent => (v as u64).to_string(),
            NumFmt::Octal => format!("{:o}", v as u64),
            NumFmt::Int => v.to_string(),
        }
    }
}

impl EnumSpec {
    fn parse(&self, args: &[Vec<u8>]) -> Option<i32> {
        if !self.bitflags && args.len() != 1 {
            return None;
        }
        let mut v = 0;
        for a in args {
            let (_, val) = self
                .names
                .iter()
                .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(a))?;
            v |= val;
        }
        Some(v)
    }

    fn error(&self) -> SetError {
        let names: Vec<&str> = self.names.iter().map(|(n, _)| *n).collect();
        let mut msg = format!(
            "argument(s) must be one of the following: {}",
            names.join(", ")
        );
        // Redis builds the message in a 256-byte buffer.
        msg.truncate(255);
        msg.into()
    }

    /// The canonical name(s) of a value: an exact entry first, else (bit flags) the entries
    /// whose bits it holds, else "unknown".
    pub fn name_of(&self, v: i32) -> String {
        if let Some((n, _)) = self.names.iter().find(|(_, x)| *x == v) {
            return n.to_string();
        }
        if self.bitflags {
            let mut left = v;
            let mut parts = Vec::new();
            for (n, x) in self.names {
                if *x != 0 && *x == left & *x {
                    parts.push(*n);
                    left &= !*x;
                }
            }
            if !parts.is_empty() && left == 0 {
                return parts.join(" ");
            }
        }
        "unknown".into()
    }
}

/// The value of an enum name held in a config field.
pub fn enum_value(names: &[(&str, i32)], name: &str) -> i32 {
    names
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(-1, |&(_, v)| v)
}

/// The canonical name to store for an enum value: the first name with that value.
pub fn enum_name(names: &[(&'static str, i32)], v: i32) -> String {
    names
        .iter()
        .find(|(_, x)| *x == v)
        .map_or("unknown", |&(n, _)| n)
        .to_string()
}

#[cfg(test)]
mod tests;
