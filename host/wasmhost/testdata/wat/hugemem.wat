;; hugemem: asks for 1.25 GiB of initial memory.
(module
  (memory (export "memory") 20000)
  (func (export "relayd_abi_version") (result i32) i32.const 1))
