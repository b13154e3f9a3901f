;; 300 pages (18.75 MiB) of initial memory: more than the default 16 MiB limit.
(module (memory (export "memory") 300) (func (export "noop")))
