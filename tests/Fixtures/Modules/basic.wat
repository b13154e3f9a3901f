;; The test workhorse: numbers, buffers, state, a host call, and every way to misbehave.
(module
  (import "sochdb" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (global $counter (mut i32) (i32.const 0))
  (global $frees (mut i32) (i32.const 0))
  (data (i32.const 16) "hello from wasm")

  ;; Bump allocator: grows memory when needed, never frees.
  (func $alloc (export "soch_alloc") (param $len i32) (result i32)
    (local $ptr i32) (local $end i32)
    global.get $heap
    local.set $ptr
    local.get $ptr
    local.get $len
    i32.add
    local.set $end
    (block $ok
      (loop $grow
        local.get $end
        memory.size
        i32.const 65536
        i32.mul
        i32.le_u
        br_if $ok
        (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1)) (then unreachable))
        br $grow))
    local.get $end
    global.set $heap
    local.get $ptr)
  (func (export "soch_free") (param i32 i32)
    global.get $frees i32.const 1 i32.add global.set $frees)
  (func (export "frees") (result i32) global.get $frees)

  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "add64") (param i64 i64) (result i64) local.get 0 local.get 1 i64.add)
  (func (export "mulf32") (param f32 f32) (result f32) local.get 0 local.get 1 f32.mul)
  (func (export "mulf64") (param f64 f64) (result f64) local.get 0 local.get 1 f64.mul)
  (func (export "pair") (param i32) (result i32 i64) local.get 0 local.get 0 i64.extend_i32_s i64.const 1 i64.add)
  (func (export "nothing"))

  ;; echo(bytes) -> bytes: returns its input buffer, packed as (ptr << 32) | len.
  (func (export "echo") (param $ptr i32) (param $len i32) (result i64)
    local.get $ptr i64.extend_i32_u i64.const 32 i64.shl
    local.get $len i64.extend_i32_u i64.or)

  ;; upper(string) -> string: ASCII upper-case in place.
  (func (export "upper") (param $ptr i32) (param $len i32) (result i64)
    (local $i i32) (local $c i32)
    (block $done
      (loop $next
        local.get $i local.get $len i32.ge_u br_if $done
        local.get $ptr local.get $i i32.add i32.load8_u local.set $c
        (if (i32.and (i32.ge_u (local.get $c) (i32.const 97)) (i32.le_u (local.get $c) (i32.const 122)))
          (then (i32.store8 (i32.add (local.get $ptr) (local.get $i)) (i32.sub (local.get $c) (i32.const 32)))))
        local.get $i i32.const 1 i32.add local.set $i
        br $next))
    local.get $ptr i64.extend_i32_u i64.const 32 i64.shl
    local.get $len i64.extend_i32_u i64.or)

  ;; len(bytes) -> i32
  (func (export "len") (param i32 i32) (result i32) local.get 1)

  ;; A buffer that points past the end of memory.
  (func (export "bad_buffer") (result i64) i64.const 0x7fff000000000010)

  ;; State that survives calls but not a trap.
  (func (export "count") (result i32)
    global.get $counter i32.const 1 i32.add global.set $counter global.get $counter)

  (func (export "spin") (loop $l br $l))
  (func (export "spin_bytes") (param i32 i32) (result i64) (loop $l br $l) i64.const 0)
  (func (export "burn") (param $n i32) (result i32)
    (block $done (loop $l
      local.get $n i32.eqz br_if $done
      local.get $n i32.const 1 i32.sub local.set $n
      br $l))
    i32.const 7)
  (func (export "bomb")
    (loop $l
      (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1)) (then unreachable))
      br $l))
  (func $recurse (export "recurse") (param i32) (result i32)
    local.get 0 i32.const 1 i32.add call $recurse)
  (func (export "crash") unreachable)
  (func (export "divide") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)

  (func (export "log_hello")
    i32.const 1 i32.const 16 i32.const 15 call $log)
  (func (export "log_bad")
    i32.const 2 i32.const 65530 i32.const 100 call $log)
)
