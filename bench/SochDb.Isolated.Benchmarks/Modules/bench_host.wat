;; The host-call benchmark module: ping(n) makes n emit_metric host calls (the cheapest host function: a counter
;; update on the supervisor's side, audited like every other) and returns the sum of their statuses (0 when all succeed).
(module
  (import "sochdb" "emit_metric" (func $metric (param i32 i32 i32 f64) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hits")

  (func (export "ping") (param $n i32) (result i32)
    (local $i i32) (local $sum i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $sum (i32.add (local.get $sum) (call $metric (i32.const 0) (i32.const 16) (i32.const 4) (f64.const 1))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $sum))
)
