//! Transparent huge pages for the server's heap (`heap-hugepages`, Redoubt's own directive,
//! off by default: see the README for the stall that keeps it so).
//!
//! BGSAVE, BGREWRITEAOF and full syncs fork, and the fork stops every client for as long as
//! the kernel takes to copy the parent's page tables: about 7 ms for a million keys with
//! 4 KB pages, in Redis as here. Backed by 2 MB pages the same heap needs 512 times fewer
//! entries and the fork takes about 1 ms. Redis turns huge pages off (`disable-thp`) because
//! a write to a huge page shared with the child used to copy all 2 MB; since Linux 5.8 the
//! kernel splits the page and copies 4 KB, as without huge pages, so there is nothing left
//! to avoid on those kernels.
//!
//! jemalloc asks for huge pages on every extent it maps (`thp:always`, set at build time
//! below because jemalloc reads its options before `main`); this module decides at start-up
//! whether the process keeps them, and otherwise turns them off with
//! `PR_SET_THP_DISABLE`, which overrides the allocator's advice. Only the allocator's first
//! extent (one 2 MB page at most) is mapped before the decision and stays as it is.

/// jemalloc's start-up options, read before `main`: advise huge pages on the heap.
#[export_name = "_rjem_malloc_conf"]
#[used]
static MALLOC_CONF: Option<&'static u8> = Some(&b"thp:always\0"[0]);

/// The first kernel whose copy-on-write fault on a huge page copies 4 KB, not 2 MB.
const SPLIT_ON_COW: (u32, u32) = (5, 8);

/// Keeps huge pages when `wanted` and the kernel splits them on copy-on-write; otherwise
/// turns them off for this process. Returns why they are off, for the log.
pub fn apply(wanted: bool) -> Option<String> {
    let why = if !wanted {
        None
    } else {
        match kernel_release() {
            Some(release) if splits_on_cow(&release) => {
                // The flag is inherited across exec: a parent may have set it.
                set_thp_disabled(false);
                return None;
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
