;; giant: tries outputs over their limits. Returns accept (0) if the host
;; refused each with ErrTooLarge (-3) and kept none; the deliver hook then
;; asks for a rewrite with a 2 MiB payload, which must fail as a bad
;; verdict since the payload was refused.
(module
  (import "relayd_v1" "set_output" (func $set_output (param i32 i32 i32) (result i32)))
  (memory (export "memory") 40)
  (func (export "relayd_abi_version") (result i32) i32.const 1)
  (func (export "relayd_on_event") (param i64 i32 i64 i64 i32 i32 i32) (result i32)
    (if (result i32)
      (i32.and
        (i32.eq (call $set_output (i32.const 1) (i32.const 0) (i32.const 513)) (i32.const -3))
        (i32.eq (call $set_output (i32.const 3) (i32.const 0) (i32.const 100)) (i32.const -5)))
      (then (i32.const 0))
      (else (i32.const 0x101))))
  (func (export "relayd_on_deliver") (param i64 i32 i64 i64 i32 i32 i32) (result i32)
    (drop (call $set_output (i32.const 3) (i32.const 0) (i32.const 2097152)))
    (i32.const 3)))
