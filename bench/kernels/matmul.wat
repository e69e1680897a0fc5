;; Dense f64 matrix multiply over linear memory: C = A * B + C / 2, reps times.
;; A, B and C are n x n, row-major, at 0, 8n^2 and 16n^2. run(n, reps) returns the
;; sum of C's elements. Loads, stores, f64 multiply-add, address arithmetic.
(module
  (memory 64)  ;; 4 MiB: n <= 418
  (func (export "run") (param $n i32) (param $reps i32) (result f64)
    (local $i i32) (local $j i32) (local $k i32)
    (local $b i32) (local $c i32) (local $row i32) (local $pa i32) (local $pb i32)
    (local $stride i32) (local $acc f64) (local $sum f64)
    (local.set $stride (i32.shl (local.get $n) (i32.const 3)))
    (local.set $b (i32.mul (local.get $stride) (local.get $n)))
    (local.set $c (i32.shl (local.get $b) (i32.const 1)))
    ;; A[i][j] = ((3i + 7j) mod 17) / 4 - 2, B[i][j] = 1 / (i + j + 1), C = 0
    (local.set $i (i32.const 0))
    (loop $init_i
      (local.set $j (i32.const 0))
      (loop $init_j
        (local.set $k
          (i32.shl
            (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j))
            (i32.const 3)))
        (f64.store (local.get $k)
          (f64.sub
            (f64.mul
              (f64.convert_i32_u
                (i32.rem_u
                  (i32.add (i32.mul (local.get $i) (i32.const 3))
                           (i32.mul (local.get $j) (i32.const 7)))
                  (i32.const 17)))
              (f64.const 0.25))
            (f64.const 2)))
        (f64.store (i32.add (local.get $b) (local.get $k))
          (f64.div (f64.const 1)
            (f64.convert_i32_u
              (i32.add (i32.add (local.get $i) (local.get $j)) (i32.const 1)))))
        (f64.store (i32.add (local.get $c) (local.get $k)) (f64.const 0))
        (br_if $init_j
          (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $n))))
      (br_if $init_i
        (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (loop $rep
      (local.set $i (i32.const 0))
      (loop $li
        (local.set $row (i32.mul (local.get $i) (local.get $stride)))
        (local.set $j (i32.const 0))
        (loop $lj
          (local.set $acc (f64.const 0))
          (local.set $pa (local.get $row))
          (local.set $pb (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 3))))
          (local.set $k (i32.const 0))
          (loop $lk
            (local.set $acc
              (f64.add (local.get $acc)
                (f64.mul (f64.load (local.get $pa)) (f64.load (local.get $pb)))))
            (local.set $pa (i32.add (local.get $pa) (i32.const 8)))
            (local.set $pb (i32.add (local.get $pb) (local.get $stride)))
            (br_if $lk
              (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $n))))
          (local.set $pa
            (i32.add (i32.add (local.get $c) (local.get $row))
                     (i32.shl (local.get $j) (i32.const 3))))
          (f64.store (local.get $pa)
            (f64.add (local.get $acc) (f64.mul (f64.load (local.get $pa)) (f64.const 0.5))))
          (br_if $lj
            (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $n))))
        (br_if $li
          (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
      (br_if $rep (local.tee $reps (i32.sub (local.get $reps) (i32.const 1)))))
    ;; checksum
    (local.set $k (i32.const 0))
    (loop $s
      (local.set $sum
        (f64.add (local.get $sum) (f64.load (i32.add (local.get $c) (local.get $k)))))
      (br_if $s (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 8))) (local.get $b))))
    (local.get $sum)))
