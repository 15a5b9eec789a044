;; Exports relayd_on_tick but its relayd_init mask does not ask for it:
;; the host must never call it (it traps).
(module
  (memory (export "memory") 1)
  (func (export "relayd_abi_version") (result i32) i32.const 1)
  (func (export "relayd_init") (result i32) i32.const 0x1fe)
  (func (export "relayd_on_tick") (result i32) unreachable)
  (func (export "relayd_on_event") (param i64 i32 i64 i64 i32 i32 i32) (result i32)
    (i32.const 0)))
