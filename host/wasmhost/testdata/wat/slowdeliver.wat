;; slowdeliver: the deliver hook spins for subscription "slow" until an
;; event of kind 7777 passed the event hook, which sets the shared counter
;; "go"; so a test can hold one session's deliveries and then release them
;; (relay test of issue 7 item 2: a slow deliver hook slows only its
;; session). Needs a pool of several instances and a long timeout_ms.
(module
  (import "relayd_v1" "get" (func $get (param i32 i32 i32) (result i32)))
  (import "relayd_v1" "counter_add" (func $add (param i32 i32 i64 i64 i32) (result i32)))
  (import "relayd_v1" "counter_get" (func $cget (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "go")
  (data (i32.const 1040) "slow")
  (func (export "relayd_abi_version") (result i32) i32.const 1)
  (func (export "relayd_on_event") (param i64 i32 i64 i64 i32 i32 i32) (result i32)
    (if (i32.eq (local.get 1) (i32.const 7777))
      (then (drop (call $add (i32.const 1024) (i32.const 2) (i64.const 1) (i64.const 0) (i32.const 2048)))))
    (i32.const 0))
  (func (export "relayd_on_deliver") (param i64 i32 i64 i64 i32 i32 i32) (result i32)
    ;; FieldSubID (9) into 1100; spin while it is "slow" and "go" is 0.
    (if (i32.eq (call $get (i32.const 9) (i32.const 1100) (i32.const 64)) (i32.const 4))
      (then
        (if (i32.eq (i32.load (i32.const 1100)) (i32.load (i32.const 1040)))
          (then
            (block $done
              (loop $wait
                (drop (call $cget (i32.const 1024) (i32.const 2) (i32.const 2056)))
                (br_if $done (i64.ne (i64.load (i32.const 2056)) (i64.const 0)))
                (br $wait)))))))
    (i32.const 0)))
