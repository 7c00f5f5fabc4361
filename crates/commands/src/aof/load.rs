//! Loading the AOF at start-up (Redis's `loadAppendOnlyFiles`): the manifest, an old
//! single-file AOF upgraded into the directory, then the base and every incremental file in
//! order, each replayed through the executor as a primary-like client (the one apply path;
//! no replies kept, no lazy expiry, as in Redis's loader).
//!
//! A file that ends inside a command (or inside a MULTI block) is truncated at the last
//! whole command and loaded when `aof-load-truncated yes` and it is the last file;
//! otherwise, and for any malformed content, loading fails and the server does not start.
//! The outcome and the log lines are Redis's.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::rc::Rc;
use std::time::Instant;

use bytes::Bytes;
use persist::aof::{CommandReader, Counted, Item, ReadError};
use resp::ReplyWriter;

use super::{files, log, Logged};
use crate::client::{Client, ClientShared, Kind};
use crate::config_table::strerror;
use crate::state::Core;

/// How one file loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum One {
    Ok,
    NotExist,
    Empty,
    Truncated,
    Failed,
}

/// Reads the manifest (always, as Redis does: a later CONFIG SET appendonly yes continues
/// its numbering) and loads the AOF when `appendonly yes`. `Ok(true)` when the AOF was the
/// data source, even a missing one: then the RDB is not loaded, as in Redis. `Err` is fatal.
pub fn load_at_startup(core: &mut Core, now: i64) -> Result<bool, Logged> {
    let start = Instant::now();
    core.srv.aof.manifest = files::read_manifest(&core.srv)?;
    if !core.srv.config.appendonly {
        return Ok(false);
    }
    files::upgrade_if_needed(&mut core.srv)?;
    let m = core.srv.aof.manifest.clone();
    if m.is_empty() {
        return Ok(true);
    }
    let names: Vec<String> = m
        .base
        .iter()
        .chain(&m.incr)
        .map(|f| f.name.clone())
        .collect();
    let mut total = 0u64;
    for n in &names {
        total += files::size_of(&core.srv, n).map_err(|_| Logged)?;
    }
    if total == 0 {
        log(
            &core.srv,
            '*',
            &format!(
                "DB loaded from append only file: {:.3} seconds",
                start.elapsed().as_secs_f64()
            ),
        );
        return Ok(true);
    }
    let base_size = match &m.base {
        Some(b) => files::size_of(&core.srv, &b.name).unwrap_or(0),
        None => 0,
    };
    let result = load_files(core, &names, m.base.is_some(), now);
    // Replayed commands are not calls clients made (Redis's loader bypasses `call()`).
    crate::config_cmd::reset_stats(&mut core.srv, &mut core.ks, now);
    core.srv.slowlog.clear();
    result?;
    core.srv.aof.current_size = names
        .iter()
        .map(|n| files::size_of(&core.srv, n).unwrap_or(0))
        .sum();
    core.srv.aof.base_size = base_size;
    log(
        &core.srv,
        '*',
        &format!(
            "DB loaded from append only file: {:.3} seconds",
            start.elapsed().as_secs_f64()
        ),
    );
    Ok(true)
}

fn load_files(core: &mut Core, names: &[String], has_base: bool, now: i64) -> Result<(), Logged> {
    for (i, name) in names.iter().enumerate() {
        let last = i + 1 == names.len();
        let kind = if i == 0 && has_base { "base" } else { "incr" };
        let t = Instant::now();
        let r = load_one(core, name, now);
        if r == One::Ok || (r == One::Truncated && last) {
            log(
                &core.srv,
                '*',
                &format!(
                    "DB loaded from {kind} file {name}: {:.3} seconds",
                    t.elapsed().as_secs_f64()
                ),
            );
        }
        match r {
            One::Truncated if !last => {
                log(
                    &core.srv,
                    '#',
                    "Fatal error: the truncated file is not the last file",
                );
                return Err(Logged);
            }
            One::Failed => return Err(Logged),
            _ => {}
        }
    }
    Ok(())
}

