;; badwasisig: imports WASI fd_write with the wrong signature.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func (param i64) (result i32)))
  (memory (export "memory") 1)
  (func (export "relayd_abi_version") (result i32) i32.const 1))
