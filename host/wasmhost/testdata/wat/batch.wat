;; batch: a deliver hook in both forms, asking for batches in relayd_init
;; (mask: deliver | deliver batch). A session's answer depends on its sub
;; id's first byte ('d' rejects, 'r' rewrites), its authed flag (shadow
;; reject) and its id (7 is rate limited), so a test can tell that each
;; session was read.
;; relayd_on_deliver_batch checks, trapping if one fails: FieldSessions
;; has n records, select_session(n) is ErrNotFound and select_session(i)
;; OK; it marks a rewrite as undecided (3) and, for kind 98, returns 1
;; (a bad result) and, for kind 99, sets 4 bytes of verdicts (a bad
;; length); for kind 97 it rejects every session, unlike
;; relayd_on_deliver (a plugin whose two entries disagree). relayd_on_deliver checks that select_session is
;; ErrUnavailable there.
(module
  (import "relayd_v1" "get" (func $get (param i32 i32 i32) (result i32)))
  (import "relayd_v1" "set_output" (func $set_output (param i32 i32 i32) (result i32)))
  (import "relayd_v1" "select_session" (func $select (param i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 3072) "{\"rewritten\":true}")
  (func (export "relayd_abi_version") (result i32) i32.const 1)
  (func (export "relayd_init") (result i32) i32.const 0x880)
  ;; answer for the selected session $id with flags $flags: 0 accept,
  ;; 1 reject ('d'), 3 rewrite ('r'), 2 shadow reject (authed), 4 rate
  ;; limited (id 7)
  (func $answer (param $id i64) (param $flags i32) (result i32)
    (if (i64.eq (local.get $id) (i64.const 7)) (then (return (i32.const 4))))
    (if (i32.and (local.get $flags) (i32.const 0x100)) (then (return (i32.const 2))))
    (drop (call $get (i32.const 9) (i32.const 2048) (i32.const 256)))
    (if (i32.eq (i32.load8_u (i32.const 2048)) (i32.const 100)) (then (return (i32.const 1))))
    (if (i32.eq (i32.load8_u (i32.const 2048)) (i32.const 114)) (then (return (i32.const 3))))
    (i32.const 0))
  (func (export "relayd_on_deliver") (param i64 i32 i64 i64 i32 i32 i32) (result i32)
    (local $v i32)
    (if (i32.ne (call $select (i32.const 0)) (i32.const -5)) (then unreachable))
    (local.set $v (call $answer (local.get 0) (local.get 6)))
    (if (i32.eq (local.get $v) (i32.const 3))
      (then (drop (call $set_output (i32.const 3) (i32.const 3072) (i32.const 18)))))
    (local.get $v))
  (func (export "relayd_on_deliver_batch") (param $n i64) (param $kind i32) (param i64 i64 i32 i32 i32) (result i32)
    (local $i i32) (local $count i32)
    (local.set $count (i32.wrap_i64 (local.get $n)))
    (if (i32.eq (local.get $kind) (i32.const 98)) (then (return (i32.const 1))))
    (if (i32.ne (call $get (i32.const 18) (i32.const 0) (i32.const 1024)) (i32.mul (local.get $count) (i32.const 16)))
      (then unreachable))
    (if (i32.ne (call $select (local.get $count)) (i32.const -1)) (then unreachable))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
        (if (i32.ne (call $select (local.get $i)) (i32.const 0)) (then unreachable))
        (i32.store (i32.add (i32.const 1024) (i32.mul (local.get $i) (i32.const 4)))
          (call $answer (i64.load (i32.mul (local.get $i) (i32.const 16)))
            (i32.load (i32.add (i32.mul (local.get $i) (i32.const 16)) (i32.const 8)))))
        ;; kind 97: disagree with relayd_on_deliver, rejecting every session
        (if (i32.eq (local.get $kind) (i32.const 97))
          (then (i32.store (i32.add (i32.const 1024) (i32.mul (local.get $i) (i32.const 4))) (i32.const 1))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (if (i32.eq (local.get $kind) (i32.const 99))
      (then (drop (call $set_output (i32.const 7) (i32.const 1024) (i32.const 4))))
      (else (drop (call $set_output (i32.const 7) (i32.const 1024) (i32.mul (local.get $count) (i32.const 4))))))
    (i32.const 0)))
