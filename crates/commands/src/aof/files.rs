//! The AOF directory on disk: paths and names, the manifest (read at start-up, replaced
//! atomically: temporary file, fsync, rename, fsync of the directory), the upgrade of an old
//! single-file `appendonly.aof`, and the removal of history files after a rewrite.
//!
//! Paths are relative to the working directory, which is `dir` (the process moved there at
//! start-up, as Redis does).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use persist::aof::manifest::{FileInfo, FileType, Manifest};

use super::{log, Logged};
use crate::config_table::strerror;
use crate::state::ServerState;

pub fn dir(srv: &ServerState) -> PathBuf {
    PathBuf::from(&srv.config.appenddirname)
}

pub fn manifest_name(srv: &ServerState) -> String {
    format!("{}.manifest", srv.config.appendfilename)
}

/// Where writes accumulate while the first rewrite after CONFIG SET appendonly yes runs.
pub fn temp_incr_name(srv: &ServerState) -> String {
    format!("temp-{}.incr", srv.config.appendfilename)
}

/// `mkdir`, content if it already exists (Redis's `dirCreateIfMissing`).
pub fn create_dir(dir: &Path) -> std::io::Result<()> {
    match std::fs::create_dir(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(e),
        _ => Ok(()),
    }
}

/// Opens a file for appending (creating it; emptying it first if `truncate`).
pub fn open_append(path: &Path, truncate: bool) -> std::io::Result<File> {
    let mut o = OpenOptions::new();
    o.create(true).mode(0o644);
    if truncate {
        o.write(true).truncate(true).custom_flags(libc::O_APPEND);
    } else {
        o.append(true);
    }
    o.open(path)
}

/// Reads the manifest. No directory or no manifest is an empty one (a fresh start, or an
/// old-style AOF to upgrade); a manifest Redis would refuse is refused with its messages.
pub fn read_manifest(srv: &ServerState) -> Result<Manifest, Logged> {
    let dir = dir(srv);
    if !dir.is_dir() {
        return Ok(Manifest::default());
    }
    let path = dir.join(manifest_name(srv));
    if !path.exists() {
        return Ok(Manifest::default());
    }
    let text = match std::fs::read(&path) {
        Ok(t) => t,
        Err(e) => {
            log(
                srv,
                '#',
                &format!(
                    "Fatal error: can't open the AOF manifest file {} for reading: {}",
                    path.display(),
                    strerror(&e)
                ),
            );
            return Err(Logged);
        }
    };
    Manifest::parse(&text).map_err(|e| {
        log(srv, '#', "\n*** FATAL AOF MANIFEST FILE ERROR ***\n");
        if let Some((n, line)) = &e.line {
            log(
                srv,
                '#',
                &format!("Reading the manifest file, at line {n}\n"),
            );
            log(srv, '#', &format!(">>> '{line}'\n"));
        }
        log(srv, '#', &format!("{}\n", e.msg));
        Logged
    })
}

/// Replaces the manifest on disk with `m`.
pub fn persist_manifest(srv: &ServerState, m: &Manifest) -> Result<(), Logged> {
    let dir = dir(srv);
    let name = manifest_name(srv);
    let tmp_name = format!("temp-{name}");
    let tmp = dir.join(&tmp_name);
    let fail = |what: String| {
        log(srv, '#', &what);
        let _ = std::fs::remove_file(&tmp);
    };
    let mut f = match OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o644)
        .open(&tmp)
    {
        Ok(f) => f,
        Err(e) => {
            fail(format!(
                "Can't open the AOF manifest file {tmp_name}: {}",
                strerror(&e)
            ));
            return Err(Logged);
        }
    };
    if let Err(e) = f.write_all(m.format().as_bytes()) {
        fail(format!(
            "Error trying to write the temporary AOF manifest file {tmp_name}: {}",
            strerror(&e)
        ));
        return Err(Logged);
    }
    if let Err(e) = f.sync_all() {
        fail(format!(
            "Fail to fsync the temp AOF file {tmp_name}: {}.",
            strerror(&e)
        ));
        return Err(Logged);
    }
    if let Err(e) = std::fs::rename(&tmp, dir.join(&name)) {
        fail(format!(
            "Error trying to rename the temporary AOF manifest file {tmp_name} into {name}: {}",
            strerror(&e)
        ));
        return Err(Logged);
    }
    // New files were added to the directory too: its entries must reach the disk.
    if let Err(e) = File::open(&dir).and_then(|d| d.sync_all()) {
        log(
            srv,
            '#',
            &format!(
                "Fail to fsync AOF directory {}: {}.",
                dir.join(&name).display(),
                strerror(&e)
            ),
        );
        return Err(Logged);
    }
    Ok(())
}

