;; manage: serves NIP-86 management methods (relayd_on_manage). relayd_init
;; declares the methods in methods.json if the plugin's settings list that
;; file, else ["echo","fail","spin","write","badjson","trap"]. The method's
;; first letter picks what it does:
;;   echo     the result is the params
;;   fail     rejects with "nope"
;;   spin     loops forever (the deadline stops it)
;;   write    db_put "k" = the params, and no result (true)
;;   badjson  a result that is not JSON
;;   trap     traps
;; anything else rejects with "unknown".
(module
  (import "relayd_v1" "get" (func $get (param i32 i32 i32) (result i32)))
  (import "relayd_v1" "get_file" (func $get_file (param i32 i32 i32 i32) (result i32)))
  (import "relayd_v1" "set_output" (func $set_output (param i32 i32 i32) (result i32)))
  (import "relayd_v1" "db_put" (func $db_put (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  ;; 0: method, 64: "k", 72: "nope", 80: "unknown", 88: "{", 200: "methods.json",
  ;; 1024: params (up to 60000), 4096 → reused, 70000: default methods, 72000: file.
  (data (i32.const 64) "k")
  (data (i32.const 72) "nope")
  (data (i32.const 80) "unknown")
  (data (i32.const 88) "{")
  (data (i32.const 200) "methods.json")
  (data (i32.const 70000) "[\"echo\",\"fail\",\"spin\",\"write\",\"badjson\",\"trap\"]")
  (func (export "relayd_abi_version") (result i32) i32.const 1)
  (func (export "relayd_init") (result i32)
    (local $n i32)
    (local.set $n (call $get_file (i32.const 200) (i32.const 12) (i32.const 72000) (i32.const 4096)))
    (if (i32.and (i32.ge_s (local.get $n) (i32.const 0)) (i32.le_s (local.get $n) (i32.const 4096)))
      (then (drop (call $set_output (i32.const 5) (i32.const 72000) (local.get $n))))
      (else (drop (call $set_output (i32.const 5) (i32.const 70000) (i32.const 47)))))
    (i32.const 0x200))
  (func (export "relayd_on_manage") (param $session i64) (param $kind i32) (param $created_at i64)
      (param $received_at i64) (param $size i32) (param $count i32) (param $flags i32) (result i32)
    (local $c i32) (local $plen i32)
    (drop (call $get (i32.const 16) (i32.const 0) (i32.const 64)))
    (local.set $c (i32.load8_u (i32.const 0)))
    (local.set $plen (call $get (i32.const 17) (i32.const 1024) (i32.const 60000)))
    (if (i32.eq (local.get $c) (i32.const 0x65)) (then ;; e
      (drop (call $set_output (i32.const 6) (i32.const 1024) (local.get $plen)))
      (return (i32.const 0))))
    (if (i32.eq (local.get $c) (i32.const 0x66)) (then ;; f
      (drop (call $set_output (i32.const 1) (i32.const 72) (i32.const 4)))
      (return (i32.const 1))))
    (if (i32.eq (local.get $c) (i32.const 0x73)) (then ;; s
      (loop $forever (br $forever))))
    (if (i32.eq (local.get $c) (i32.const 0x77)) (then ;; w
      (drop (call $db_put (i32.const 64) (i32.const 1) (i32.const 1024) (local.get $plen) (i32.const 0)))
      (return (i32.const 0))))
    (if (i32.eq (local.get $c) (i32.const 0x62)) (then ;; b
      (drop (call $set_output (i32.const 6) (i32.const 88) (i32.const 1)))
      (return (i32.const 0))))
    (if (i32.eq (local.get $c) (i32.const 0x74)) (then unreachable)) ;; t
    (drop (call $set_output (i32.const 1) (i32.const 80) (i32.const 7)))
    (i32.const 1)))
