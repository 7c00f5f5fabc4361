//! What eviction needs from the keyspace: the per-key access field (LRU clock or LFU
//! counter), the maxmemory policies, and the choice of the next key to evict.
//!
//! The access field is the `lru: u32` beside each value (it sits in the entry's padding, so
//! tracking costs no memory). Like Redis's 24-bit object header field it holds either
//! - **LRU**: the LRU clock (seconds) of the last access, or
//! - **LFU**: the last decrement time in minutes (16 bits) above a logarithmic access
//!   counter (8 bits), which halves in weight per `lfu-log-factor` and decays by one per
//!   `lfu-decay-time` minutes without access.
//!
//! Choosing a victim follows Redis's approximation: sample `maxmemory-samples` keys per
//! database, keep the 16 best candidates seen so far in a pool ordered by how evictable they
//! are (idle time, inverse frequency or closeness to expiry), evict from the best end. The
//! pool survives between evictions, so later samples compete with earlier good ones. The
//! random policies pick a random key, visiting the databases round robin.
//!
//! Memory accounting and the decision to evict live with the caller (the executor), which
//! measures what each deletion freed.

use crate::sbytes::SBytes;
use crate::value::Value;
use crate::Keyspace;

/// Candidates kept between evictions (Redis's `EVPOOL_SIZE`).
pub const POOL_SIZE: usize = 16;
/// A new key's LFU counter, so it is not evicted before it had a chance to be used.
pub const LFU_INIT_VAL: u32 = 5;
/// The LRU clock's reach: Redis keeps 24 bits of seconds and idle times wrap with it.
pub const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;

/// `maxmemory-policy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    VolatileLru,
    VolatileLfu,
    VolatileRandom,
    VolatileTtl,
    AllKeysLru,
    AllKeysLfu,
    AllKeysRandom,
    NoEviction,
}

impl Policy {
    /// The policy named by a `maxmemory-policy` value (canonical lower case).
    pub fn parse(name: &str) -> Option<Policy> {
        Some(match name {
            "volatile-lru" => Policy::VolatileLru,
            "volatile-lfu" => Policy::VolatileLfu,
            "volatile-random" => Policy::VolatileRandom,
            "volatile-ttl" => Policy::VolatileTtl,
            "allkeys-lru" => Policy::AllKeysLru,
            "allkeys-lfu" => Policy::AllKeysLfu,
            "allkeys-random" => Policy::AllKeysRandom,
            "noeviction" => Policy::NoEviction,
            _ => return None,
        })
    }

    /// Whether keys without a TTL may be evicted.
    pub fn all_keys(self) -> bool {
        matches!(
            self,
            Policy::AllKeysLru | Policy::AllKeysLfu | Policy::AllKeysRandom
        )
    }

    pub fn is_lfu(self) -> bool {
        matches!(self, Policy::VolatileLfu | Policy::AllKeysLfu)
    }

    pub fn is_lru(self) -> bool {
        matches!(self, Policy::VolatileLru | Policy::AllKeysLru)
    }

    fn is_random(self) -> bool {
        matches!(self, Policy::VolatileRandom | Policy::AllKeysRandom)
    }
}

/// How reads and writes record an access in a key's access field.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Access {
    /// The LRU clock of the last access (every policy but the LFU ones, as in Redis).
    #[default]
    Lru,
    /// A logarithmic frequency counter with decay (`allkeys-lfu`, `volatile-lfu`).
    Lfu { log_factor: u32, decay_time: u32 },
}

impl Access {
    /// The field of a key created now.
    #[inline]
    pub fn fresh(self, clock: u32) -> u32 {
        match self {
            Access::Lru => clock,
            Access::Lfu { .. } => (lfu_minutes(clock) << 8) | LFU_INIT_VAL,
        }
    }

    /// Records one access in `field`.
    #[inline]
    pub fn touch(self, field: &mut u32, clock: u32) {
        match self {
            Access::Lru => *field = clock,
            Access::Lfu {
                log_factor,
                decay_time,
            } => *field = lfu_access(*field, clock, log_factor, decay_time),
        }
    }
}

/// The LFU time base: minutes of the clock, 16 bits.
pub fn lfu_minutes(clock: u32) -> u32 {
    (clock / 60) & 0xFFFF
}

