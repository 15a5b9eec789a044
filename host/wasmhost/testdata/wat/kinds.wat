;; kinds: relayd_on_event rejects kind 4 with "blocked: no DMs" and kind 5
;; with a rate limit; relayd_init registers only the event hook although
;; relayd_on_req is exported too.
(module
  (import "relayd_v1" "set_output" (func $set_output (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "no DMs")
  (data (i32.const 1040) "slow down")
  (func (export "relayd_abi_version") (result i32) i32.const 1)
  (func (export "relayd_init") (result i32) i32.const 8) ;; 1 << HookEvent
  (func (export "relayd_on_req") (param i64 i32 i64 i64 i32 i32 i32) (result i32) i32.const 1)
  (func (export "relayd_on_event") (param $s i64) (param $kind i32) (param i64 i64 i32 i32 i32) (result i32)
    (if (i32.eq (local.get $kind) (i32.const 4))
      (then
        (drop (call $set_output (i32.const 1) (i32.const 1024) (i32.const 6)))
        (return (i32.const 0x101)))) ;; reject, blocked
    (if (i32.eq (local.get $kind) (i32.const 5))
      (then
        (drop (call $set_output (i32.const 1) (i32.const 1040) (i32.const 9)))
        (return (i32.const 4)))) ;; rate limited, default prefix
    (i32.const 0)))
