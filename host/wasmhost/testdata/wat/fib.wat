;; fib: relayd_on_event computes the doubly recursive Fibonacci of the
;; event's kind (no loop: every step is a call) and accepts. Kinds up to
;; 20 finish at once; kind 40 runs for minutes, so only the deadline stops
;; it.
(module
  (memory (export "memory") 1)
  (func (export "relayd_abi_version") (result i32) i32.const 1)
  (func $fib (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add
        (call $fib (i32.sub (local.get $n) (i32.const 1)))
        (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func (export "relayd_on_event") (param i64 i32 i64 i64 i32 i32 i32) (result i32)
    (drop (call $fib (local.get 1)))
    (i32.const 0)))
