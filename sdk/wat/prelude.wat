  ;; ---- SochDb.Isolated plugin prelude (ABI: docs/abi.md) ------------------------------------------------------
  ;; Paste inside your (module ...). It declares every host import with its exact type, exports the linear memory
  ;; and a first-fit-free bump allocator (soch_alloc / soch_free) the host uses to pass and return buffers.
  (import "sochdb" "log" (func $soch_log (param i32 i32 i32)))
  (import "sochdb" "read" (func $soch_read (param i32 i32 i64) (result i64)))
  (import "sochdb" "write" (func $soch_write (param i32 i32 i64 i32 i32) (result i32)))
  (import "sochdb" "delete" (func $soch_delete (param i32 i32 i64) (result i32)))
  (import "sochdb" "scan" (func $soch_scan (param i32 i32 i64 i32) (result i64)))
  (import "sochdb" "vector_search" (func $soch_vector_search (param i32 i32 i32 i32 i32) (result i64)))
  (import "sochdb" "index_lookup" (func $soch_index_lookup (param i32 i32 i32 i32 i32) (result i64)))
  (import "sochdb" "emit_metric" (func $soch_emit_metric (param i32 i32 i32 f64) (result i32)))
  (import "sochdb" "get_config" (func $soch_get_config (param i32 i32) (result i64)))
  (import "sochdb" "call_plugin" (func $soch_call_plugin (param i32 i32 i32 i32 i32 i32) (result i64)))
  (memory (export "memory") 1)
  ;; The heap starts at 64 KiB / 16: room below it for your data segments. Move it if yours are larger.
  (global $soch_heap (mut i32) (i32.const 4096))
  (global $soch_live (mut i32) (i32.const 0))

  ;; soch_alloc(len) -> ptr: bump allocation, growing memory a page at a time; traps when the store refuses memory,
  ;; which the host reports as MemoryLimitExceeded.
  (func $soch_alloc (export "soch_alloc") (param $len i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $soch_heap))
    (global.set $soch_heap (i32.and (i32.add (i32.add (global.get $soch_heap) (local.get $len)) (i32.const 7)) (i32.const -8)))
    (global.set $soch_live (i32.add (global.get $soch_live) (i32.const 1)))
    (block $ok (loop $grow
      (br_if $ok (i32.le_u (global.get $soch_heap) (i32.mul (memory.size) (i32.const 65536))))
      (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1)) (then unreachable))
      (br $grow)))
    (local.get $p))

  ;; soch_free(ptr, len): when every buffer handed out is back, the whole heap is reused.
  (func $soch_free (export "soch_free") (param i32 i32)
    (global.set $soch_live (i32.sub (global.get $soch_live) (i32.const 1)))
    (if (i32.le_s (global.get $soch_live) (i32.const 0))
      (then (global.set $soch_live (i32.const 0)) (global.set $soch_heap (i32.const 4096)))))

  ;; Unpacking a buffer result: ptr = (i32.wrap_i64 (i64.shr_u r (i64.const 32))), len = (i32.wrap_i64 r);
  ;; a negative r is a status (-1 denied, -2 not found, -3 invalid, -4 host error, -5 limit, -6 timeout).
  (func $soch_pack (param $ptr i32) (param $len i32) (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32)) (i64.extend_i32_u (local.get $len))))
  ;; ---- end of prelude -----------------------------------------------------------------------------------------
