;; Table hooks: (table_ptr, table_len, row_id, row_ptr, row_len) -> 0 continue | packed row replaces | <0 aborts.
(module
  (import "sochdb" "write" (func $write (param i32 i32 i64 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (data (i32.const 16) "hook_log")
  (data (i32.const 32) "users")
  (func (export "soch_alloc") (param $len i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $len)))
    (block $ok (loop $grow
      (br_if $ok (i32.le_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536))))
      (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1)) (then unreachable))
      (br $grow)))
    (local.get $p))
  ;; Upper-cases the row in place and returns it.
  (func (export "upper_hook") (param i32 i32) (param $row i64) (param $ptr i32) (param $len i32) (result i64)
    (local $i i32) (local $c i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
      (local.set $c (i32.load8_u (i32.add (local.get $ptr) (local.get $i))))
      (if (i32.and (i32.ge_u (local.get $c) (i32.const 97)) (i32.le_u (local.get $c) (i32.const 122)))
        (then (i32.store8 (i32.add (local.get $ptr) (local.get $i)) (i32.sub (local.get $c) (i32.const 32)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32)) (i64.extend_i32_u (local.get $len))))
  ;; Refuses rows that start with 'X'.
  (func (export "veto_hook") (param i32 i32 i64) (param $ptr i32) (param $len i32) (result i64)
    (if (result i64) (i32.and (i32.gt_u (local.get $len) (i32.const 0)) (i32.eq (i32.load8_u (local.get $ptr)) (i32.const 88)))
      (then (i64.const -1)) (else (i64.const 0))))
  (func (export "crash_hook") (param i32 i32 i64 i32 i32) (result i64) unreachable)
  ;; After a write: copies the row into hook_log under the same id.
  (func (export "log_after") (param i32 i32) (param $row i64) (param $ptr i32) (param $len i32) (result i64)
    (drop (call $write (i32.const 16) (i32.const 8) (local.get $row) (local.get $ptr) (local.get $len)))
    (i64.const 0))
  ;; A plain export that writes to users itself.
  (func (export "put_user") (param $row i64) (param $ptr i32) (param $len i32) (result i32)
    (call $write (i32.const 32) (i32.const 5) (local.get $row) (local.get $ptr) (local.get $len))))
