;; soch_init sets a global that calls read back: proves init runs once per instance.
(module
  (global $ready (mut i32) (i32.const 0))
  (func (export "soch_init") (result i32) i32.const 42 global.set $ready i32.const 0)
  (func (export "ready") (result i32) global.get $ready)
  (func (export "crash") unreachable))
