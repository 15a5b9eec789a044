;; spin: raw exports for the deadline-design benchmark (not a plugin):
;; nop(), spin(n), a counted loop of n iterations, and fib(n), the doubly
;; recursive Fibonacci (no loop: every step is a call).
(module
  (memory (export "memory") 1)
  (func (export "nop") (result i32) i32.const 0)
  (func (export "spin") (param $n i32) (result i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $i))
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add
        (call $fib (i32.sub (local.get $n) (i32.const 1)))
        (call $fib (i32.sub (local.get $n) (i32.const 2))))))))
