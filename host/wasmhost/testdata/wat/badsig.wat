;; badsig: relayd_on_event has the wrong signature.
(module
  (memory (export "memory") 1)
  (func (export "relayd_abi_version") (result i32) i32.const 1)
  (func (export "relayd_on_event") (param i32) (result i32) i32.const 0))
