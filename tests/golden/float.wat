;; float arithmetic, min (with its NaN and signed-zero rules), a checked conversion
(module
  (func $f (export "f") (param f64 f64) (result i32)
    (i32.trunc_f64_s (f64.min (f64.mul (local.get 0) (local.get 1)) (f64.const 100)))))
