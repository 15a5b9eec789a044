;; hostcalls: relayd_on_event calls now() $n times where $n is the kind;
;; the benchmark measures the cost of one host call.
(module
  (import "relayd_v1" "now" (func $now (result i64)))
  (import "relayd_v1" "bucket_take" (func $take (param i32 i32 i64 f64 i64) (result i64)))
  (import "relayd_v1" "get" (func $get (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "bench")
  (func (export "relayd_abi_version") (result i32) i32.const 1)
  (func (export "relayd_on_event") (param i64 i32 i64 i64 i32 i32 i32) (result i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get 1)))
        (drop (call $now))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const 0))
  ;; relayd_on_auth: one bucket_take per call (burst huge, never denies).
  (func (export "relayd_on_auth") (param i64 i32 i64 i64 i32 i32 i32) (result i32)
    (i32.wrap_i64 (call $take (i32.const 1024) (i32.const 5) (i64.const 1) (f64.const 1e9) (i64.const 1000000000))))
  ;; relayd_on_deliver: read the pubkey (64 bytes) into memory.
  (func (export "relayd_on_deliver") (param i64 i32 i64 i64 i32 i32 i32) (result i32)
    (drop (call $get (i32.const 2) (i32.const 0) (i32.const 64)))
    (i32.const 0)))
