;; badptr: passes out-of-range pointers to host functions. Returns accept
;; (0) only if every call answered ErrMemory (-2) or, for bucket_take, -2 as
;; i64; otherwise reject with prefix invalid (0x301).
(module
  (import "relayd_v1" "get" (func $get (param i32 i32 i32) (result i32)))
  (import "relayd_v1" "set_output" (func $set_output (param i32 i32 i32) (result i32)))
  (import "relayd_v1" "counter_add" (func $counter_add (param i32 i32 i64 i64 i32) (result i32)))
  (import "relayd_v1" "kv_set" (func $kv_set (param i32 i32 i32 i32 i64) (result i32)))
  (import "relayd_v1" "get_header" (func $get_header (param i32 i32 i32 i32) (result i32)))
  (import "relayd_v1" "bucket_take" (func $take (param i32 i32 i64 f64 i64) (result i64)))
  (import "relayd_v1" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1)
  (func (export "relayd_abi_version") (result i32) i32.const 1)
  (func (export "relayd_on_event") (param i64 i32 i64 i64 i32 i32 i32) (result i32)
    (local $ok i32)
    (local.set $ok (i32.const 1))
    ;; event id (64 bytes) into a buffer that ends past memory
    (local.set $ok (i32.and (local.get $ok) (i32.eq (call $get (i32.const 1) (i32.const 65500) (i32.const 64)) (i32.const -2))))
    ;; set_output from a range past memory
    (local.set $ok (i32.and (local.get $ok) (i32.eq (call $set_output (i32.const 1) (i32.const 0xfffffff0) (i32.const 100)) (i32.const -2))))
    ;; counter_add with a result pointer past memory
    (local.set $ok (i32.and (local.get $ok) (i32.eq (call $counter_add (i32.const 0) (i32.const 1) (i64.const 1) (i64.const 0) (i32.const 65535)) (i32.const -2))))
    ;; kv_set with a key past memory
    (local.set $ok (i32.and (local.get $ok) (i32.eq (call $kv_set (i32.const 70000) (i32.const 4) (i32.const 0) (i32.const 1) (i64.const 0)) (i32.const -2))))
    ;; header name past memory
    (local.set $ok (i32.and (local.get $ok) (i32.eq (call $get_header (i32.const 0xffffffff) (i32.const 2) (i32.const 0) (i32.const 10)) (i32.const -2))))
    ;; bucket key past memory
    (local.set $ok (i32.and (local.get $ok) (i64.eq (call $take (i32.const 65530) (i32.const 10) (i64.const 1) (f64.const 1) (i64.const 1)) (i64.const -2))))
    ;; a log line past memory is dropped silently
    (call $log (i32.const 1) (i32.const 65530) (i32.const 100))
    (if (result i32) (local.get $ok) (then (i32.const 0)) (else (i32.const 0x301)))))
