;; store_query: on each event, the [config] table is the filter. The guest
;; probes the result's length (buf_limit 0), reads it with a buffer, and
;; rejects with a message of: the probe's result (i32), the read's result
;; (i32), then the start of the result (at most 504 bytes).
(module
  (import "relayd_v1" "get" (func $get (param i32 i32 i32) (result i32)))
  (import "relayd_v1" "store_query" (func $store_query (param i32 i32 i32 i32) (result i32)))
  (import "relayd_v1" "set_output" (func $set_output (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "relayd_abi_version") (result i32) i32.const 1)
  (func (export "relayd_on_event") (param i64 i32 i64 i64 i32 i32 i32) (result i32)
    (local $n i32) (local $rc i32)
    (local.set $n (call $get (i32.const 12) (i32.const 1024) (i32.const 2048)))
    (i32.store (i32.const 4088) (call $store_query (i32.const 1024) (local.get $n) (i32.const 4096) (i32.const 0)))
    (local.set $rc (call $store_query (i32.const 1024) (local.get $n) (i32.const 4096) (i32.const 60000)))
    (i32.store (i32.const 4092) (local.get $rc))
    (if (i32.lt_s (local.get $rc) (i32.const 0)) (then (local.set $rc (i32.const 0))))
    (if (i32.gt_s (local.get $rc) (i32.const 504)) (then (local.set $rc (i32.const 504))))
    (drop (call $set_output (i32.const 1) (i32.const 4088) (i32.add (i32.const 8) (local.get $rc))))
    (i32.const 1)))
