//! redis.conf and command-line directives → resolved [`commands::Config`], the way
//! redis-server 7.0 reads them: the command line is joined into config text (`--port 7000`
//! becomes the line `port "7000"`) and appended after the file, then every line goes through
//! the directive table, in order, with `include` read in place. The first bad line stops
//! start-up with Redis's report and exit code 1.

use commands::config_table::{self, flag, text, SetCtx};
use commands::Config;

/// The Redis version the fatal report names (clients and tools compare it verbatim).
const VERSION: &str = commands::info::REDIS_VERSION;

/// What stops start-up.
#[derive(Debug)]
pub enum LoadError {
    /// The `*** FATAL CONFIG FILE ERROR ***` report, for standard error.
    Fatal(String),
    /// A warning log line (Redis logs, rather than reports, a file it cannot open).
    Log(String),
}

/// The loaded configuration and the absolute path of its file, if any.
pub struct Loaded {
    pub config: Config,
    pub file: Option<String>,
    /// Whether part of the configuration came from standard input (`-`).
    pub from_stdin: bool,
}

/// Reads `[file] [--name value ...]` (and `-` for standard input) into a configuration.
pub fn load(args: &[String]) -> Result<Loaded, LoadError> {
    let mut file = None;
    let mut rest = args;
    if let Some(first) = args.first().filter(|a| !a.starts_with('-')) {
        file = Some(absolute(first));
        rest = &args[1..];
    }
    let (options, from_stdin) = join_options(rest, file.is_none());
    let mut text = Vec::new();
    if let Some(f) = &file {
        text = read_config_file(f)?;
    }
    if from_stdin {
        use std::io::Read;
        let _ = std::io::stdin().read_to_end(&mut text);
    }
    text.push(b'\n');
    text.extend_from_slice(&options);
    let mut loader = Loader {
        config: Config::default(),
        set_ctx: SetCtx {
            reading_file: true,
            save_loaded: false,
        },
        module_configs: 0,
    };
    loader.load_text(&text)?;
    if loader.module_configs > 0 {
        return Err(LoadError::Log(
            "Module Configuration detected without loadmodule directive or no ApplyConfig call: aborting".into(),
        ));
    }
    let mut config = loader.config;
    if let Ok(cwd) = std::env::current_dir() {
        config.dir = cwd.to_string_lossy().into_owned();
    }
    Ok(Loaded {
        config,
        file,
        from_stdin,
    })
}

/// Redis's `getAbsolutePath`: relative paths are taken from the working directory at start.
fn absolute(path: &str) -> String {
    if path.starts_with('/') {
        return path.to_string();
    }
    match std::env::current_dir() {
        Ok(cwd) => cwd.join(path).to_string_lossy().into_owned(),
        Err(_) => path.to_string(),
    }
}

/// Joins command-line options into config text as redis-server's `main` does: each `--name`
/// starts a line, each following argument is appended quoted; `--save` with no value becomes
/// `save ""`. Returns the text and whether `-` asked for configuration from standard input.
fn join_options(args: &[String], first_is_argv1: bool) -> (Vec<u8>, bool) {
    let mut out: Vec<u8> = Vec::new();
    let mut from_stdin = false;
    // Whether the last `--name` already has its argument.
    let mut handled_last = true;
    for (j, a) in args.iter().enumerate() {
        let last = j + 1 == args.len();
        let next_is_option = args.get(j + 1).is_some_and(|n| n.starts_with("--"));
        if a == "-" && ((j == 0 && first_is_argv1) || last) {
            from_stdin = true;
        } else if handled_last && a.starts_with("--") {
            if !out.is_empty() {
                out.push(b'\n');
            }
            out.extend_from_slice(&a.as_bytes()[2..]);
            out.push(b' ');
            let words = text::split_args(a.as_bytes()).map_or(0, |w| w.len());
            if words == 1 {
                handled_last = false;
                if a.eq_ignore_ascii_case("--save") && (last || next_is_option) {
                    out.extend_from_slice(b"\"\"");
                    handled_last = next_is_option;
                }
            } else {
                handled_last = true;
            }
        } else {
            out.extend(text::repr(a.as_bytes()));
            out.push(b' ');
            handled_last = true;
        }
    }
    (out, from_stdin)
}

/// Reads a config file, or every file a glob pattern names (none is fine for a pattern).
fn read_config_file(path: &str) -> Result<Vec<u8>, LoadError> {
    let files = if path.contains(['*', '?', '[']) {
        glob(path)
    } else {
        vec![path.to_string()]
    };
    let mut text = Vec::new();
    for f in files {
        match std::fs::read(&f) {
            Ok(c) => text.extend(c),
            Err(e) => {
                return Err(LoadError::Log(format!(
                    "Fatal error, can't open config file '{f}': {}",
                    config_table::strerror(&e)
                )))
            }
        }
    }
    Ok(text)
}

/// The paths matching a shell pattern, sorted, as glob(3) returns them.
fn glob(pattern: &str) -> Vec<String> {
    let Ok(c) = std::ffi::CString::new(pattern) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    // SAFETY: glob fills `g`, which we read within its bounds and release with globfree.
    unsafe {
        let mut g: libc::glob_t = std::mem::zeroed();
        if libc::glob(c.as_ptr(), 0, None, &mut g) == 0 {
            for i in 0..g.gl_pathc {
                let p = *g.gl_pathv.add(i);
                if !p.is_null() {
                    out.push(std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned());
                }
            }
        }
        libc::globfree(&mut g);
    }
    out
}

struct Loader {
    config: Config,
    set_ctx: SetCtx,
    /// `module.option value` lines: accepted while reading, refused once loaded.
    module_configs: usize,
}