/// Replays one file.
fn load_one(core: &mut Core, name: &str, now: i64) -> One {
    let path = files::dir(&core.srv).join(name);
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let why = strerror(&e);
            log(
                &core.srv,
                '#',
                &format!("The append log file {name} doesn't exist: {why}"),
            );
            return One::NotExist;
        }
        Err(e) => {
            let why = strerror(&e);
            log(
                &core.srv,
                '#',
                &format!("Fatal error: can't open the append log file {name} for reading: {why}"),
            );
            return One::Failed;
        }
    };
    if file.metadata().is_ok_and(|m| m.len() == 0) {
        return One::Empty;
    }
    let mut r = Counted::new(BufReader::with_capacity(1 << 20, file));
    let is_rdb = match r.fill_buf() {
        Ok(head) => persist::aof::is_rdb(head),
        Err(e) => {
            let why = strerror(&e);
            log(
                &core.srv,
                '#',
                &format!("Unrecoverable error reading the append only file {name}: {why}"),
            );
            return One::Failed;
        }
    };
    // The old single file of an upgrade may carry a preamble followed by commands.
    let old_style = name == core.srv.config.appendfilename;
    if is_rdb {
        let what = if old_style {
            "Reading RDB preamble from AOF file..."
        } else {
            "Reading RDB base file on AOF loading..."
        };
        log(&core.srv, '*', what);
        // Keys already expired are loaded too: the stream after the preamble may use them,
        // and their DEL is propagated by expiry once the server runs (as in Redis).
        if let Err(e) = persist::rdb::load(&mut r, &mut core.ks, None) {
            log(&core.srv, '#', &format!("{e}"));
            let msg = if old_style {
                format!(
                    "Error reading the RDB preamble of the AOF file {name}, AOF loading aborted"
                )
            } else {
                format!("Error reading the RDB base file {name}, AOF loading aborted")
            };
            log(&core.srv, '#', &msg);
            return One::Failed;
        }
        if old_style {
            log(&core.srv, '*', "Reading the remaining AOF tail...");
        }
    }
    replay(core, name, &path, CommandReader::new(r), now)
}

/// The client the commands of a file run as.
fn fake_client(now: i64) -> Client {
    let sh = Rc::new(ClientShared::new(
        u64::MAX,
        String::new(),
        String::new(),
        -1,
        now,
    ));
    let mut c = Client::new(sh, true);
    c.kind = Kind::Primary;
    c
}

/// Whether the executor knows the command (an unknown one stops the load, as in Redis).
fn known(args: &[Bytes]) -> bool {
    let t = crate::table::table();
    match t.get(&args[0]) {
        Some(e) if !e.subs.is_empty() && args.len() >= 2 => t.sub(e, &args[1]).is_some(),
        Some(_) => true,
        None => false,
    }
}

fn replay<R: BufRead>(
    core: &mut Core,
    name: &str,
    path: &std::path::Path,
    mut reader: CommandReader<R>,
    mut now: i64,
) -> One {
    let mut client = fake_client(now);
    let mut out = ReplyWriter::default();
    let mut valid_up_to = reader.pos();
    let mut valid_before_multi = valid_up_to;
    let mut n = 0u64;
    core.ks.applying_primary_stream = true;
    let torn = loop {
        match reader.next_item() {
            Ok(None) => {
                if client.multi.is_some() {
                    log(
                        &core.srv,
                        '#',
                        &format!("Revert incomplete MULTI/EXEC transaction in AOF file {name}"),
                    );
                    valid_up_to = valid_before_multi;
                    break true;
                }
                break false;
            }
            Ok(Some(Item::Annotation(_))) => {}
            Ok(Some(Item::Command(args))) => {
                let args: Vec<Bytes> = args.into_iter().map(Bytes::from).collect();
                if !known(&args) {
                    core.ks.applying_primary_stream = false;
                    let cmd = String::from_utf8_lossy(&args[0]);
                    log(
                        &core.srv,
                        '#',
                        &format!("Unknown command '{cmd}' reading the append only file {name}"),
                    );
                    return One::Failed;
                }
                if args[0].eq_ignore_ascii_case(b"multi") {
                    valid_before_multi = valid_up_to;
                }
                n += 1;
                if n.is_multiple_of(1024) {
                    now = super::wall_ms();
                }
                crate::exec::execute(core, &mut client, &mut out, &args, now);
                out.buf.clear();
                valid_up_to = reader.pos();
            }
            Err(ReadError::Truncated) => break true,
            Err(ReadError::Format) => {
                core.ks.applying_primary_stream = false;
                log(&core.srv, '#', &format!("Bad file format reading the append only file {name}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>"));
                return One::Failed;
            }
            Err(ReadError::Io(e)) => {
                core.ks.applying_primary_stream = false;
                let why = strerror(&e);
                log(
                    &core.srv,
                    '#',
                    &format!("Unrecoverable error reading the append only file {name}: {why}"),
                );
                return One::Failed;
            }
        }
    };
    core.ks.applying_primary_stream = false;
    crate::multi::discard_transaction(&mut core.ks, &mut core.srv, &mut client);
    if !torn {
        return One::Ok;
    }
    let srv = &core.srv;
    if srv.config.aof_load_truncated {
        log(
            srv,
            '#',
            &format!("!!! Warning: short read while loading the AOF file {name}!!!"),
        );
        log(
            srv,
            '#',
            &format!("!!! Truncating the AOF {name} at offset {valid_up_to} !!!"),
        );
        let cut = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|f| f.set_len(valid_up_to));
        match cut {
            Ok(()) => {
                log(
                    srv,
                    '#',
                    &format!("AOF {name} loaded anyway because aof-load-truncated is enabled"),
                );
                return One::Truncated;
            }
            Err(e) => {
                let why = strerror(&e);
                log(
                    srv,
                    '#',
                    &format!("Error truncating the AOF file {name}: {why}"),
                );
            }
        }
    }
    log(srv, '#', &format!("Unexpected end of file reading the append only file {name}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server."));
    One::Failed
}
