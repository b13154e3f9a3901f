;; lookup(row) -> bytes: the customers row, through sochdb.read.
;; peek_secret(row) -> i64: the raw status of reading table "secrets" (the manifest does not grant it: -1).
(module
  (import "sochdb" "read" (func $read (param i32 i32 i64) (result i64)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (data (i32.const 16) "customers")
  (data (i32.const 32) "secrets")
  (func (export "soch_alloc") (param $len i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $len)))
    (block $ok (loop $grow
      (br_if $ok (i32.le_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536))))
      (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1)) (then unreachable))
      (br $grow)))
    (local.get $p))
  (func (export "lookup") (param $row i64) (result i64)
    (call $read (i32.const 16) (i32.const 9) (local.get $row)))
  (func (export "peek_secret") (param $row i64) (result i64)
    (call $read (i32.const 32) (i32.const 7) (local.get $row))))
