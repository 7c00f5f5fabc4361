//! Redis's CPU-list directives: `server_cpulist`, `bio_cpulist`, `aof_rewrite_cpulist` and
//! `bgsave_cpulist` pin the main thread, the background I/O threads and the forked children
//! to chosen CPUs. A list is comma-separated items `N`, `A-B` or `A-B:STEP` (`0-7:2` is
//! 0, 2, 4, 6). As in Redis, an empty or malformed list leaves the affinity alone, and so
//! does one the kernel refuses (CPUs that do not exist or are not allowed).

/// The largest CPU number a list may name plus one (glibc's `CPU_SETSIZE`).
const MAX_CPUS: usize = 1024;

/// The CPUs a list names, in order; `None` when it is empty or malformed.
pub fn parse(list: &str) -> Option<Vec<usize>> {
    if list.is_empty() {
        return None;
    }
    let num = |s: &str| -> Option<usize> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok().filter(|&n| n < MAX_CPUS)
    };
    let mut cpus = Vec::new();
    for item in list.split(',') {
        let (range, step) = match item.split_once(':') {
            Some((r, s)) => (r, num(s).filter(|&s| s > 0)?),
            None => (item, 1),
        };
        let (first, last) = match range.split_once('-') {
            Some((a, b)) => (num(a)?, num(b)?),
            None if item.contains(':') => return None,
            None => (num(range)?, num(range)?),
        };
        if first > last {
            return None;
        }
        cpus.extend((first..=last).step_by(step));
    }
    Some(cpus)
}

/// Pins the calling thread (and the threads and children it starts later) to `list`'s CPUs.
pub fn apply(list: &str) {
    let Some(cpus) = parse(list) else {
        return;
    };
    // SAFETY: a zeroed cpu_set_t is an empty set; CPU_SET stays within it (every number is
    // below CPU_SETSIZE).
    let set = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for cpu in cpus {
            libc::CPU_SET(cpu, &mut set);
        }
        set
    };
    set_affinity(&set);
}

fn set_affinity(set: &libc::cpu_set_t) {
    // SAFETY: sched_setaffinity only reads the set it is given.
    unsafe {
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), set);
    }
}

/// `bio_cpulist` and the process's CPUs before `server_cpulist` pinned the main thread.
static BIO: std::sync::OnceLock<(String, Option<libc::cpu_set_t>)> = std::sync::OnceLock::new();

/// At start-up, on the main thread: remembers the CPUs background threads may use, then
/// pins the main thread to `server_cpulist`.
pub fn init(server_cpulist: &str, bio_cpulist: &str) {
    // SAFETY: sched_getaffinity fills the zeroed set it is given.
    let original = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        (libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) == 0)
            .then_some(set)
    };
    let _ = BIO.set((bio_cpulist.to_string(), original));
    apply(server_cpulist);
}

/// At the start of a background thread (AOF fsync, file removal): `bio_cpulist`, or else the
/// CPUs the process had before the main thread was pinned, as Redis's bio threads, started
/// before that pinning, keep them.
pub fn enter_background_thread() {
    let Some((bio, original)) = BIO.get() else {
        return;
    };
    if parse(bio).is_some() {
        apply(bio);
    } else if let Some(set) = original {
        set_affinity(set);
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn lists_ranges_and_steps() {
        assert_eq!(parse("3"), Some(vec![3]));
        assert_eq!(parse("0,2"), Some(vec![0, 2]));
        assert_eq!(parse("1-3"), Some(vec![1, 2, 3]));
        assert_eq!(parse("0-7:2"), Some(vec![0, 2, 4, 6]));
        assert_eq!(parse("0-7:2,9"), Some(vec![0, 2, 4, 6, 9]));
        assert_eq!(parse("5-5"), Some(vec![5]));
    }

    #[test]
    fn malformed_lists_change_nothing() {
        for bad in [
            "", "a", "1-", "-1", "3-1", "1,,2", "1-4:0", "1:2", "1-4:", " 1", "1 ", "1024",
            "0-2000", "1-2-3",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
