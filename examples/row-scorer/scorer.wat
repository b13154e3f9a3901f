;; score(views, likes, age_hours) = (likes * 3 + views) / (age_hours + 2)^1.5
(module
  (func (export "score") (param $views i64) (param $likes i64) (param $age f64) (result f64)
    (local $base f64)
    (local.set $base (f64.add (f64.convert_i64_s (local.get $views))
                              (f64.mul (f64.convert_i64_s (local.get $likes)) (f64.const 3))))
    (f64.div (local.get $base)
             (f64.mul (f64.add (local.get $age) (f64.const 2))
                      (f64.sqrt (f64.add (local.get $age) (f64.const 2)))))))
