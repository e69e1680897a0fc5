;; Collatz total stopping times with i64 arithmetic: branchy loop with i64 shifts,
;; multiplies, compares and a population count. run(n) = sum over k in [1, n] of
;; (steps to reach 1 from k) + popcnt(k).
(module
  (func (export "run") (param $n i64) (result i64)
    (local $k i64) (local $x i64) (local $total i64)
    (local.set $k (i64.const 1))
    (block $done
      (loop $each
        (br_if $done (i64.gt_u (local.get $k) (local.get $n)))
        (local.set $x (local.get $k))
        (local.set $total (i64.add (local.get $total) (i64.popcnt (local.get $k))))
        (block $one
          (loop $step
            (br_if $one (i64.eq (local.get $x) (i64.const 1)))
            (if (i64.eqz (i64.and (local.get $x) (i64.const 1)))
              (then (local.set $x (i64.shr_u (local.get $x) (i64.const 1))))
              (else
                (local.set $x
                  (i64.add (i64.mul (local.get $x) (i64.const 3)) (i64.const 1)))))
            (local.set $total (i64.add (local.get $total) (i64.const 1)))
            (br $step)))
        (local.set $k (i64.add (local.get $k) (i64.const 1)))
        (br $each)))
    (local.get $total)))
