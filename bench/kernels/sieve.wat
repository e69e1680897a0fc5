;; Sieve of Eratosthenes over linear memory (one byte per number), integer loops
;; with byte loads and stores. run(n, reps) = reps * (number of primes below n).
(module
  (memory 16)  ;; 1 MiB: n <= 1048576
  (func (export "run") (param $n i32) (param $reps i32) (result i32)
    (local $i i32) (local $j i32) (local $count i32) (local $total i32)
    (loop $rep
      ;; clear the flags, 4 bytes at a time
      (local.set $i (i32.const 0))
      (block $cleared
        (loop $clear
          (br_if $cleared (i32.ge_u (local.get $i) (local.get $n)))
          (i32.store (local.get $i) (i32.const 0))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br $clear)))
      ;; cross out the multiples of every prime up to sqrt(n)
      (local.set $i (i32.const 2))
      (block $sieved
        (loop $outer
          (br_if $sieved (i32.gt_u (i32.mul (local.get $i) (local.get $i)) (local.get $n)))
          (if (i32.eqz (i32.load8_u (local.get $i)))
            (then
              (local.set $j (i32.mul (local.get $i) (local.get $i)))
              (block $crossed
                (loop $inner
                  (br_if $crossed (i32.ge_u (local.get $j) (local.get $n)))
                  (i32.store8 (local.get $j) (i32.const 1))
                  (local.set $j (i32.add (local.get $j) (local.get $i)))
                  (br $inner)))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $outer)))
      ;; count the primes
      (local.set $count (i32.const 0))
      (local.set $i (i32.const 2))
      (block $counted
        (loop $cnt
          (br_if $counted (i32.ge_u (local.get $i) (local.get $n)))
          (local.set $count
            (i32.add (local.get $count) (i32.eqz (i32.load8_u (local.get $i)))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $cnt)))
      (local.set $total (i32.add (local.get $total) (local.get $count)))
      (br_if $rep (local.tee $reps (i32.sub (local.get $reps) (i32.const 1)))))
    (local.get $total)))
