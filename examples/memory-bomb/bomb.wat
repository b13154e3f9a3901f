(module
  (memory (export "memory") 1)
  (func (export "explode")
    (loop $more
      (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1)) (then unreachable))
      (br $more))))
