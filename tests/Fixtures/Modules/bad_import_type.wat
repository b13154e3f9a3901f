(module
  (import "sochdb" "log" (func (param i64)))
  (func (export "noop")))
