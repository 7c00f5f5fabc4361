//! Every error a command can reply with, and its wire string, in one place.
//!
//! Handlers return a typed [`CmdError`]; the executor turns it into the exact line Redis 7.0
//! sends. Errors become replies and never close the connection.

use std::borrow::Cow;

use keyspace::WrongType;

#[derive(Debug, Clone, PartialEq)]
pub enum CmdError {
    Syntax,
    WrongType,
    NotInteger,
    NotFloat,
    Overflow,
    /// `ERR increment or decrement would overflow`.
    IncrOverflow,
    /// `ERR increment would produce NaN or Infinity`.
    NanOrInf,
    OutOfRange,
    NoSuchKey,
    DbIndexOutOfRange,
    InvalidDbIndex,
    /// `ERR invalid expire time in '<cmd>' command`.
    InvalidExpire(String),
    /// `ERR wrong number of arguments for '<fullname>' command`.
    Arity(String),
    UnknownCommand(String),
    UnknownSubcommand {
        sub: String,
        cmd: String,
    },
    /// `ERR unknown subcommand or wrong number of arguments for '<sub>'. Try <CMD> HELP.`
    SubcommandSyntax {
        sub: String,
        cmd: String,
    },
    NoAuth,
    WrongPass,
    /// `-NOPERM …`.
    NoPerm(String),
    /// `ERR <message>`: a one-off error with Redis's text.
    Err(Cow<'static, str>),
    /// A whole error line with its own code (`-BUSYKEY …`, `-MISCONF …`).
    Raw(Cow<'static, str>),
    /// The offset of BITFIELD/SETRANGE/SETBIT is out of the 512 MB range.
    BitOffset,
    StringTooLong,
    NotAllowedInMulti,
    NestedMulti,
    ExecWithoutMulti,
    DiscardWithoutMulti,
    WatchInMulti,
    ExecAbort,
    SubscribeContext(String),
    MaxClients,
    ReadOnly,
    Oom,
    Loading,
    NoReplicas,
    /// A write ran but `min-replicas-ack-writes` could not confirm it in time.
    NotConfirmed,
    MasterDown,
    DebugNotAllowed,
    /// `ERR value is out of range, value must between <min> and <max>` (Redis's
    /// getRangeLongFromObjectOrReply).
    RangeBetween(i64, i64),
    /// `ERR value is out of range, must be positive` (counts).
    MustBePositive,
    /// `ERR numkeys should be greater than 0` (the *MPOP family).
    NumkeysZero,
    /// `ERR count should be greater than 0` (the *MPOP family).
    CountZero,
    BgsaveInProgress,
    /// Writes refused after a failed background save (`stop-writes-on-bgsave-error`).
    MisConf,
    /// Writes refused after a failed AOF write or fsync (its `strerror`).
    AofMisConf(String),
    Timeout,
    /// A string that is not a HyperLogLog (bad magic, encoding or dense length).
    HllWrongType,
    /// A sparse HyperLogLog payload that does not cover its registers exactly.
    HllInvalid,
}

pub type CmdResult = Result<(), CmdError>;

impl From<WrongType> for CmdError {
    fn from(_: WrongType) -> Self {
        CmdError::WrongType
    }
}

impl CmdError {
    pub fn err(msg: &'static str) -> Self {
        CmdError::Err(Cow::Borrowed(msg))
    }

    pub fn err_owned(msg: String) -> Self {
        CmdError::Err(Cow::Owned(msg))
    }

    /// The error line without the leading `-`.
    pub fn wire(&self) -> Cow<'static, str> {
        use CmdError::*;
        let s: &'static str = match self {
            Syntax => "ERR syntax error",
            WrongType => "WRONGTYPE Operation against a key holding the wrong kind of value",
            NotInteger => "ERR value is not an integer or out of range",
            NotFloat => "ERR value is not a valid float",
            Overflow => "ERR value is out of range",
            IncrOverflow => "ERR increment or decrement would overflow",
            NanOrInf => "ERR increment would produce NaN or Infinity",
            OutOfRange => "ERR index out of range",
            NoSuchKey => "ERR no such key",
            DbIndexOutOfRange => "ERR DB index is out of range",
            InvalidDbIndex => "ERR invalid DB index",
            NoAuth => "NOAUTH Authentication required.",
            WrongPass => "WRONGPASS invalid username-password pair or user is disabled.",
            BitOffset => "ERR bit offset is not an integer or out of range",
            StringTooLong => "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
            NotAllowedInMulti => "ERR Command not allowed inside a transaction",
            NestedMulti => "ERR MULTI calls can not be nested",
            ExecWithoutMulti => "ERR EXEC without MULTI",
            DiscardWithoutMulti => "ERR DISCARD without MULTI",
            WatchInMulti => "ERR WATCH inside MULTI is not allowed",
            ExecAbort => "EXECABORT Transaction discarded because of previous errors.",
            MaxClients => "ERR max number of clients reached",
            ReadOnly => "READONLY You can't write against a read only replica.",
            Oom => "OOM command not allowed when used memory > 'maxmemory'.",
            Loading => "LOADING Redis is loading the dataset in memory",
            NoReplicas => "NOREPLICAS Not enough good replicas to write.",
            NotConfirmed => "NOREPLICAS Not enough good replicas acknowledged the write.",
            MasterDown => {
                "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."
            }
            DebugNotAllowed => {
                "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."
            }
            Timeout => "ERR timeout is not an integer or out of range",
            MustBePositive => "ERR value is out of range, must be positive",
            NumkeysZero => "ERR numkeys should be greater than 0",
            CountZero => "ERR count should be greater than 0",
            BgsaveInProgress => "ERR Background save already in progress",
            RangeBetween(min, max) => {
                return format!("ERR value is out of range, value must between {min} and {max}")
                    .into()
            }
            HllWrongType => "WRONGTYPE Key is not a valid HyperLogLog string value.",
            HllInvalid => "INVALIDOBJ Corrupted HLL object detected",
            MisConf => {
                "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error."
            }
            AofMisConf(why) => {
                return format!("MISCONF Errors writing to the AOF file: {why}").into()
            }
            InvalidExpire(cmd) => return format!("ERR invalid expire time in '{cmd}' command").into(),
            Arity(cmd) => {
                return format!("ERR wrong number of arguments for '{cmd}' command").into()
            }
            UnknownCommand(s) => return s.clone().into(),
            UnknownSubcommand { sub, cmd } => {
                return format!("ERR unknown subcommand '{sub}'. Try {cmd} HELP.").into()
            }
            SubcommandSyntax { sub, cmd } => {
                return format!(
                    "ERR unknown subcommand or wrong number of arguments for '{sub}'. Try {cmd} HELP."
                )
                .into()
            }
            NoPerm(s) => return format!("NOPERM {s}").into(),
            SubscribeContext(cmd) => {
                return format!(
                    "ERR Can't execute '{cmd}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
                )
                .into()
            }
            Err(m) => return format!("ERR {m}").into(),
            Raw(m) => return m.clone(),
        };
        Cow::Borrowed(s)
    }

