;; badwasi: imports a WASI function that does not exist.
(module
  (import "wasi_snapshot_preview1" "fd_launch_missiles" (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "relayd_abi_version") (result i32) i32.const 1))
