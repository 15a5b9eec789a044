;; A tick that never ends, and one that fails: relayd_init asks for ticks
;; and every hook; the tick counts its calls in shared state (the tick
;; instance is replaced after a timeout) and loops forever on odd calls,
;; and returns -1 with a reason on even ones. The event hook accepts.
(module
  (import "relayd_v1" "set_output" (func $set_output (param i32 i32 i32) (result i32)))
  (import "relayd_v1" "counter_add" (func $counter_add (param i32 i32 i64 i64 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "no luck")
  (data (i32.const 16) "calls")
  (func (export "relayd_abi_version") (result i32) i32.const 1)
  (func (export "relayd_init") (result i32) i32.const 0x5fe)
  (func (export "relayd_on_tick") (result i32)
    (drop (call $counter_add (i32.const 16) (i32.const 5) (i64.const 1) (i64.const 0) (i32.const 32)))
    (if (i64.eqz (i64.and (i64.load (i32.const 32)) (i64.const 1)))
      (then
        (drop (call $set_output (i32.const 1) (i32.const 0) (i32.const 7)))
        (return (i32.const -1))))
    (loop $forever (br $forever))
    (i32.const 0))
  (func (export "relayd_on_event") (param i64 i32 i64 i64 i32 i32 i32) (result i32)
    (i32.const 0)))
