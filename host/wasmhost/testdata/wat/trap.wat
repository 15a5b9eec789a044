;; trap: kind 13 traps (unreachable), kind 14 divides by zero; others accept.
(module
  (memory (export "memory") 1)
  (func (export "relayd_abi_version") (result i32) i32.const 1)
  (func (export "relayd_on_event") (param i64 i32 i64 i64 i32 i32 i32) (result i32)
    (if (i32.eq (local.get 1) (i32.const 13)) (then unreachable))
    (if (i32.eq (local.get 1) (i32.const 14)) (then (return (i32.div_u (i32.const 1) (i32.const 0)))))
    (i32.const 0)))