/// Directives Redis 7.0 still accepts and ignores, with their (min, max) argument counts.
const DEPRECATED: &[(&str, usize, usize)] = &[
    ("list-max-ziplist-entries", 2, 2),
    ("list-max-ziplist-value", 2, 2),
    ("lua-replicate-commands", 2, 2),
];

/// Why a line was refused: a reason printed under the line, or an included file's own error.
enum LineError {
    Reason(String),
    Include(LoadError),
}

impl From<&str> for LineError {
    fn from(s: &str) -> Self {
        LineError::Reason(s.to_string())
    }
}

fn fatal(line: Option<(usize, &[u8])>, reason: &str) -> LoadError {
    let mut s = format!("\n*** FATAL CONFIG FILE ERROR (Redis {VERSION}) ***\n");
    if let Some((n, text)) = line {
        s.push_str(&format!(
            "Reading the configuration file, at line {n}\n>>> '{}'\n",
            String::from_utf8_lossy(text)
        ));
    }
    s.push_str(reason);
    s.push('\n');
    LoadError::Fatal(s)
}

fn trim(mut s: &[u8]) -> &[u8] {
    let ws = |c: &u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    while s.first().is_some_and(ws) {
        s = &s[1..];
    }
    while s.last().is_some_and(ws) {
        s = &s[..s.len() - 1];
    }
    s
}

impl Loader {
    /// Redis's `loadServerConfigFromString`.
    fn load_text(&mut self, text: &[u8]) -> Result<(), LoadError> {
        for (i, raw) in text.split(|&c| c == b'\n').enumerate() {
            let line = trim(raw);
            if line.is_empty() || line[0] == b'#' {
                continue;
            }
            let at = Some((i + 1, line));
            let Some(mut argv) = text::split_args(line) else {
                return Err(fatal(at, "Unbalanced quotes in configuration line"));
            };
            if argv.is_empty() {
                continue;
            }
            argv[0].make_ascii_lowercase();
            self.directive(&argv).map_err(|e| match e {
                LineError::Reason(why) => fatal(at, &why),
                LineError::Include(e) => e,
            })?;
        }
        if !self.config.logfile.is_empty() {
            let opened = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.config.logfile);
            if let Err(e) = opened {
                let why = format!("Can't open the log file: {}", config_table::strerror(&e));
                return Err(fatal(None, &why));
            }
        }
        if self.config.cluster_enabled && self.config.replicaof.is_some() {
            return Err(fatal(
                None,
                "replicaof directive not allowed in cluster mode",
            ));
        }
        self.config.clamp_hz();
        Ok(())
    }

    /// Applies one line (`argv[0]` already lower-case).
    fn directive(&mut self, argv: &[Vec<u8>]) -> Result<(), LineError> {
        let name = String::from_utf8_lossy(&argv[0]).into_owned();
        let argc = argv.len();
        if let Some(e) = config_table::lookup(&argv[0]) {
            let d = e.directive;
            if !d.is(flag::MULTI_ARG) && argc != 2 {
                return Err("wrong number of arguments".into());
            }
            // `--bind "a b"` arrives as one argument: a multi-argument directive splits it.
            let split = d.is(flag::MULTI_ARG) && argc == 2 && !argv[1].is_empty();
            let args: Vec<Vec<u8>> = if split {
                text::split_args(&argv[1]).unwrap_or_default()
            } else {
                argv[1..].to_vec()
            };
            return d
                .set(&mut self.config, &args, &mut self.set_ctx)
                .map_err(|e| LineError::Reason(e.into_owned()));
        }
        if DEPRECATED
            .iter()
            .any(|&(n, lo, hi)| n == name && (lo..=hi).contains(&argc))
        {
            return Ok(());
        }
        let word = |i: usize| String::from_utf8_lossy(&argv[i]).into_owned();
        match name.as_str() {
            "include" if argc == 2 => {
                let content = read_config_file(&word(1)).map_err(LineError::Include)?;
                self.load_text(&content).map_err(LineError::Include)?;
            }
            "rename-command" if argc == 3 => self.rename_command(&word(1), &word(2))?,
            "user" if argc >= 2 => self.config.users.push((1..argc).map(word).collect()),
            "loadmodule" if argc >= 2 => {
                self.config.loadmodules.push((1..argc).map(word).collect())
            }
            n if n.contains('.') => {
                if argc != 2 {
                    return Err("Module config specified without value".into());
                }
                self.module_configs += 1;
            }
            "sentinel" => {
                if argc != 1 {
                    return Err("sentinel directive while not in sentinel mode".into());
                }
            }
            _ => return Err("Bad directive or wrong number of arguments".into()),
        }
        Ok(())
    }

    /// `rename-command old new`: checked as Redis checks it and recorded in the config.
    fn rename_command(&mut self, from: &str, to: &str) -> Result<(), LineError> {
        let renames = &self.config.rename_commands;
        let exists = |n: &str| {
            let renamed_away = renames.iter().any(|(f, _)| f.eq_ignore_ascii_case(n));
            let added = renames.iter().any(|(_, t)| t.eq_ignore_ascii_case(n));
            (commands::table::table().get(n.as_bytes()).is_some() && !renamed_away) || added
        };
        if !exists(from) {
            return Err("No such command in rename-command".into());
        }
        if !to.is_empty() && exists(to) && !to.eq_ignore_ascii_case(from) {
            return Err("Target command name already exists".into());
        }
        self.config
            .rename_commands
            .push((from.to_ascii_lowercase(), to.to_string()));
        Ok(())
    }
}

#[cfg(test)]
mod tests;
