;; initfail: relayd_init refuses to start with "bad config".
(module
  (import "relayd_v1" "set_output" (func $set_output (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "bad config")
  (func (export "relayd_abi_version") (result i32) i32.const 1)
  (func (export "relayd_init") (result i32)
    (drop (call $set_output (i32.const 1) (i32.const 0) (i32.const 10)))
    (i32.const -1)))
