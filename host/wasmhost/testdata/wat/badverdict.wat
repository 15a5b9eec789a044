;; badverdict: relayd_on_event returns an invalid verdict: kind 1 an
;; unknown action (0xff); kind 2 a reject with a reserved bit set
;; (0x10001); kind 3 an accept with the top bit set (0x80000000); other
;; kinds a plain accept. relayd_on_close returns junk, which the host
;; ignores.
(module
  (memory (export "memory") 1)
  (func (export "relayd_abi_version") (result i32) i32.const 1)
  (func (export "relayd_on_event") (param i64 i32 i64 i64 i32 i32 i32) (result i32)
    (if (i32.eq (local.get 1) (i32.const 1)) (then (return (i32.const 0xff))))
    (if (i32.eq (local.get 1) (i32.const 2)) (then (return (i32.const 0x10001))))
    (if (i32.eq (local.get 1) (i32.const 3)) (then (return (i32.const 0x80000000))))
    (i32.const 0))
  (func (export "relayd_on_close") (param i64 i32 i64 i64 i32 i32 i32) (result i32)
    (i32.const 0x7fffffff)))
