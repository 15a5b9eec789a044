;; v2: rejects every event with the message "v2" (reload tests swap v1
;; and v2 and check which one answered).
(module
  (import "relayd_v1" "set_output" (func $set_output (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "v2")
  (func (export "relayd_abi_version") (result i32) i32.const 1)
  (func (export "relayd_on_event") (param i64 i32 i64 i64 i32 i32 i32) (result i32)
    (drop (call $set_output (i32.const 1) (i32.const 1024) (i32.const 2)))
    (i32.const 0x101)))
