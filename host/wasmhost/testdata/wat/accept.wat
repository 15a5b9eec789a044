;; accept: every hook, every call accepted. The benchmark baseline.
(module
  (memory (export "memory") 1)
  (func (export "relayd_abi_version") (result i32) i32.const 1)
  (func (export "relayd_on_connect") (param i64 i32 i64 i64 i32 i32 i32) (result i32) i32.const 0)
  (func (export "relayd_on_event_pre") (param i64 i32 i64 i64 i32 i32 i32) (result i32) i32.const 0)
  (func (export "relayd_on_event") (param i64 i32 i64 i64 i32 i32 i32) (result i32) i32.const 0)
  (func (export "relayd_on_req") (param i64 i32 i64 i64 i32 i32 i32) (result i32) i32.const 0)
  (func (export "relayd_on_count") (param i64 i32 i64 i64 i32 i32 i32) (result i32) i32.const 0)
  (func (export "relayd_on_auth") (param i64 i32 i64 i64 i32 i32 i32) (result i32) i32.const 0)
  (func (export "relayd_on_deliver") (param i64 i32 i64 i64 i32 i32 i32) (result i32) i32.const 0)
  (func (export "relayd_on_close") (param i64 i32 i64 i64 i32 i32 i32) (result i32) i32.const 0)
)
