//! Active expiry: a slice of work each cron tick that finds keys whose time has passed
//! without any client touching them, following Redis's `activeExpireCycle`: walk the expiry
//! table with a SCAN cursor, delete what is due, and keep going while more than 10% of what
//! was looked at was due, within a time budget.

use crate::Keyspace;

/// Keys looked at per loop, per database (Redis's ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP).
const KEYS_PER_LOOP: usize = 20;
/// Keep looping while more than this percentage of sampled keys was expired.
const ACCEPTABLE_STALE: usize = 10;

impl Keyspace {
    /// Runs one active-expiry slice; returns the number of keys deleted. `budget` bounds the
    /// number of loops (the caller turns its time budget into loops and checks the clock).
    pub fn active_expire_cycle(&mut self, now: i64, max_loops: usize) -> usize {
        if self.is_replica {
            return 0;
        }
        let mut deleted = 0;
        let mut sampled_total = 0;
        let mut expired_total = 0;
        for db in 0..self.dbs.len() {
            let mut loops = 0;
            while loops < max_loops && !self.dbs[db].expires.is_empty() {
                loops += 1;
                let (due, sampled) = self.sample_due(db, now);
                sampled_total += sampled;
                expired_total += due.len();
                for key in &due {
                    // Still due? A write between sample and delete is impossible here (we own
                    // the keyspace), but a key may appear twice in one scan step.
                    if self.dbs[db].is_expired(key, now) {
                        self.delete_expired(db, key);
                        deleted += 1;
                    }
                }
                if sampled == 0 || due.len() * 100 <= sampled * ACCEPTABLE_STALE {
                    break;
                }
            }
            if loops == max_loops {
                self.stats.expired_time_cap_reached_count += 1;
            }
        }
        if sampled_total > 0 {
            let perc = expired_total as f64 / sampled_total as f64;
            self.stats.expired_stale_perc = perc * 0.05 + self.stats.expired_stale_perc * 0.95;
        }
        deleted
    }

    /// Scans at least KEYS_PER_LOOP entries of `db`'s expiry table from its cursor; returns the
    /// due keys and how many entries were looked at.
    fn sample_due(&mut self, db: usize, now: i64) -> (Vec<Vec<u8>>, usize) {
        let d = &mut self.dbs[db];
        let mut due = Vec::new();
        let mut sampled = 0;
        let mut ttl_sum = 0i64;
        let mut ttl_n = 0i64;
        let mut steps = 0;
        while sampled < KEYS_PER_LOOP && steps < KEYS_PER_LOOP * 20 {
            steps += 1;
            d.expire_cursor = d.expires.scan(d.expire_cursor, |k, &at| {
                sampled += 1;
                if at <= now {
                    due.push(k.to_vec());
                } else {
                    ttl_sum += at - now;
                    ttl_n += 1;
                }
            });
            if d.expire_cursor == 0 {
                break;
            }
        }
        if ttl_n > 0 {
            let avg = ttl_sum / ttl_n;
            d.avg_ttl = if d.avg_ttl == 0 {
                avg
            } else {
                (d.avg_ttl / 50) * 49 + avg / 50
            };
        }
        (due, sampled)
    }
}