/// Minutes since `ldt` on the wrapping 16-bit minute clock.
fn lfu_elapsed(ldt: u32, clock: u32) -> u32 {
    let now = lfu_minutes(clock);
    if now >= ldt {
        now - ldt
    } else {
        0xFFFF - ldt + now
    }
}

/// The counter of an LFU field after the decay its idle minutes call for (what OBJECT FREQ
/// reports; the field itself only changes on access).
pub fn lfu_decayed(field: u32, clock: u32, decay_time: u32) -> u32 {
    let ldt = (field >> 8) & 0xFFFF;
    let counter = field & 0xFF;
    let periods = lfu_elapsed(ldt, clock).checked_div(decay_time).unwrap_or(0);
    counter.saturating_sub(periods)
}

/// Increments the counter with probability 1 / ((counter - init) × log_factor + 1).
fn lfu_incr(counter: u32, log_factor: u32) -> u32 {
    if counter >= 255 {
        return 255;
    }
    let base = counter.saturating_sub(LFU_INIT_VAL) as f64;
    let p = 1.0 / (base * f64::from(log_factor) + 1.0);
    if fastrand::f64() < p {
        counter + 1
    } else {
        counter
    }
}

fn lfu_access(field: u32, clock: u32, log_factor: u32, decay_time: u32) -> u32 {
    let counter = lfu_incr(lfu_decayed(field, clock, decay_time), log_factor);
    (lfu_minutes(clock) << 8) | counter
}

/// Seconds between an access time and the clock, on the wrapping 24-bit LRU clock.
pub fn idle_seconds(clock: u32, lru: u32) -> u32 {
    let (c, l) = (clock & LRU_CLOCK_MAX, lru & LRU_CLOCK_MAX);
    if c >= l {
        c - l
    } else {
        c + (LRU_CLOCK_MAX - l)
    }
}

/// The access time that makes a key `idle` seconds idle, as Redis 7.0's `objectSetLRUOrLFU`
/// computes it: clock minus idle, plus one clock cycle if that went negative, then cut to
/// the 24-bit field (so idle times past the clock's reach wrap). Returned on the unmasked
/// clock, so masked and plain differences with the clock agree.
pub fn lru_for_idle(clock: u32, idle: i64) -> u32 {
    let c = i64::from(clock & LRU_CLOCK_MAX);
    // Redis scales by 1000/1000 in a 64-bit multiply that may wrap; so does this.
    let idle = idle.wrapping_mul(1000) / 1000;
    let mut abs = c.wrapping_sub(idle);
    if abs < 0 {
        abs = abs.wrapping_add(i64::from(LRU_CLOCK_MAX));
    }
    let field = (abs as u64 & 0xff_ffff) as u32;
    clock.wrapping_sub(((clock & 0xff_ffff).wrapping_sub(field)) & 0xff_ffff)
}

/// One pooled candidate; a higher score is evicted first.
#[derive(Debug)]
struct Candidate {
    score: u64,
    db: usize,
    key: SBytes,
}

/// The candidate pool and the random policies' database cursor.
#[derive(Debug, Default)]
pub struct EvictPool {
    /// Ascending by score: the best victim is last.
    pool: Vec<Candidate>,
    next_db: usize,
}

impl EvictPool {
    /// Offers a sampled key; keeps the pool to the `POOL_SIZE` best.
    fn offer(&mut self, score: u64, db: usize, key: &SBytes) {
        if let Some(i) = self
            .pool
            .iter()
            .position(|c| c.db == db && c.key.as_bytes() == key.as_bytes())
        {
            self.pool.remove(i);
        }
        let mut pos = self.pool.partition_point(|c| c.score < score);
        if self.pool.len() == POOL_SIZE {
            if pos == 0 {
                return;
            }
            self.pool.remove(0);
            pos -= 1;
        }
        self.pool.insert(
            pos,
            Candidate {
                score,
                db,
                key: key.clone(),
            },
        );
    }

    pub fn clear(&mut self) {
        self.pool.clear();
    }
}

