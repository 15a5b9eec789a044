;; files: relayd_on_event reads the listed file "a.txt" with get_file and
;; rejects (0x101) with its contents as the message, after checking the
;; edge cases: the FeatureFiles bit, a length probe, a name that is not
;; listed (ErrNotFound), a name over MaxFileNameLen (ErrTooLarge) and
;; out-of-range name and buffer pointers (ErrMemory). If a check fails it
;; rejects with prefix invalid (0x301) and the message "check N".
(module
  (import "relayd_v1" "get_file" (func $get_file (param i32 i32 i32 i32) (result i32)))
  (import "relayd_v1" "features" (func $features (result i64)))
  (import "relayd_v1" "set_output" (func $set_output (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "a.txt")
  (data (i32.const 16) "b.txt")
  (data (i32.const 32) "check 0")
  (func (export "relayd_abi_version") (result i32) i32.const 1)
  ;; fail sets the message "check N" and returns the invalid verdict.
  (func $fail (param $n i32) (result i32)
    (i32.store8 (i32.const 38) (i32.add (i32.const 48) (local.get $n)))
    (drop (call $set_output (i32.const 1) (i32.const 32) (i32.const 7)))
    (i32.const 0x301))
  (func (export "relayd_on_event") (param i64 i32 i64 i64 i32 i32 i32) (result i32)
    (local $n i32)
    ;; 1: FeatureFiles (0x4) is set
    (if (i64.eqz (i64.and (call $features) (i64.const 4))) (then (return (call $fail (i32.const 1)))))
    ;; 2: probing with buf_limit 0 returns the length
    (local.set $n (call $get_file (i32.const 0) (i32.const 5) (i32.const 1024) (i32.const 0)))
    (if (i32.lt_s (local.get $n) (i32.const 0)) (then (return (call $fail (i32.const 2)))))
    ;; 3: a name that is not listed
    (if (i32.ne (call $get_file (i32.const 16) (i32.const 5) (i32.const 1024) (i32.const 100)) (i32.const -1))
      (then (return (call $fail (i32.const 3)))))
    ;; 4: a name over MaxFileNameLen (256 bytes, inside memory)
    (if (i32.ne (call $get_file (i32.const 0) (i32.const 256) (i32.const 1024) (i32.const 100)) (i32.const -3))
      (then (return (call $fail (i32.const 4)))))
    ;; 5: a name past the end of memory
    (if (i32.ne (call $get_file (i32.const 65534) (i32.const 5) (i32.const 1024) (i32.const 100)) (i32.const -2))
      (then (return (call $fail (i32.const 5)))))
    ;; 6: a buffer past the end of memory, for a non-empty file
    (if (i32.and (i32.gt_s (local.get $n) (i32.const 0))
          (i32.ne (call $get_file (i32.const 0) (i32.const 5) (i32.const 65535) (i32.const 100)) (i32.const -2)))
      (then (return (call $fail (i32.const 6)))))
    ;; 7: reading returns the same length
    (if (i32.ne (call $get_file (i32.const 0) (i32.const 5) (i32.const 1024) (local.get $n)) (local.get $n))
      (then (return (call $fail (i32.const 7)))))
    (drop (call $set_output (i32.const 1) (i32.const 1024) (local.get $n)))
    (i32.const 0x101)))
