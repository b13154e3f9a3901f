;; A plugin whose soch_alloc has the wrong result type: passing it a buffer must fail that call alone.
(module
  (memory (export "memory") 1)
  (func (export "soch_alloc") (param i32) (result i64) i64.const 1099511627776)
  (func (export "len") (param i32 i32) (result i32) local.get 1)
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
)
