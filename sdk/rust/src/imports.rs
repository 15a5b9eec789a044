//! The raw `relayd_v1` host functions. On wasm32 they are imports; on
//! other targets (so `cargo test` and `cargo check` run natively) they are
//! stubs that report `ERR_UNAVAILABLE`, as a relay without the function
//! would.
//!
//! The import names are the ABI's (`#[link_name]`); the Rust names carry a
//! `relayd_` prefix to keep them apart from the SDK's safe wrappers. rustc
//! gives each import a symbol of its own, so `relayd_v1.log` and
//! wasi-libc's `log(3)` can both be in one plugin.

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "relayd_v1")]
extern "C" {
    #[link_name = "get"]
    pub fn relayd_get(field: i32, buf: *mut u8, buf_limit: i32) -> i32;
    #[link_name = "get_tag"]
    pub fn relayd_get_tag(index: i32, buf: *mut u8, buf_limit: i32) -> i32;
    #[link_name = "get_header"]
    pub fn relayd_get_header(name: *const u8, name_len: i32, buf: *mut u8, buf_limit: i32) -> i32;
    #[link_name = "set_output"]
    pub fn relayd_set_output(kind: i32, ptr: *const u8, len: i32) -> i32;
    #[link_name = "now"]
    pub fn relayd_now() -> i64;
    #[link_name = "log_enabled"]
    pub fn relayd_log_enabled(level: i32) -> i32;
    #[link_name = "log"]
    pub fn relayd_log(level: i32, ptr: *const u8, len: i32);
    #[link_name = "counter_add"]
    pub fn relayd_counter_add(key: *const u8, key_len: i32, delta: i64, ttl_ms: i64, result: *mut i64) -> i32;
    #[link_name = "counter_get"]
    pub fn relayd_counter_get(key: *const u8, key_len: i32, result: *mut i64) -> i32;
    #[link_name = "bucket_take"]
    pub fn relayd_bucket_take(key: *const u8, key_len: i32, cost: i64, rate: f64, burst: i64) -> i64;
    #[link_name = "kv_get"]
    pub fn relayd_kv_get(key: *const u8, key_len: i32, buf: *mut u8, buf_limit: i32) -> i32;
    #[link_name = "kv_set"]
    pub fn relayd_kv_set(key: *const u8, key_len: i32, val: *const u8, val_len: i32, ttl_ms: i64) -> i32;
    #[link_name = "kv_cas"]
    pub fn relayd_kv_cas(
        key: *const u8,
        key_len: i32,
        old: *const u8,
        old_len: i32,
        val: *const u8,
        val_len: i32,
        ttl_ms: i64,
    ) -> i32;
    #[link_name = "kv_delete"]
    pub fn relayd_kv_delete(key: *const u8, key_len: i32) -> i32;
    #[link_name = "store_count"]
    pub fn relayd_store_count(filter: *const u8, filter_len: i32, result: *mut i64) -> i32;
    #[link_name = "store_query"]
    pub fn relayd_store_query(filter: *const u8, filter_len: i32, buf: *mut u8, buf_limit: i32) -> i32;
    #[link_name = "features"]
    pub fn relayd_features() -> i64;
    #[link_name = "get_file"]
    pub fn relayd_get_file(name: *const u8, name_len: i32, buf: *mut u8, buf_limit: i32) -> i32;
    #[link_name = "db_get"]
    pub fn relayd_db_get(key: *const u8, key_len: i32, buf: *mut u8, buf_limit: i32) -> i32;
    #[link_name = "db_put"]
    pub fn relayd_db_put(key: *const u8, key_len: i32, val: *const u8, val_len: i32, flags: i32) -> i32;
    #[link_name = "db_delete"]
    pub fn relayd_db_delete(key: *const u8, key_len: i32) -> i32;
    #[link_name = "db_list"]
    pub fn relayd_db_list(
        prefix: *const u8,
        prefix_len: i32,
        after: *const u8,
        after_len: i32,
        limit: i32,
        flags: i32,
        buf: *mut u8,
        buf_limit: i32,
    ) -> i32;
    #[link_name = "db_usage"]
    pub fn relayd_db_usage(result: *mut i64) -> i32;
}

#[cfg(not(target_arch = "wasm32"))]
mod stubs {
    #![allow(clippy::missing_safety_doc, unused_variables)]
    use crate::abi::ERR_UNAVAILABLE as U;
    pub unsafe fn relayd_get(field: i32, buf: *mut u8, buf_limit: i32) -> i32 { U }
    pub unsafe fn relayd_get_tag(index: i32, buf: *mut u8, buf_limit: i32) -> i32 { U }
    pub unsafe fn relayd_get_header(name: *const u8, name_len: i32, buf: *mut u8, buf_limit: i32) -> i32 { U }
    pub unsafe fn relayd_set_output(kind: i32, ptr: *const u8, len: i32) -> i32 { U }
    pub unsafe fn relayd_now() -> i64 { 0 }
    pub unsafe fn relayd_log_enabled(level: i32) -> i32 { 0 }
    pub unsafe fn relayd_log(level: i32, ptr: *const u8, len: i32) {}
    pub unsafe fn relayd_counter_add(key: *const u8, key_len: i32, delta: i64, ttl_ms: i64, result: *mut i64) -> i32 { U }
    pub unsafe fn relayd_counter_get(key: *const u8, key_len: i32, result: *mut i64) -> i32 { U }
    pub unsafe fn relayd_bucket_take(key: *const u8, key_len: i32, cost: i64, rate: f64, burst: i64) -> i64 { U as i64 }
    pub unsafe fn relayd_kv_get(key: *const u8, key_len: i32, buf: *mut u8, buf_limit: i32) -> i32 { U }
    pub unsafe fn relayd_kv_set(key: *const u8, key_len: i32, val: *const u8, val_len: i32, ttl_ms: i64) -> i32 { U }
    pub unsafe fn relayd_kv_cas(k: *const u8, kl: i32, o: *const u8, ol: i32, v: *const u8, vl: i32, ttl: i64) -> i32 { U }
    pub unsafe fn relayd_kv_delete(key: *const u8, key_len: i32) -> i32 { U }
    pub unsafe fn relayd_store_count(filter: *const u8, filter_len: i32, result: *mut i64) -> i32 { U }
    pub unsafe fn relayd_store_query(filter: *const u8, filter_len: i32, buf: *mut u8, buf_limit: i32) -> i32 { U }
    pub unsafe fn relayd_features() -> i64 { 0 }
    pub unsafe fn relayd_get_file(name: *const u8, name_len: i32, buf: *mut u8, buf_limit: i32) -> i32 { U }
    pub unsafe fn relayd_db_get(key: *const u8, key_len: i32, buf: *mut u8, buf_limit: i32) -> i32 { U }
    pub unsafe fn relayd_db_put(key: *const u8, key_len: i32, val: *const u8, val_len: i32, flags: i32) -> i32 { U }
    pub unsafe fn relayd_db_delete(key: *const u8, key_len: i32) -> i32 { U }
    pub unsafe fn relayd_db_list(p: *const u8, pl: i32, a: *const u8, al: i32, l: i32, f: i32, b: *mut u8, bl: i32) -> i32 { U }
    pub unsafe fn relayd_db_usage(result: *mut i64) -> i32 { U }
}

#[cfg(not(target_arch = "wasm32"))]
pub use stubs::*;
