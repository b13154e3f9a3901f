;; A second, different module: returns a marker so tests can tell generations apart.
(module
  (memory (export "memory") 1)
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add i32.const 1000 i32.add)
  (func (export "version") (result i32) i32.const 2))
