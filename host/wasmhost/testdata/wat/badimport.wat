;; badimport: imports a host function that does not exist.
(module
  (import "relayd_v1" "launch_missiles" (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "relayd_abi_version") (result i32) i32.const 1))
