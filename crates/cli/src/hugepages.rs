//! Transparent huge pages for the server's heap (`heap-hugepages`, Redoubt's own directive,
//! off by default: see the README).
//!
//! BGSAVE, BGREWRITEAOF and full syncs fork, and the fork stops every client for as long as
//! the kernel takes to copy the parent's page tables: about 7 ms for a million keys with
//! 4 KB pages, in Redis as here. Backed by 2 MB pages the same heap needs 512 times fewer
//! entries and the fork takes about 1 ms. Redis turns huge pages off (`disable-thp`) because
//! a write to a huge page shared with the child used to copy all 2 MB; since Linux 5.8 the
//! kernel splits the page and copies 4 KB, as without huge pages, so there is nothing left
//! to avoid on those kernels.
//!
//! Huge pages need jemalloc's `thp:always`, which makes it advise them on every extent it
//! maps. jemalloc reads its options before `main`, from the environment, so a server that
//! wants them re-executes itself once with the option set ([`setup`]). The option is not
//! the default because it has a cost of its own: jemalloc must then zero reused memory with
//! `memset` rather than hand it back to the kernel, so a large zeroed allocation (a hash
//! table's growth) touches all its pages at once. Without huge pages the process also sets
//! `PR_SET_THP_DISABLE`, as Redis's `disable-thp` does, for systems whose THP mode is
//! `always`.

/// The environment variable tikv's jemalloc build (symbol prefix `_rjem_`) reads at start.
const CONF_ENV: &str = "_RJEM_MALLOC_CONF";
/// Set together with [`CONF_ENV`] by the re-execution, so the second start knows it is one.
const REEXEC_ENV: &str = "REDOUBT_HEAP_HUGEPAGES";

/// The first kernel whose copy-on-write fault on a huge page copies 4 KB, not 2 MB.
const SPLIT_ON_COW: (u32, u32) = (5, 8);

/// Decides the heap's page size at start-up. With `wanted`, on a kernel that splits huge
/// pages on copy-on-write, the first start re-executes the binary with jemalloc's
/// `thp:always` in the environment and does not return; the second keeps huge pages.
/// Otherwise huge pages are turned off for this process. Returns why they are off although
/// wanted, for the log.
pub fn setup(wanted: bool, config_from_stdin: bool) -> Option<String> {
    let second_start = std::env::var_os(REEXEC_ENV).is_some();
    if second_start {
        // Children (scripts, tools) should not inherit the allocator options.
        std::env::remove_var(REEXEC_ENV);
        std::env::remove_var(CONF_ENV);
    }
    let why = if !wanted {
        None
    } else {
        match kernel_release() {
            Some(release) if splits_on_cow(&release) => {
                if second_start {
                    // The flag is inherited across exec: a parent may have set it.
                    set_thp_disabled(false);
                    return None;
                }
                if config_from_stdin {
                    Some(
                        "heap-hugepages needs a restart with new allocator options, and the \
                         configuration from standard input cannot be read twice; the heap \
                         uses 4 KB pages"
                            .to_string(),
                    )
                } else {
                    Some(format!(
                        "Can't restart with huge pages for the heap: {}; the heap uses 4 KB pages",
                        reexec_with_thp()
                    ))
                }
            }
            Some(release) => Some(format!(
                "Linux {release} copies a whole huge page on copy-on-write (5.8 and later \
                 copy 4 KB); the heap uses 4 KB pages"
            )),
            None => Some("unknown kernel version; the heap uses 4 KB pages".to_string()),
        }
    };
    set_thp_disabled(true);
    why
}

/// Replaces the process with a new start of the same binary and arguments, jemalloc's
/// `thp:always` added to its options. Returns only on failure, with the error.
fn reexec_with_thp() -> std::io::Error {
    use std::os::unix::process::CommandExt;
    let conf = match std::env::var(CONF_ENV) {
        Ok(c) if !c.is_empty() => format!("{c},thp:always"),
        _ => "thp:always".to_string(),
    };
    let mut args = std::env::args_os();
    let argv0 = args.next().unwrap_or_default();
    // The binary's path rather than /proc/self/exe, which would rename the process "exe".
    let exe = std::env::current_exe().unwrap_or_else(|_| "/proc/self/exe".into());
    std::process::Command::new(exe)
        .arg0(argv0)
        .args(args)
        .env(CONF_ENV, conf)
        .env(REEXEC_ENV, "1")
        .exec()
}

fn set_thp_disabled(off: bool) {
    // SAFETY: prctl with integer arguments only sets a flag on this process.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, libc::c_ulong::from(off), 0, 0, 0);
    }
}

fn kernel_release() -> Option<String> {
    // SAFETY: uname fills the zeroed struct; release is NUL-terminated within its array.
    let release = unsafe {
        let mut u: libc::utsname = std::mem::zeroed();
        if libc::uname(&mut u) != 0 {
            return None;
        }
        std::ffi::CStr::from_ptr(u.release.as_ptr())
            .to_string_lossy()
            .into_owned()
    };
    Some(release)
}

/// Whether a release string such as `6.1.0-18-amd64` is at least [`SPLIT_ON_COW`].
fn splits_on_cow(release: &str) -> bool {
    let mut parts = release
        .split(|c: char| !c.is_ascii_digit())
        .map(|p| p.parse::<u32>().ok());
    match (parts.next().flatten(), parts.next().flatten()) {
        (Some(major), Some(minor)) => (major, minor) >= SPLIT_ON_COW,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::splits_on_cow;

    #[test]
    fn release_strings() {
        assert!(splits_on_cow("6.18.44-fc-v657"));
        assert!(splits_on_cow("5.8.0"));
        assert!(splits_on_cow("5.10.0-28-amd64"));
        assert!(!splits_on_cow("5.4.0-150-generic"));
        assert!(!splits_on_cow("4.18.0-513.el8.x86_64"));
        assert!(!splits_on_cow("garbage"));
        assert!(!splits_on_cow(""));
    }
}