impl Keyspace {
    /// Sets a live key's access field from a known frequency or idle time (RESTORE's FREQ
    /// and IDLETIME, an RDB file's FREQ and IDLE opcodes), as Redis's `objectSetLRUOrLFU`:
    /// under an LFU policy only the frequency counts, under any other only the idle time.
    /// False when nothing applied.
    pub fn set_lru_or_lfu(
        &mut self,
        db: usize,
        key: &[u8],
        freq: Option<u8>,
        idle: Option<i64>,
    ) -> bool {
        let clock = self.lru_clock;
        let field = match (self.access, freq, idle) {
            (Access::Lfu { .. }, Some(f), _) => (lfu_minutes(clock) << 8) | u32::from(f),
            (Access::Lru, _, Some(idle)) if idle >= 0 => lru_for_idle(clock, idle),
            _ => return false,
        };
        match self.dbs[db].keys.get_mut(key) {
            Some(slot) => {
                slot.lru = field;
                true
            }
            None => false,
        }
    }

    /// The next key to evict under `policy`, sampling `samples` keys per database; `None`
    /// when the policy allows nothing (no keys, or no volatile keys for `volatile-*`).
    pub fn eviction_candidate(
        &mut self,
        policy: Policy,
        samples: usize,
    ) -> Option<(usize, SBytes)> {
        match policy {
            Policy::NoEviction => None,
            p if p.is_random() => self.random_candidate(p.all_keys()),
            p => self.pooled_candidate(p, samples.max(1)),
        }
    }

    fn random_candidate(&mut self, all_keys: bool) -> Option<(usize, SBytes)> {
        let n = self.dbs.len();
        for _ in 0..n {
            self.evict_pool.next_db = (self.evict_pool.next_db + 1) % n;
            let j = self.evict_pool.next_db;
            let d = &self.dbs[j];
            let key = if all_keys {
                d.keys.random_entry().map(|(k, _)| k)
            } else {
                d.expires.random_entry().map(|(k, _)| k)
            };
            if let Some(k) = key {
                return Some((j, k.clone()));
            }
        }
        None
    }

    fn pooled_candidate(&mut self, policy: Policy, samples: usize) -> Option<(usize, SBytes)> {
        loop {
            if !self.populate_pool(policy, samples) {
                return None;
            }
            while let Some(c) = self.evict_pool.pool.pop() {
                let d = &self.dbs[c.db];
                let present = if policy.all_keys() {
                    d.keys.contains_key(&c.key)
                } else {
                    d.expires.contains_key(&c.key)
                };
                if present {
                    return Some((c.db, c.key));
                }
            }
        }
    }

    /// Samples every database into the pool; false when there is nothing to sample.
    fn populate_pool(&mut self, policy: Policy, samples: usize) -> bool {
        let clock = self.lru_clock;
        let decay = match self.access {
            Access::Lfu { decay_time, .. } => decay_time,
            Access::Lru => 1,
        };
        let mut any = false;
        for (i, d) in self.dbs.iter().enumerate() {
            let size = if policy.all_keys() {
                d.keys.len()
            } else {
                d.expires.len()
            };
            if size == 0 {
                continue;
            }
            any = true;
            for _ in 0..samples.min(size) {
                let sampled = if policy.all_keys() {
                    d.keys.random_entry().map(|(k, s)| (k, s.lru, 0))
                } else {
                    d.expires.random_entry().and_then(|(k, at)| {
                        let lru = if policy == Policy::VolatileTtl {
                            0
                        } else {
                            d.keys.get(k)?.lru
                        };
                        Some((k, lru, *at))
                    })
                };
                let Some((key, lru, at)) = sampled else {
                    continue;
                };
                let score = match policy {
                    Policy::VolatileTtl => u64::MAX - at.max(0) as u64,
                    p if p.is_lfu() => u64::from(255 - lfu_decayed(lru, clock, decay).min(255)),
                    _ => u64::from(idle_seconds(clock, lru)) * 1000,
                };
                self.evict_pool.offer(score, i, key);
            }
        }
        any
    }

