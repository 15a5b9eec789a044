//! Shared state: counters, token buckets and a key-value table owned by
//! the host, shared by every instance of the plugin, kept across reloads
//! but not across a restart of the relay (that is [`crate::db`]). Rust
//! statics are per instance: anything shared belongs here.

use crate::host::{check, fetch, Error, Result};
use crate::imports as imp;
use crate::abi;

fn kp(key: &str) -> (*const u8, i32) {
    (key.as_ptr(), key.len() as i32)
}

/// Adds `delta` to the shared counter `key` and returns its new value; a
/// counter created by this call expires after `ttl_ms` (0: never).
pub fn counter_add(key: &str, delta: i64, ttl_ms: i64) -> Result<i64> {
    let (k, kl) = kp(key);
    let mut out = 0i64;
    check("counter_add", unsafe { imp::relayd_counter_add(k, kl, delta, ttl_ms, &mut out) }).map(|_| out)
}

/// Returns the shared counter `key` (0 if absent).
pub fn counter_get(key: &str) -> Result<i64> {
    let (k, kl) = kp(key);
    let mut out = 0i64;
    check("counter_get", unsafe { imp::relayd_counter_get(k, kl, &mut out) }).map(|_| out)
}

/// Takes `cost` tokens from the shared token bucket `key`, which refills
/// at `rate` tokens per second up to `burst` and starts full: `Ok(None)`
/// if taken, `Ok(Some(ms))` with the milliseconds until they will be there
/// if not.
pub fn take(key: &str, cost: i64, rate: f64, burst: i64) -> Result<Option<i64>> {
    let (k, kl) = kp(key);
    let r = unsafe { imp::relayd_bucket_take(k, kl, cost, rate, burst) };
    match r {
        0 => Ok(None),
        r if r > 0 => Ok(Some(r)),
        r => Err(Error { op: "take", code: r as i32 }),
    }
}

/// Returns the shared value under `key`, `None` if there is none (or it
/// expired).
pub fn kv_get(key: &str) -> Result<Option<Vec<u8>>> {
    let (k, kl) = kp(key);
    match fetch("kv_get", |p, n| unsafe { imp::relayd_kv_get(k, kl, p, n) }) {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.code == abi::ERR_NOT_FOUND => Ok(None),
        Err(e) => Err(e),
    }
}

/// Stores a copy of `val` under `key`; it expires after `ttl_ms` (0: never,
/// though the host evicts least-recently-used keys when full).
pub fn kv_set(key: &str, val: &[u8], ttl_ms: i64) -> Result<()> {
    let (k, kl) = kp(key);
    check("kv_set", unsafe { imp::relayd_kv_set(k, kl, val.as_ptr(), val.len() as i32, ttl_ms) }).map(|_| ())
}

/// Stores `val` under `key` only if the current value equals `old`
/// (`None`: only if there is none), and reports whether it stored.
pub fn kv_cas(key: &str, old: Option<&[u8]>, val: &[u8], ttl_ms: i64) -> Result<bool> {
    let (k, kl) = kp(key);
    let (op, ol) = match old {
        Some(o) => (o.as_ptr(), o.len() as i32),
        None => (std::ptr::null(), -1),
    };
    match unsafe { imp::relayd_kv_cas(k, kl, op, ol, val.as_ptr(), val.len() as i32, ttl_ms) } {
        abi::ERR_MISMATCH => Ok(false),
        rc => check("kv_cas", rc).map(|_| true),
    }
}

/// Deletes `key` and reports whether there was one.
pub fn kv_delete(key: &str) -> Result<bool> {
    let (k, kl) = kp(key);
    match unsafe { imp::relayd_kv_delete(k, kl) } {
        abi::ERR_NOT_FOUND => Ok(false),
        rc => check("kv_delete", rc).map(|_| true),
    }
}
