;; hog: a guest that takes all the memory it is allowed. Kind 2 recurses
;; without end (the call stack); kind 12 grows linear memory by 40 MiB,
;; writes all of it and returns (the instance is then over its recycle
;; threshold); kind 13 grows and writes 1 MiB at a time until the host
;; refuses, then traps. Kind 1000+n is the barrier of fib.wat. Other
;; kinds accept.
(module
  (import "relayd_v1" "counter_add" (func $counter_add (param i32 i32 i64 i64 i32) (result i32)))
  (import "relayd_v1" "counter_get" (func $counter_get (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "barrier")
  (func (export "relayd_abi_version") (result i32) i32.const 1)
  (func $down (param $n i32) (result i32)
    (i32.add (call $down (i32.add (local.get $n) (i32.const 1))) (i32.const 1)))
  (func $fill (param $page i32) (param $pages i32)
    (memory.fill (i32.mul (local.get $page) (i32.const 65536)) (i32.const 7)
      (i32.mul (local.get $pages) (i32.const 65536))))
  (func $barrier (param $n i64)
    (drop (call $counter_add (i32.const 0) (i32.const 7) (i64.const 1) (i64.const 0) (i32.const 16)))
    (loop $wait
      (drop (call $counter_get (i32.const 0) (i32.const 7) (i32.const 16)))
      (br_if $wait (i64.lt_s (i64.load (i32.const 16)) (local.get $n)))))
  (func (export "relayd_on_event") (param i64 i32 i64 i64 i32 i32 i32) (result i32)
    (local $old i32)
    (if (i32.ge_u (local.get 1) (i32.const 1000))
      (then
        (call $barrier (i64.extend_i32_u (i32.sub (local.get 1) (i32.const 1000))))
        (return (i32.const 0))))
    (if (i32.eq (local.get 1) (i32.const 2))
      (then (return (call $down (i32.const 0)))))
    (if (i32.eq (local.get 1) (i32.const 12))
      (then
        (local.set $old (memory.grow (i32.const 640)))
        (if (i32.ge_s (local.get $old) (i32.const 0))
          (then (call $fill (local.get $old) (i32.const 640))))
        (return (i32.const 0))))
    (if (i32.eq (local.get 1) (i32.const 13))
      (then
        (loop $more
          (local.set $old (memory.grow (i32.const 16)))
          (if (i32.ge_s (local.get $old) (i32.const 0))
            (then
              (call $fill (local.get $old) (i32.const 16))
              (br $more))))
        unreachable))
    (i32.const 0)))
