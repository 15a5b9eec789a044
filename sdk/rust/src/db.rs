//! Durable state: a key-value namespace per plugin the relay keeps in its
//! event store, so it survives reloads and restarts and every instance
//! sees the same keys (ABI.md, "Durable state"). Bans, allow lists and
//! first-seen times belong here; rate limits and caches in
//! [`crate::state`].
//!
//! Keys are 1 to `abi::MAX_KEY_LEN` bytes and sort bytewise; values 0 to
//! `abi::MAX_VALUE_LEN` bytes. Past the plugin's `db_max_keys` or
//! `db_max_bytes` a write fails with `ERR_FULL`; while the relay's disk is
//! below its reserve with `ERR_READ_ONLY`. A write returns before it is on
//! disk: it is visible to every instance at once and durable at the
//! relay's next commit. Without durable state (`available()` is false)
//! every call fails with `ERR_UNAVAILABLE`.

use crate::abi;
use crate::host::{check, fetch, fetch_cap, Error, Result};
use crate::imports as imp;

/// Reports whether the relay keeps durable state for the plugin.
pub fn available() -> bool {
    crate::host::features() & abi::FEATURE_DB != 0
}

fn kp(key: &[u8]) -> (*const u8, i32) {
    (key.as_ptr(), key.len() as i32)
}

/// Returns the value of `key`, `None` if absent.
pub fn get(key: impl AsRef<[u8]>) -> Result<Option<Vec<u8>>> {
    let (k, kl) = kp(key.as_ref());
    match fetch("db::get", |p, n| unsafe { imp::relayd_db_get(k, kl, p, n) }) {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.code == abi::ERR_NOT_FOUND => Ok(None),
        Err(e) => Err(e),
    }
}

/// Reports whether `key` is present, without copying its value.
pub fn has(key: impl AsRef<[u8]>) -> Result<bool> {
    let (k, kl) = kp(key.as_ref());
    match unsafe { imp::relayd_db_get(k, kl, std::ptr::null_mut(), 0) } {
        abi::ERR_NOT_FOUND => Ok(false),
        rc => check("db::has", rc).map(|_| true),
    }
}

/// Stores a copy of `val` under `key`, replacing any value.
pub fn put(key: impl AsRef<[u8]>, val: &[u8]) -> Result<()> {
    let (k, kl) = kp(key.as_ref());
    check("db::put", unsafe { imp::relayd_db_put(k, kl, val.as_ptr(), val.len() as i32, 0) }).map(|_| ())
}

/// Stores `val` under `key` only if `key` is absent, and reports whether it
/// stored; of instances racing on one key exactly one stores it.
pub fn put_new(key: impl AsRef<[u8]>, val: &[u8]) -> Result<bool> {
    let (k, kl) = kp(key.as_ref());
    match unsafe { imp::relayd_db_put(k, kl, val.as_ptr(), val.len() as i32, abi::DB_PUT_IF_ABSENT) } {
        abi::ERR_MISMATCH => Ok(false),
        rc => check("db::put_new", rc).map(|_| true),
    }
}

/// Deletes `key` and reports whether it was there.
pub fn delete(key: impl AsRef<[u8]>) -> Result<bool> {
    let (k, kl) = kp(key.as_ref());
    match unsafe { imp::relayd_db_delete(k, kl) } {
        abi::ERR_NOT_FOUND => Ok(false),
        rc => check("db::delete", rc).map(|_| true),
    }
}

/// Calls `f` with each key that starts with `prefix` and its value, in
/// ascending byte order, until `f` returns false.
pub fn scan(prefix: impl AsRef<[u8]>, f: impl FnMut(&[u8], &[u8]) -> bool) -> Result<()> {
    list("db::scan", prefix.as_ref(), &[], abi::DB_LIST_VALUES, f)
}

/// `scan` for the keys only, which spares the relay reading the values.
pub fn scan_keys(prefix: impl AsRef<[u8]>, mut f: impl FnMut(&[u8]) -> bool) -> Result<()> {
    list("db::scan_keys", prefix.as_ref(), &[], 0, |k, _| f(k))
}

/// Returns every key that starts with `prefix`, in ascending byte order.
pub fn keys(prefix: impl AsRef<[u8]>) -> Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    scan_keys(prefix, |k| {
        out.push(k.to_vec());
        true
    })?;
    Ok(out)
}

/// Returns at most `n` keys that start with `prefix` and sort after `after`
/// (empty: from the first), and whether more may follow: pass the last key
/// of a page as the next page's `after`.
pub fn page(prefix: impl AsRef<[u8]>, after: impl AsRef<[u8]>, n: usize) -> Result<(Vec<Vec<u8>>, bool)> {
    let mut keys = Vec::new();
    let mut more = false;
    if n == 0 {
        return Ok((keys, false));
    }
    list("db::page", prefix.as_ref(), after.as_ref(), 0, |k, _| {
        if keys.len() == n {
            more = true;
            return false;
        }
        keys.push(k.to_vec());
        true
    })?;
    Ok((keys, more))
}

fn list(op: &'static str, prefix: &[u8], after: &[u8], flags: i32, mut f: impl FnMut(&[u8], &[u8]) -> bool) -> Result<()> {
    let mut after = after.to_vec();
    loop {
        let (p, pl) = kp(prefix);
        // A page of 8 KiB; an entry larger than that is returned alone,
        // in a buffer of its size (db_list returns the size it needs).
        let page = fetch_cap(op, 8192, |b, n| unsafe {
            imp::relayd_db_list(p, pl, after.as_ptr(), after.len() as i32, 0, flags, b, n)
        });
        let page = match page {
            Ok(b) => b,
            Err(e) => return Err(e),
        };
        if page.is_empty() {
            return Ok(());
        }
        let mut b = &page[..];
        while b.len() >= abi::DB_ENTRY_HEADER_LEN as usize {
            let kl = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
            let vl = u32::from_le_bytes([b[4], b[5], b[6], b[7]]) as usize;
            b = &b[abi::DB_ENTRY_HEADER_LEN as usize..];
            if kl + vl > b.len() {
                return Err(Error { op, code: abi::ERR_INTERNAL });
            }
            after = b[..kl].to_vec();
            if !f(&b[..kl], &b[kl..kl + vl]) {
                return Ok(());
            }
            b = &b[kl + vl..];
        }
    }
}

/// The size of the plugin's durable state and its limits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Keys the plugin holds.
    pub keys: i64,
    /// The sum of the lengths of each key and its value.
    pub bytes: i64,
    /// Its `db_max_keys`.
    pub max_keys: i64,
    /// Its `db_max_bytes`.
    pub max_bytes: i64,
}

/// Returns the size of the plugin's durable state and its limits.
pub fn usage() -> Result<Usage> {
    let mut r = [0i64; 4];
    check("db::usage", unsafe { imp::relayd_db_usage(r.as_mut_ptr()) })?;
    Ok(Usage { keys: r[0], bytes: r[1], max_keys: r[2], max_bytes: r[3] })
}
