;; Mandelbrot set escape times with f64 (registers only, no memory): multiplies,
;; adds, compares and conversions. run(size, max_iter) returns the sum of the
;; escape iterations over a size x size grid of [-2, 0.5] x [-1.25, 1.25].
(module
  (func (export "run") (param $size i32) (param $max i32) (result i32)
    (local $px i32) (local $py i32) (local $it i32) (local $total i32)
    (local $cx f64) (local $cy f64) (local $x f64) (local $y f64)
    (local $xx f64) (local $yy f64) (local $scale f64)
    (local.set $scale (f64.div (f64.const 2.5) (f64.convert_i32_u (local.get $size))))
    (loop $row
      (local.set $cy
        (f64.sub (f64.mul (f64.convert_i32_u (local.get $py)) (local.get $scale))
                 (f64.const 1.25)))
      (local.set $px (i32.const 0))
      (loop $col
        (local.set $cx
          (f64.sub (f64.mul (f64.convert_i32_u (local.get $px)) (local.get $scale))
                   (f64.const 2)))
        (local.set $x (f64.const 0))
        (local.set $y (f64.const 0))
        (local.set $it (i32.const 0))
        (block $escaped
          (loop $iter
            (local.set $xx (f64.mul (local.get $x) (local.get $x)))
            (local.set $yy (f64.mul (local.get $y) (local.get $y)))
            (br_if $escaped (f64.gt (f64.add (local.get $xx) (local.get $yy)) (f64.const 4)))
            (local.set $y
              (f64.add (f64.mul (f64.mul (f64.const 2) (local.get $x)) (local.get $y))
                       (local.get $cy)))
            (local.set $x (f64.add (f64.sub (local.get $xx) (local.get $yy)) (local.get $cx)))
            (br_if $iter
              (i32.lt_u (local.tee $it (i32.add (local.get $it) (i32.const 1)))
                        (local.get $max)))))
        (local.set $total (i32.add (local.get $total) (local.get $it)))
        (br_if $col
          (i32.lt_u (local.tee $px (i32.add (local.get $px) (i32.const 1))) (local.get $size))))
      (br_if $row
        (i32.lt_u (local.tee $py (i32.add (local.get $py) (i32.const 1))) (local.get $size))))
    (local.get $total)))
