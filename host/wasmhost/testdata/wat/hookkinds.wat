;; hookkinds: relayd_init limits relayd_on_deliver to kinds 4 and 1059 with
;; hook_kinds, and relayd_on_req to filters naming kind 4 or 1059, after
;; checking its edge cases: FeatureHookKinds (0x80) and FeatureFilterKinds
;; (0x200) are set, another hook (auth) and an empty list are ErrInvalid, a kind over
;; 65535 is ErrInvalid, a list past the end of memory is ErrMemory and one
;; over 65536 kinds is ErrTooLarge. If a check fails relayd_init refuses
;; to start with the message "check N". relayd_on_deliver and
;; relayd_on_req call hook_kinds again and reject (1) if they get
;; ErrUnavailable, as they must outside relayd_init, and accept otherwise: a
;; refusal shows the call was made.
(module
  (import "relayd_v1" "hook_kinds" (func $hook_kinds (param i32 i32 i32) (result i32)))
  (import "relayd_v1" "features" (func $features (result i64)))
  (import "relayd_v1" "set_output" (func $set_output (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; kinds 4 and 1059, then 70000
  (data (i32.const 0) "\04\00\00\00\23\04\00\00\70\11\01\00")
  (data (i32.const 32) "check 0")
  (func (export "relayd_abi_version") (result i32) i32.const 1)
  (func $fail (param $n i32) (result i32)
    (i32.store8 (i32.const 38) (i32.add (i32.const 48) (local.get $n)))
    (drop (call $set_output (i32.const 1) (i32.const 32) (i32.const 7)))
    (i32.const -1))
  (func (export "relayd_init") (result i32)
    ;; 1: FeatureHookKinds
    (if (i64.ne (i64.and (call $features) (i64.const 0x280)) (i64.const 0x280)) (then (return (call $fail (i32.const 1)))))
    ;; 2: neither an event nor a filter hook (auth = 6)
    (if (i32.ne (call $hook_kinds (i32.const 6) (i32.const 0) (i32.const 2)) (i32.const -4))
      (then (return (call $fail (i32.const 2)))))
    ;; 3: an empty list
    (if (i32.ne (call $hook_kinds (i32.const 7) (i32.const 0) (i32.const 0)) (i32.const -4))
      (then (return (call $fail (i32.const 3)))))
    ;; 4: a kind over 65535
    (if (i32.ne (call $hook_kinds (i32.const 7) (i32.const 8) (i32.const 1)) (i32.const -4))
      (then (return (call $fail (i32.const 4)))))
    ;; 5: past the end of memory
    (if (i32.ne (call $hook_kinds (i32.const 7) (i32.const 65532) (i32.const 2)) (i32.const -2))
      (then (return (call $fail (i32.const 5)))))
    ;; 6: more than 65536 kinds
    (if (i32.ne (call $hook_kinds (i32.const 7) (i32.const 0) (i32.const 65537)) (i32.const -3))
      (then (return (call $fail (i32.const 6)))))
    ;; 7: kinds 4 and 1059
    (if (i32.ne (call $hook_kinds (i32.const 7) (i32.const 0) (i32.const 2)) (i32.const 0))
      (then (return (call $fail (i32.const 7)))))
    ;; 8: req, filters naming kind 4 or 1059
    (if (i32.ne (call $hook_kinds (i32.const 4) (i32.const 0) (i32.const 2)) (i32.const 0))
      (then (return (call $fail (i32.const 8)))))
    (i32.const 0x90)) ;; HookMask: deliver and req
  (func (export "relayd_on_deliver") (param i64 i32 i64 i64 i32 i32 i32) (result i32)
    (if (result i32) (i32.eq (call $hook_kinds (i32.const 7) (i32.const 0) (i32.const 2)) (i32.const -5))
      (then (i32.const 1)) (else (i32.const 0))))
  (func (export "relayd_on_req") (param i64 i32 i64 i64 i32 i32 i32) (result i32)
    (if (result i32) (i32.eq (call $hook_kinds (i32.const 4) (i32.const 0) (i32.const 2)) (i32.const -5))
      (then (i32.const 1)) (else (i32.const 0)))))
