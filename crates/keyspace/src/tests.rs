use super::*;

#[test]
fn lazy_expiry_deletes_and_reports() {
    let mut ks = Keyspace::new(2);
    ks.set(0, b"k", Value::string(b"v"), Ttl::At(1000));
    assert!(ks.get(0, b"k", 999).is_some());
    assert!(ks.get(0, b"k", 1000).is_none());
    assert_eq!(ks.db(0).len(), 0);
    assert_eq!(ks.events.expired.len(), 1);
    assert_eq!(ks.stats.expired_keys, 1);
}

#[test]
fn replica_hides_but_keeps_expired_keys() {
    let mut ks = Keyspace::new(1);
    ks.is_replica = true;
    ks.set(0, b"k", Value::string(b"v"), Ttl::At(10));
    assert!(ks.get(0, b"k", 20).is_none());
    assert_eq!(ks.db(0).len(), 1);
}

#[test]
fn set_clears_or_keeps_ttl() {
    let mut ks = Keyspace::new(1);
    ks.set(0, b"k", Value::string(b"v"), Ttl::At(1000));
    ks.set(0, b"k", Value::string(b"w"), Ttl::Keep);
    assert_eq!(ks.expire_of(0, b"k"), Some(1000));
    ks.set(0, b"k", Value::string(b"x"), Ttl::Clear);
    assert_eq!(ks.expire_of(0, b"k"), None);
}

#[test]
fn active_expiry_reclaims_untouched_keys() {
    let mut ks = Keyspace::new(1);
    for i in 0..1000 {
        let k = format!("k{i}");
        let at = if i % 2 == 0 { 100 } else { 10_000 };
        ks.set(0, k.as_bytes(), Value::Int(i), Ttl::At(at));
    }
    let mut total = 0;
    for _ in 0..100 {
        total += ks.active_expire_cycle(200, 16);
    }
    assert_eq!(total, 500);
    assert_eq!(ks.db(0).len(), 500);
    assert_eq!(ks.db(0).expires_len(), 500);
}

#[test]
fn watched_keys_are_touched_by_writes_and_flush() {
    let mut ks = Keyspace::new(2);
    ks.watch(0, b"w");
    ks.set(0, b"other", Value::Int(1), Ttl::Clear);
    assert!(ks.events.touched.is_empty());
    ks.set(0, b"w", Value::Int(1), Ttl::Clear);
    assert_eq!(ks.events.touched.len(), 1);
    ks.events.touched.clear();
    ks.flush_db(0);
    assert_eq!(ks.events.touched.len(), 1);
    ks.events.touched.clear();
    ks.set(1, b"w", Value::Int(1), Ttl::Clear);
    ks.swap_db(0, 1);
    assert_eq!(ks.events.touched.len(), 1);
}

#[test]
fn cron_rehash_waits_for_the_child_then_finishes_within_its_budget() {
    let mut ks = Keyspace::new(1);
    let mut n = 0;
    // Until a grow starts; a write moves one bucket, so it is far from done.
    while n < 70_000 || !ks.db(0).keys.is_rehashing() {
        ks.set(
            0,
            format!("k{n}").as_bytes(),
            Value::string(b"v"),
            Ttl::Keep,
        );
        n += 1;
    }
    ks.set_child_active(true);
    ks.rehash_and_resize(true, std::time::Duration::from_secs(5));
    assert!(
        ks.db(0).keys.is_rehashing(),
        "no rehashing while a child exists"
    );
    ks.set_child_active(false);
    ks.rehash_and_resize(false, std::time::Duration::from_secs(5));
    assert!(ks.db(0).keys.is_rehashing(), "activerehashing no");
    ks.rehash_and_resize(true, std::time::Duration::from_secs(5));
    assert!(
        !ks.db(0).keys.is_rehashing(),
        "a generous budget finishes it"
    );
}