    /// Deletes a key chosen for eviction: its watchers are touched and `evicted_keys` counts
    /// it; the write is not "dirty" (Redis does not count evictions as changes). Returns the
    /// value so the caller decides when its memory is given back.
    pub fn evict(&mut self, db: usize, key: &[u8]) -> Option<Value> {
        let d = &mut self.dbs[db];
        let slot = d.remove_raw(key)?;
        d.touch_watched(db, key, &mut self.events);
        self.stats.evicted_keys += 1;
        Some(slot.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Ttl;

    fn ks_with(n: usize, ttl_every: usize) -> Keyspace {
        let mut ks = Keyspace::new(4);
        for i in 0..n {
            let k = format!("k{i}");
            let ttl = if ttl_every > 0 && i % ttl_every == 0 {
                Ttl::At(1_000_000 + i as i64)
            } else {
                Ttl::Clear
            };
            ks.set(0, k.as_bytes(), Value::Int(i as i64), ttl);
        }
        ks
    }

    #[test]
    fn the_access_field_costs_no_memory() {
        // Value (24 bytes) and the u32 field share what would otherwise be padding.
        assert_eq!(std::mem::size_of::<crate::Slot>(), 32);
    }

    #[test]
    fn volatile_policies_only_pick_keys_with_a_ttl() {
        for p in [
            Policy::VolatileLru,
            Policy::VolatileLfu,
            Policy::VolatileRandom,
            Policy::VolatileTtl,
        ] {
            let mut ks = ks_with(200, 10);
            if p.is_lfu() {
                ks.access = Access::Lfu {
                    log_factor: 10,
                    decay_time: 1,
                };
            }
            let mut evicted = 0;
            while let Some((db, k)) = ks.eviction_candidate(p, 5) {
                assert!(ks.expire_of(db, &k).is_some(), "{p:?} chose {k:?}");
                ks.evict(db, &k).unwrap();
                evicted += 1;
            }
            assert_eq!(evicted, 20, "{p:?}");
            assert_eq!(ks.db(0).len(), 180);
            assert_eq!(ks.stats.evicted_keys, 20);
        }
    }

    #[test]
    fn noeviction_and_empty_keyspaces_give_nothing() {
        let mut ks = ks_with(10, 0);
        assert!(ks.eviction_candidate(Policy::NoEviction, 5).is_none());
        assert!(ks.eviction_candidate(Policy::VolatileLru, 5).is_none());
        let mut empty = Keyspace::new(16);
        assert!(empty.eviction_candidate(Policy::AllKeysRandom, 5).is_none());
        assert!(empty.eviction_candidate(Policy::AllKeysLru, 5).is_none());
    }

    #[test]
    fn volatile_ttl_prefers_the_nearest_expiry() {
        let mut ks = ks_with(100, 1);
        let mut last = i64::MIN;
        let mut out_of_order = 0;
        for _ in 0..50 {
            let (db, k) = ks.eviction_candidate(Policy::VolatileTtl, 10).unwrap();
            let at = ks.expire_of(db, &k).unwrap();
            if at < last {
                out_of_order += 1;
            }
            last = at;
            ks.evict(db, &k);
        }
        // Sampling is approximate, but the pool keeps the order mostly right.
        assert!(out_of_order < 15, "{out_of_order} out of order");
        // The 25 nearest expiries are (almost) all gone.
        let early_left = (0..25)
            .filter(|i| ks.db(0).peek(format!("k{i}").as_bytes()).is_some())
            .count();
        assert!(early_left <= 5, "{early_left} of the 25 nearest remain");
    }

    #[test]
    fn lru_prefers_idle_keys() {
        let mut ks = Keyspace::new(1);
        ks.lru_clock = 1000;
        for i in 0..100 {
            ks.set(0, format!("old{i}").as_bytes(), Value::Int(1), Ttl::Clear);
        }
        ks.lru_clock = 1100;
        for i in 0..100 {
            ks.set(0, format!("new{i}").as_bytes(), Value::Int(1), Ttl::Clear);
        }
        let mut old = 0;
        for _ in 0..50 {
            let (db, k) = ks.eviction_candidate(Policy::AllKeysLru, 5).unwrap();
            old += usize::from(k.starts_with(b"old"));
            ks.evict(db, &k);
        }
        assert!(old >= 48, "only {old} of 50 evictions took old keys");
    }

    #[test]
    fn lfu_counter_grows_logarithmically_and_decays() {
        let access = Access::Lfu {
            log_factor: 10,
            decay_time: 1,
        };
        let clock = 600_000;
        let mut f = access.fresh(clock);
        assert_eq!(lfu_decayed(f, clock, 1), LFU_INIT_VAL);
        access.touch(&mut f, clock);
        // From the initial value the first access always counts.
        assert_eq!(lfu_decayed(f, clock, 1), LFU_INIT_VAL + 1);
        for _ in 0..10_000 {
            access.touch(&mut f, clock);
        }
        let c = lfu_decayed(f, clock, 1);
        // redis.conf's table: factor 10 gives about 18 at 1k hits, 142 at 100k.
        assert!((35..=65).contains(&c), "counter {c} after 10k hits");
        // Ten idle minutes take ten off; decay time 0 never decays.
        assert_eq!(lfu_decayed(f, clock + 600, 1), c - 10);
        assert_eq!(lfu_decayed(f, clock + 600, 0), c);
        assert_eq!(lfu_decayed(f, clock + 600, 5), c - 2);
    }

    #[test]
    fn lfu_prefers_rarely_used_keys() {
        let mut ks = Keyspace::new(1);
        ks.access = Access::Lfu {
            log_factor: 1,
            decay_time: 1,
        };
        for i in 0..100 {
            ks.set(0, format!("cold{i}").as_bytes(), Value::Int(1), Ttl::Clear);
            ks.set(0, format!("hot{i}").as_bytes(), Value::Int(1), Ttl::Clear);
            for _ in 0..50 {
                ks.get(0, format!("hot{i}").as_bytes(), 0);
            }
        }
        let mut cold = 0;
        for _ in 0..80 {
            let (db, k) = ks.eviction_candidate(Policy::AllKeysLfu, 5).unwrap();
            cold += usize::from(k.starts_with(b"cold"));
            ks.evict(db, &k);
        }
        assert!(cold >= 78, "only {cold} of 80 evictions took cold keys");
    }

    #[test]
    fn idle_times_like_redis() {
        // Observed on redis-server 7.0.15 with its LRU clock at 147664.
        let clock = (100u32 << 24) | 147_664;
        let cases = [
            (0, 0),
            (1000, 1000),
            (147_663, 147_663),
            (147_664, 147_664),
            (147_665, 147_665),
            (8_388_608, 8_388_608),
            (16_777_215, 0),
            (16_777_216, 1),
            (100_000_000, 16_113_920),
            (1 << 40, 1),
            (i64::MAX, 16_777_214),
        ];
        for (idle, want) in cases {
            let lru = lru_for_idle(clock, idle);
            assert_eq!(idle_seconds(clock, lru), want, "IDLETIME {idle}");
            assert_eq!(
                clock.wrapping_sub(lru) & !0xff_ffff,
                0,
                "on the unmasked clock"
            );
        }
    }

    #[test]
    fn known_access_applies_by_policy_kind() {
        let mut ks = Keyspace::new(1);
        ks.lru_clock = 1_000_000;
        ks.set(0, b"k", Value::Int(1), Ttl::Clear);
        // Under LRU the frequency is ignored and the idle time taken.
        assert!(!ks.set_lru_or_lfu(0, b"k", Some(9), None));
        assert!(!ks.set_lru_or_lfu(0, b"k", None, Some(-1)));
        assert!(ks.set_lru_or_lfu(0, b"k", Some(9), Some(30)));
        let lru = ks.db(0).peek(b"k").unwrap().lru;
        assert_eq!(idle_seconds(ks.lru_clock, lru), 30);
        // Under LFU the other way round.
        ks.access = Access::Lfu {
            log_factor: 10,
            decay_time: 1,
        };
        assert!(!ks.set_lru_or_lfu(0, b"k", None, Some(30)));
        assert!(ks.set_lru_or_lfu(0, b"k", Some(42), None));
        let field = ks.db(0).peek(b"k").unwrap().lru;
        assert_eq!(lfu_decayed(field, ks.lru_clock, 1), 42);
        assert!(!ks.set_lru_or_lfu(0, b"missing", Some(1), None));
    }

    #[test]
    fn pool_keeps_the_best_sixteen() {
        let mut p = EvictPool::default();
        for i in 0..40u64 {
            p.offer(i * 7 % 40, 0, &SBytes::new(format!("{i}").as_bytes()));
        }
        p.offer(39, 0, &SBytes::new(b"dup"));
        p.offer(39, 0, &SBytes::new(b"dup"));
        assert_eq!(p.pool.len(), POOL_SIZE);
        assert!(p.pool.windows(2).all(|w| w[0].score <= w[1].score));
        assert_eq!(p.pool[0].score, 25);
        assert_eq!(
            p.pool.iter().filter(|c| c.key.as_bytes() == b"dup").count(),
            1
        );
    }
}
