;; flaky: only its first instance starts. relayd_init logs "start
;; attempt" and counts its runs in shared state (which outlives
;; instances); from the second run on it refuses ("no more starts").
;; Kind 13 traps, so the instance is replaced; other kinds accept.
(module
  (import "relayd_v1" "log" (func $log (param i32 i32 i32)))
  (import "relayd_v1" "counter_add" (func $counter_add (param i32 i32 i64 i64 i32) (result i32)))
  (import "relayd_v1" "set_output" (func $set_output (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "starts")
  (data (i32.const 32) "start attempt")
  (data (i32.const 64) "no more starts")
  (func (export "relayd_abi_version") (result i32) i32.const 1)
  (func (export "relayd_init") (result i32)
    (call $log (i32.const 1) (i32.const 32) (i32.const 13))
    (drop (call $counter_add (i32.const 0) (i32.const 6) (i64.const 1) (i64.const 0) (i32.const 16)))
    (if (i64.gt_s (i64.load (i32.const 16)) (i64.const 1))
      (then
        (drop (call $set_output (i32.const 1) (i32.const 64) (i32.const 14)))
        (return (i32.const -1))))
    (i32.const 0x1fe))
  (func (export "relayd_on_event") (param i64 i32 i64 i64 i32 i32 i32) (result i32)
    (if (i32.eq (local.get 1) (i32.const 13)) (then unreachable))
    (i32.const 0)))
