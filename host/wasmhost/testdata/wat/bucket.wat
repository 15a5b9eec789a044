;; bucket: every event takes one token from the shared bucket "b" (burst
;; 1000, refilling at one token per ~30 years); rateLimited when empty.
(module
  (import "relayd_v1" "bucket_take" (func $take (param i32 i32 i64 f64 i64) (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "b")
  (func (export "relayd_abi_version") (result i32) i32.const 1)
  (func (export "relayd_on_event") (param i64 i32 i64 i64 i32 i32 i32) (result i32)
    (if (i64.eqz (call $take (i32.const 1024) (i32.const 1) (i64.const 1) (f64.const 1e-9) (i64.const 1000)))
      (then (return (i32.const 0))))
    (i32.const 4)))
