//! Counting replica acknowledgements: how many replicas hold a given offset (WAIT), and the
//! highest offset that at least `n` of them hold (replies held until confirmed).

/// Replicas whose acknowledged offset reaches `offset` (Redis's
/// `replicationCountAcksByOffset`).
pub fn count_reaching(acks: impl IntoIterator<Item = i64>, offset: i64) -> usize {
    acks.into_iter().filter(|&a| a >= offset).count()
}

/// The highest offset that at least `n` replicas have acknowledged: the `n`-th largest
/// acknowledgement. `None` when fewer than `n` replicas are counted; with `n == 0` every
/// offset is confirmed (`i64::MAX`).
pub fn quorum_offset(acks: impl IntoIterator<Item = i64>, n: usize) -> Option<i64> {
    if n == 0 {
        return Some(i64::MAX);
    }
    // Replicas are few (Redis deployments rarely have more than a handful): keep the n
    // largest in a small sorted vector instead of sorting everything.
    let mut top: Vec<i64> = Vec::with_capacity(n + 1);
    for a in acks {
        let at = top.partition_point(|&t| t >= a);
        if at < n {
            top.insert(at, a);
            top.truncate(n);
        }
    }
    (top.len() == n).then(|| top[n - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_replicas_at_or_past_an_offset() {
        assert_eq!(count_reaching([10, 20, 30], 20), 2);
        assert_eq!(count_reaching([10, 20, 30], 31), 0);
        assert_eq!(count_reaching([], 0), 0);
    }

    #[test]
    fn quorum_is_the_nth_largest_ack() {
        assert_eq!(quorum_offset([10, 30, 20], 1), Some(30));
        assert_eq!(quorum_offset([10, 30, 20], 2), Some(20));
        assert_eq!(quorum_offset([10, 30, 20], 3), Some(10));
        assert_eq!(quorum_offset([10, 30, 20], 4), None);
        assert_eq!(quorum_offset([5, 5, 1], 2), Some(5));
        assert_eq!(quorum_offset([], 0), Some(i64::MAX));
        assert_eq!(quorum_offset([], 1), None);
    }
}
