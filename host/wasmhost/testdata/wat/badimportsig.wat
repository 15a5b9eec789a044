;; badimportsig: imports get with the wrong signature.
(module
  (import "relayd_v1" "get" (func (param i64) (result i32)))
  (memory (export "memory") 1)
  (func (export "relayd_abi_version") (result i32) i32.const 1))
