;; The benchmark module: a trivial numeric export, a CPU-bound loop and a bytes echo, with no imports.
(module
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))

  ;; Bump allocator that grows memory when needed. The worker frees every returned buffer, and the benchmark has at
  ;; most one buffer live at a time, so soch_free simply rewinds the arena: memory stays bounded over any run length.
  (func (export "soch_alloc") (param $len i32) (result i32)
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
    i32.const 1024
    global.set $heap)

  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)

  ;; work(n) -> i32: a CPU-bound call, n rounds of a loop; returns the wrapping sum 0 + 1 + ... + (n - 1) so the loop
  ;; has a result to check and cannot be dropped.
  (func (export "work") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done
      (loop $next
        local.get $i
        local.get $n
        i32.ge_u
        br_if $done
        local.get $acc
        local.get $i
        i32.add
        local.set $acc
        local.get $i
        i32.const 1
        i32.add
        local.set $i
        br $next))
    local.get $acc)

  ;; spin() never returns: only the epoch deadline (or, for a stopped worker, the supervisor's kill) ends it.
  (func (export "spin") (loop $forever br $forever))

  ;; echo(bytes) -> bytes: returns its input buffer, packed as (ptr << 32) | len.
  (func (export "echo") (param $ptr i32) (param $len i32) (result i64)
    local.get $ptr i64.extend_i32_u i64.const 32 i64.shl
    local.get $len i64.extend_i32_u i64.or)
)
