;; bigmem: starts with 40 MiB of linear memory (640 pages), more than
;; half of the default memory_mb, and accepts.
(module
  (memory (export "memory") 640)
  (func (export "relayd_abi_version") (result i32) i32.const 1)
  (func (export "relayd_on_event") (param i64 i32 i64 i64 i32 i32 i32) (result i32) i32.const 0))
