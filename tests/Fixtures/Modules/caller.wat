;; Plugin-to-plugin calls. call_named(plugin, function, input) returns call_plugin's raw result (a packed buffer or a
;; status); bounce(input) calls "ping".bounce with its input and returns whatever comes back.
(module
  (import "sochdb" "call_plugin" (func $call (param i32 i32 i32 i32 i32 i32) (result i64)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (data (i32.const 16) "ping")
  (data (i32.const 32) "bounce")
  (func (export "soch_alloc") (param $len i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $len)))
    (block $ok (loop $grow
      (br_if $ok (i32.le_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536))))
      (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1)) (then unreachable))
      (br $grow)))
    (local.get $p))
  (func (export "call_named") (param $p i32) (param $pl i32) (param $f i32) (param $fl i32) (param $i i32) (param $il i32) (result i64)
    (call $call (local.get $p) (local.get $pl) (local.get $f) (local.get $fl) (local.get $i) (local.get $il)))
  (func (export "bounce") (param $i i32) (param $il i32) (result i64)
    (call $call (i32.const 16) (i32.const 4) (i32.const 32) (i32.const 6) (local.get $i) (local.get $il))))