    /// The first word of the error line, for INFO errorstats.
    pub fn code(&self) -> String {
        let w = self.wire();
        w.split(' ').next().unwrap_or("ERR").to_string()
    }
}

/// Redis's message for an unknown command: its name and the start of its arguments.
pub fn unknown_command(args: &[bytes::Bytes]) -> CmdError {
    let name = trunc(&args[0], 128);
    let mut list = String::new();
    for a in &args[1..] {
        if list.len() >= 128 {
            break;
        }
        let room = 128 - list.len();
        list.push('\'');
        list.push_str(&trunc(a, room));
        list.push_str("' ");
    }
    CmdError::UnknownCommand(format!(
        "ERR unknown command '{name}', with args beginning with: {list}"
    ))
}

/// At most `n` bytes of `b` as text (invalid UTF-8 replaced), as C's `%.*s` would print.
pub fn trunc(b: &[u8], n: usize) -> String {
    let b = &b[..b.len().min(n)];
    let b = &b[..memchr_nul(b)];
    String::from_utf8_lossy(b).into_owned()
}

fn memchr_nul(b: &[u8]) -> usize {
    b.iter().position(|&c| c == 0).unwrap_or(b.len())
}

/// Redis's `addReplySubcommandSyntaxError`: a known subcommand with arguments it does not take.
pub fn subcommand_syntax(args: &[bytes::Bytes]) -> CmdError {
    CmdError::SubcommandSyntax {
        sub: trunc(args.get(1).map_or(&b""[..], |a| &a[..]), 128),
        cmd: String::from_utf8_lossy(&args[0]).to_uppercase(),
    }
}
