;; loop: relayd_on_event spins forever; kind 1 returns at once, so the test
;; can tell a healthy replacement instance from the looping one.
(module
  (memory (export "memory") 1)
  (func (export "relayd_abi_version") (result i32) i32.const 1)
  (func (export "relayd_on_event") (param i64 i32 i64 i64 i32 i32 i32) (result i32)
    (if (i32.eq (local.get 1) (i32.const 1)) (then (return (i32.const 0))))
    (loop $forever (br $forever))
    (i32.const 0)))
