;; syncsrc: a policy for the `relayd sync -plugins` and [[sync]] peer tests.
;; relayd_on_event acts only on events whose source (the low byte of flags) is Sync (4):
;; such a call with a session (FlagSession) or without received_at is
;; rejected "invalid: bad input"; kind 7 is rejected "blocked: no reactions
;; from peers"; kind 9 is rejected with the last 200 bytes of the strfry
;; input (its sourceType and sourceInfo) as the message.
(module
  (import "relayd_v1" "get" (func $get (param i32 i32 i32) (result i32)))
  (import "relayd_v1" "set_output" (func $set_output (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "no reactions from peers")
  (data (i32.const 1056) "bad input")
  (func (export "relayd_abi_version") (result i32) i32.const 1)
  (func (export "relayd_on_event")
    (param $s i64) (param $kind i32) (param $created i64) (param $recv i64)
    (param $size i32) (param $count i32) (param $flags i32) (result i32)
    (local $n i32) (local $start i32)
    (if (i32.ne (i32.and (local.get $flags) (i32.const 0xff)) (i32.const 4))
      (then (return (i32.const 0))))
    (if (i32.or (i32.ne (i32.and (local.get $flags) (i32.const 0x200)) (i32.const 0))
                (i64.eqz (local.get $recv)))
      (then
        (drop (call $set_output (i32.const 1) (i32.const 1056) (i32.const 9)))
        (return (i32.const 0x301)))) ;; reject, invalid
    (if (i32.eq (local.get $kind) (i32.const 7))
      (then
        (drop (call $set_output (i32.const 1) (i32.const 1024) (i32.const 23)))
        (return (i32.const 0x101)))) ;; reject, blocked
    (if (i32.eq (local.get $kind) (i32.const 9))
      (then
        (local.set $n (call $get (i32.const 7) (i32.const 4096) (i32.const 60000)))
        (if (i32.or (i32.lt_s (local.get $n) (i32.const 0)) (i32.gt_s (local.get $n) (i32.const 60000)))
          (then (return (i32.const 0))))
        (if (i32.gt_s (local.get $n) (i32.const 200))
          (then (local.set $start (i32.sub (local.get $n) (i32.const 200)))))
        (drop (call $set_output (i32.const 1)
          (i32.add (i32.const 4096) (local.get $start))
          (i32.sub (local.get $n) (local.get $start))))
        (return (i32.const 0x101))))
    (i32.const 0)))