/// Moves an old single-file AOF (`appendfilename` in `dir`) into the directory as its base,
/// when nothing newer is there (Redis's `aofUpgradePrepare`). Crash-safe: the manifest is
/// written before the file moves, and a restart repeats whatever is left.
pub fn upgrade_if_needed(srv: &mut ServerState) -> Result<(), Logged> {
    let old = srv.config.appendfilename.clone();
    if !Path::new(&old).is_file() {
        return Ok(());
    }
    let dir = dir(srv);
    let m = &srv.aof.manifest;
    let upgrade = !dir.is_dir()
        || m.is_empty()
        || (m.incr.is_empty()
            && m.base.as_ref().is_some_and(|b| b.name == old)
            && !dir.join(&old).exists());
    if !upgrade {
        return Ok(());
    }
    if let Err(e) = create_dir(&dir) {
        log(
            srv,
            '#',
            &format!(
                "Can't open or create append-only dir {}: {}",
                srv.config.appenddirname,
                strerror(&e)
            ),
        );
        return Err(Logged);
    }
    let mut m = srv.aof.manifest.clone();
    m.base = Some(FileInfo {
        name: old.clone(),
        seq: 1,
        kind: FileType::Base,
    });
    m.base_seq = 1;
    persist_manifest(srv, &m)?;
    srv.aof.manifest = m;
    if let Err(e) = std::fs::rename(&old, dir.join(&old)) {
        log(
            srv,
            '#',
            &format!(
                "Error trying to move the old AOF file {old} into dir {}: {}",
                srv.config.appenddirname,
                strerror(&e)
            ),
        );
        return Err(Logged);
    }
    log(
        srv,
        '*',
        &format!(
            "Successfully migrated an old-style AOF file ({old}) into the AOF directory ({}).",
            srv.config.appenddirname
        ),
    );
    Ok(())
}

/// Removes the history files (unless `aof-disable-auto-gc`) and drops them from the
/// manifest. Unlinking a large file can take a while, so it happens on a thread.
pub fn delete_history(srv: &mut ServerState) {
    if srv.config.aof_disable_auto_gc || srv.aof.manifest.history.is_empty() {
        return;
    }
    let dir = dir(srv);
    let history = std::mem::take(&mut srv.aof.manifest.history);
    let mut paths = Vec::new();
    for f in &history {
        log(
            srv,
            '*',
            &format!("Removing the history file {} in the background", f.name),
        );
        paths.push(dir.join(&f.name));
    }
    remove_in_background(paths);
    let m = srv.aof.manifest.clone();
    let _ = persist_manifest(srv, &m);
}

pub fn remove_in_background(paths: Vec<PathBuf>) {
    let spawned = std::thread::Builder::new()
        .name("aof-unlink".into())
        .spawn({
            let paths = paths.clone();
            move || {
                crate::cpulist::enter_background_thread();
                for p in paths {
                    let _ = std::fs::remove_file(p);
                }
            }
        });
    if spawned.is_err() {
        for p in paths {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// The size of a file of the directory, logging like Redis when it cannot be read.
pub fn size_of(srv: &ServerState, name: &str) -> std::io::Result<u64> {
    std::fs::metadata(dir(srv).join(name))
        .map(|m| m.len())
        .inspect_err(|e| {
            log(
                srv,
                '#',
                &format!(
                    "Unable to obtain the AOF file {name} length. stat: {}",
                    strerror(e)
                ),
            );
        })
}
