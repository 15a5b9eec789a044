;; fib: relayd_on_event computes the doubly recursive Fibonacci of the
;; event's kind (no loop: every step is a call) and accepts. Kinds up to
;; 20 finish at once; kind 60 would run for centuries, so only the
;; deadline stops it; kind 61 logs "spinning", then computes fib(60), so a
;; test knows the call runs.
;; Kind 1000+n is a barrier: the call waits until n calls arrived at it,
;; each in its own instance, so a test can tell that the pool has n.
(module
  (import "relayd_v1" "log" (func $log (param i32 i32 i32)))
  (import "relayd_v1" "counter_add" (func $counter_add (param i32 i32 i64 i64 i32) (result i32)))
  (import "relayd_v1" "counter_get" (func $counter_get (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "barrier")
  (data (i32.const 32) "spinning")
  (func (export "relayd_abi_version") (result i32) i32.const 1)
  (func $fib (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add
        (call $fib (i32.sub (local.get $n) (i32.const 1)))
        (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func $barrier (param $n i64)
    (drop (call $counter_add (i32.const 0) (i32.const 7) (i64.const 1) (i64.const 0) (i32.const 16)))
    (loop $wait
      (drop (call $counter_get (i32.const 0) (i32.const 7) (i32.const 16)))
      (br_if $wait (i64.lt_s (i64.load (i32.const 16)) (local.get $n)))))
  (func (export "relayd_on_event") (param i64 i32 i64 i64 i32 i32 i32) (result i32)
    (if (i32.ge_u (local.get 1) (i32.const 1000))
      (then
        (call $barrier (i64.extend_i32_u (i32.sub (local.get 1) (i32.const 1000))))
        (return (i32.const 0))))
    (if (i32.eq (local.get 1) (i32.const 61))
      (then
        (call $log (i32.const 1) (i32.const 32) (i32.const 8))
        (return (i32.and (call $fib (i32.const 60)) (i32.const 0)))))
    (drop (call $fib (local.get 1)))
    (i32.const 0)))
