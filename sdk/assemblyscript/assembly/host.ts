// The host functions of module relayd_v1 (sdk/abi/ABI.md, "Host functions"),
// declared as AssemblyScript imports. The compiler emits an import only for
// a function the plugin calls, so a plugin that never touches the durable
// state does not import db_* and loads on relays older than FeatureDB.
//
// Pointers are offsets into the guest's memory: the SDK passes the data
// pointer of an ArrayBuffer it owns. The host never allocates in the guest
// and never keeps a pointer past the call, so no alloc export is needed.

@external("relayd_v1", "get")
export declare function get(field: i32, buf: usize, bufLimit: i32): i32;

@external("relayd_v1", "get_tag")
export declare function get_tag(index: i32, buf: usize, bufLimit: i32): i32;

@external("relayd_v1", "get_header")
export declare function get_header(name: usize, nameLen: i32, buf: usize, bufLimit: i32): i32;

@external("relayd_v1", "set_output")
export declare function set_output(kind: i32, ptr: usize, len: i32): i32;

@external("relayd_v1", "now")
export declare function now(): i64;

@external("relayd_v1", "log_enabled")
export declare function log_enabled(level: i32): i32;

@external("relayd_v1", "log")
export declare function log(level: i32, ptr: usize, len: i32): void;

@external("relayd_v1", "counter_add")
export declare function counter_add(key: usize, keyLen: i32, delta: i64, ttlMs: i64, result: usize): i32;

@external("relayd_v1", "counter_get")
export declare function counter_get(key: usize, keyLen: i32, result: usize): i32;

@external("relayd_v1", "bucket_take")
export declare function bucket_take(key: usize, keyLen: i32, cost: i64, rate: f64, burst: i64): i64;

@external("relayd_v1", "kv_get")
export declare function kv_get(key: usize, keyLen: i32, buf: usize, bufLimit: i32): i32;

@external("relayd_v1", "kv_set")
export declare function kv_set(key: usize, keyLen: i32, val: usize, valLen: i32, ttlMs: i64): i32;

@external("relayd_v1", "kv_cas")
export declare function kv_cas(key: usize, keyLen: i32, old: usize, oldLen: i32, val: usize, valLen: i32, ttlMs: i64): i32;

@external("relayd_v1", "kv_delete")
export declare function kv_delete(key: usize, keyLen: i32): i32;

@external("relayd_v1", "store_count")
export declare function store_count(filter: usize, filterLen: i32, result: usize): i32;

@external("relayd_v1", "store_query")
export declare function store_query(filter: usize, filterLen: i32, buf: usize, bufLimit: i32): i32;

@external("relayd_v1", "features")
export declare function features(): i64;

@external("relayd_v1", "get_file")
export declare function get_file(name: usize, nameLen: i32, buf: usize, bufLimit: i32): i32;

@external("relayd_v1", "db_get")
export declare function db_get(key: usize, keyLen: i32, buf: usize, bufLimit: i32): i32;

@external("relayd_v1", "db_put")
export declare function db_put(key: usize, keyLen: i32, val: usize, valLen: i32, flags: i32): i32;

@external("relayd_v1", "db_delete")
export declare function db_delete(key: usize, keyLen: i32): i32;

@external("relayd_v1", "db_list")
export declare function db_list(prefix: usize, prefixLen: i32, after: usize, afterLen: i32, limit: i32, flags: i32, buf: usize, bufLimit: i32): i32;

@external("relayd_v1", "db_usage")
export declare function db_usage(result: usize): i32;
