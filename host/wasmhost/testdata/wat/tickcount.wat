;; A tick that counts itself in shared state and spins for 300 ms. It
;; counts "running" up at entry and down at exit; a tick that finds it
;; already up counts an overlap. The event hook rejects with a message of
;; three i64: ticks, overlaps, running.
(module
  (import "relayd_v1" "counter_add" (func $counter_add (param i32 i32 i64 i64 i32) (result i32)))
  (import "relayd_v1" "counter_get" (func $counter_get (param i32 i32 i32) (result i32)))
  (import "relayd_v1" "now" (func $now (result i64)))
  (import "relayd_v1" "set_output" (func $set_output (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "running")
  (data (i32.const 16) "overlap")
  (data (i32.const 32) "ticks")
  (func (export "relayd_abi_version") (result i32) i32.const 1)
  (func (export "relayd_on_tick") (result i32)
    (local $t0 i64)
    (drop (call $counter_add (i32.const 0) (i32.const 7) (i64.const 1) (i64.const 0) (i32.const 64)))
    (if (i64.ne (i64.load (i32.const 64)) (i64.const 1))
      (then (drop (call $counter_add (i32.const 16) (i32.const 7) (i64.const 1) (i64.const 0) (i32.const 72)))))
    (local.set $t0 (call $now))
    (block $done
      (loop $spin
        (br_if $done (i64.gt_s (i64.sub (call $now) (local.get $t0)) (i64.const 300000000)))
        (br $spin)))
    (drop (call $counter_add (i32.const 0) (i32.const 7) (i64.const -1) (i64.const 0) (i32.const 64)))
    (drop (call $counter_add (i32.const 32) (i32.const 5) (i64.const 1) (i64.const 0) (i32.const 64)))
    (i32.const 0))
  (func (export "relayd_on_event") (param i64 i32 i64 i64 i32 i32 i32) (result i32)
    (drop (call $counter_get (i32.const 32) (i32.const 5) (i32.const 80)))
    (drop (call $counter_get (i32.const 16) (i32.const 7) (i32.const 88)))
    (drop (call $counter_get (i32.const 0) (i32.const 7) (i32.const 96)))
    (drop (call $set_output (i32.const 1) (i32.const 80) (i32.const 24)))
    (i32.const 1)))
