;; badverdict: returns an unknown action (0xff).
(module
  (memory (export "memory") 1)
  (func (export "relayd_abi_version") (result i32) i32.const 1)
  (func (export "relayd_on_event") (param i64 i32 i64 i64 i32 i32 i32) (result i32) i32.const 0xff))
