;; db: drives the durable state functions (db_*) from the test. The event
;; says what to do: its kind is the operation, its content the key (or
;; prefix), its first tag (one element) the value (or db_list's after), its
;; created_at the buffer limit (at most 500) and its received_at db_list's
;; limit. relayd_on_event always rejects (0x101), with a message of the
;; result code (i32, little-endian) followed by the bytes the call wrote
;; into the buffer (get, list, usage).
;;
;; kinds: 1 put, 2 get, 3 delete, 4 list keys, 5 list with values,
;; 6 put if absent, 7 usage, 8 put with an unknown flag, 9 list with an
;; unknown flag, 10 features (the code is the feature bits), and with
;; pointers outside memory: 11 get (key), 12 get (buffer), 13 put (value),
;; 14 list (buffer), 15 usage.
;;
;; relayd_init stores "init" = "1" if absent, to show writes in init work.
(module
  (import "relayd_v1" "get" (func $get (param i32 i32 i32) (result i32)))
  (import "relayd_v1" "get_tag" (func $get_tag (param i32 i32 i32) (result i32)))
  (import "relayd_v1" "set_output" (func $set_output (param i32 i32 i32) (result i32)))
  (import "relayd_v1" "features" (func $features (result i64)))
  (import "relayd_v1" "db_get" (func $db_get (param i32 i32 i32 i32) (result i32)))
  (import "relayd_v1" "db_put" (func $db_put (param i32 i32 i32 i32 i32) (result i32)))
  (import "relayd_v1" "db_delete" (func $db_delete (param i32 i32) (result i32)))
  (import "relayd_v1" "db_list" (func $db_list (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "relayd_v1" "db_usage" (func $db_usage (param i32) (result i32)))
  (memory (export "memory") 1)
  ;; 0: key (content), 512: value (tag 0), 1024: message (code, then
  ;; the buffer at 1028), 2048: "init" and "1".
  (data (i32.const 2048) "init1")
  (func (export "relayd_abi_version") (result i32) i32.const 1)
  (func (export "relayd_init") (result i32)
    (drop (call $db_put (i32.const 2048) (i32.const 4) (i32.const 2052) (i32.const 1) (i32.const 1)))
    (i32.const 8)) ;; the event hook
  (func (export "relayd_on_event") (param $session i64) (param $kind i32) (param $created_at i64)
      (param $received_at i64) (param $size i32) (param $count i32) (param $flags i32) (result i32)
    (local $klen i32) (local $vlen i32) (local $limit i32) (local $rc i32) (local $out i32)
    (local.set $klen (call $get (i32.const 3) (i32.const 0) (i32.const 512)))
    (if (i32.gt_u (local.get $klen) (i32.const 512)) (then (local.set $klen (i32.const 512))))
    (if (i32.gt_s (local.get $count) (i32.const 0))
      (then (local.set $vlen (call $get_tag (i32.const 0) (i32.const 512) (i32.const 512)))))
    (if (i32.gt_u (local.get $vlen) (i32.const 512)) (then (local.set $vlen (i32.const 0))))
    (local.set $limit (i32.wrap_i64 (local.get $created_at)))
    (if (i32.gt_u (local.get $limit) (i32.const 500)) (then (local.set $limit (i32.const 500))))
    (block $done
      (if (i32.eq (local.get $kind) (i32.const 1)) (then
        (local.set $rc (call $db_put (i32.const 0) (local.get $klen) (i32.const 512) (local.get $vlen) (i32.const 0)))
        (br $done)))
      (if (i32.eq (local.get $kind) (i32.const 2)) (then
        (local.set $rc (call $db_get (i32.const 0) (local.get $klen) (i32.const 1028) (local.get $limit)))
        (local.set $out (local.get $rc))
        (br $done)))
      (if (i32.eq (local.get $kind) (i32.const 3)) (then
        (local.set $rc (call $db_delete (i32.const 0) (local.get $klen)))
        (br $done)))
      (if (i32.eq (local.get $kind) (i32.const 4)) (then
        (local.set $rc (call $db_list (i32.const 0) (local.get $klen) (i32.const 512) (local.get $vlen)
          (i32.wrap_i64 (local.get $received_at)) (i32.const 0) (i32.const 1028) (local.get $limit)))
        (local.set $out (local.get $rc))
        (br $done)))
      (if (i32.eq (local.get $kind) (i32.const 5)) (then
        (local.set $rc (call $db_list (i32.const 0) (local.get $klen) (i32.const 512) (local.get $vlen)
          (i32.wrap_i64 (local.get $received_at)) (i32.const 1) (i32.const 1028) (local.get $limit)))
        (local.set $out (local.get $rc))
        (br $done)))
      (if (i32.eq (local.get $kind) (i32.const 6)) (then
        (local.set $rc (call $db_put (i32.const 0) (local.get $klen) (i32.const 512) (local.get $vlen) (i32.const 1)))
        (br $done)))
      (if (i32.eq (local.get $kind) (i32.const 7)) (then
        (local.set $rc (call $db_usage (i32.const 1028)))
        (if (i32.eqz (local.get $rc)) (then (local.set $out (i32.const 32))))
        (br $done)))
      (if (i32.eq (local.get $kind) (i32.const 8)) (then
        (local.set $rc (call $db_put (i32.const 0) (local.get $klen) (i32.const 512) (local.get $vlen) (i32.const 2)))
        (br $done)))
      (if (i32.eq (local.get $kind) (i32.const 9)) (then
        (local.set $rc (call $db_list (i32.const 0) (local.get $klen) (i32.const 512) (local.get $vlen)
          (i32.const 0) (i32.const 2) (i32.const 1028) (local.get $limit)))
        (br $done)))
      (if (i32.eq (local.get $kind) (i32.const 10)) (then
        (local.set $rc (i32.wrap_i64 (call $features)))
        (br $done)))
      (if (i32.eq (local.get $kind) (i32.const 11)) (then
        (local.set $rc (call $db_get (i32.const 65530) (i32.const 10) (i32.const 1028) (local.get $limit)))
        (br $done)))
      (if (i32.eq (local.get $kind) (i32.const 12)) (then
        (local.set $rc (call $db_get (i32.const 0) (local.get $klen) (i32.const 65530) (i32.const 100)))
        (br $done)))
      (if (i32.eq (local.get $kind) (i32.const 13)) (then
        (local.set $rc (call $db_put (i32.const 0) (local.get $klen) (i32.const 65530) (i32.const 100) (i32.const 0)))
        (br $done)))
      (if (i32.eq (local.get $kind) (i32.const 14)) (then
        (local.set $rc (call $db_list (i32.const 0) (local.get $klen) (i32.const 512) (i32.const 0)
          (i32.const 0) (i32.const 0) (i32.const 65530) (i32.const 100)))
        (br $done)))
      (if (i32.eq (local.get $kind) (i32.const 15)) (then
        (local.set $rc (call $db_usage (i32.const 65530)))
        (br $done))))
    ;; only what the call wrote: nothing when the buffer was too small
    (if (i32.or (i32.lt_s (local.get $out) (i32.const 0)) (i32.gt_s (local.get $out) (local.get $limit)))
      (then (local.set $out (i32.const 0))))
    (if (i32.eq (local.get $kind) (i32.const 7)) (then (local.set $out (select (i32.const 32) (i32.const 0) (i32.eqz (local.get $rc))))))
    (i32.store (i32.const 1024) (local.get $rc))
    (drop (call $set_output (i32.const 1) (i32.const 1024) (i32.add (i32.const 4) (local.get $out))))
    (i32.const 0x101)))
