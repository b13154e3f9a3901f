;; mask_hook(table, row_id, row) -> packed row: masks the characters between the start of the word holding the first
;; '@' and that '@' (keeping the word's first character), in place.
(module
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (func (export "soch_alloc") (param $len i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $len)))
    (block $ok (loop $grow
      (br_if $ok (i32.le_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536))))
      (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1)) (then unreachable))
      (br $grow)))
    (local.get $p))
  (func (export "soch_free") (param i32 i32) (global.set $heap (i32.const 1024)))
  (func (export "mask_hook") (param i32 i32 i64) (param $ptr i32) (param $len i32) (result i64)
    (local $at i32) (local $start i32) (local $c i32)
    ;; find the first '@'
    (local.set $at (i32.const -1))
    (block $found (loop $scan
      (br_if $found (i32.ge_u (local.get $start) (local.get $len)))
      (if (i32.eq (i32.load8_u (i32.add (local.get $ptr) (local.get $start))) (i32.const 64))
        (then (local.set $at (local.get $start)) (br $found)))
      (local.set $start (i32.add (local.get $start) (i32.const 1)))
      (br $scan)))
    (if (i32.gt_s (local.get $at) (i32.const 0)) (then
      ;; walk back to the start of the word (space, '<' or the row start)
      (local.set $start (local.get $at))
      (block $begin (loop $back
        (br_if $begin (i32.eqz (local.get $start)))
        (local.set $c (i32.load8_u (i32.add (local.get $ptr) (i32.sub (local.get $start) (i32.const 1)))))
        (br_if $begin (i32.or (i32.eq (local.get $c) (i32.const 32)) (i32.eq (local.get $c) (i32.const 60))))
        (local.set $start (i32.sub (local.get $start) (i32.const 1)))
        (br $back)))
      ;; mask all but the word's first character
      (local.set $start (i32.add (local.get $start) (i32.const 1)))
      (block $done (loop $mask
        (br_if $done (i32.ge_s (local.get $start) (local.get $at)))
        (i32.store8 (i32.add (local.get $ptr) (local.get $start)) (i32.const 42))
        (local.set $start (i32.add (local.get $start) (i32.const 1)))
        (br $mask)))))
    (i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32)) (i64.extend_i32_u (local.get $len)))))
