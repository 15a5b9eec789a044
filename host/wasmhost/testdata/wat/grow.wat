;; grow: kind 13 grows memory until the host refuses, then traps (the
;; unbounded allocation of a leaking guest); kind 12 grows by 40 MiB and
;; returns, leaving the instance over its recycle threshold. Others accept.
(module
  (memory (export "memory") 1)
  (func (export "relayd_abi_version") (result i32) i32.const 1)
  (func (export "relayd_on_event") (param i64 i32 i64 i64 i32 i32 i32) (result i32)
    (if (i32.eq (local.get 1) (i32.const 12))
      (then (return (i32.lt_s (memory.grow (i32.const 640)) (i32.const 0)))))
    (if (i32.eq (local.get 1) (i32.const 13))
      (then
        (loop $more
          (br_if $more (i32.ge_s (memory.grow (i32.const 16)) (i32.const 0))))
        unreachable))
    (i32.const 0)))
