;; br_table dispatch, like an interpreter's main loop: eight cases chosen by a state
;; derived from the accumulator. run(n) runs n dispatches and returns the accumulator.
(module
  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $state i32) (local $acc i32)
    (local.set $acc (i32.const 0x12345))
    (loop $next
      (block $end
        (block $c7
          (block $c6
            (block $c5
              (block $c4
                (block $c3
                  (block $c2
                    (block $c1
                      (block $c0
                        (br_table $c0 $c1 $c2 $c3 $c4 $c5 $c6 $c7 $c7 (local.get $state)))
                      (local.set $acc (i32.add (local.get $acc) (local.get $i)))
                      (br $end))
                    (local.set $acc (i32.xor (local.get $acc) (i32.shl (local.get $i) (i32.const 5))))
                    (br $end))
                  (local.set $acc (i32.mul (local.get $acc) (i32.const 0x01000193)))
                  (br $end))
                (local.set $acc (i32.rotl (local.get $acc) (i32.const 11)))
                (br $end))
              (local.set $acc (i32.sub (local.get $acc) (i32.const 0x7F4A7C15)))
              (br $end))
            (local.set $acc (i32.xor (local.get $acc) (i32.shr_u (local.get $acc) (i32.const 7))))
            (br $end))
          (local.set $acc (i32.add (local.get $acc) (i32.popcnt (local.get $i))))
          (br $end))
        (local.set $acc (i32.or (i32.and (local.get $acc) (i32.const 0xFFFF0000))
                                (i32.clz (local.get $acc)))))
      (local.set $state
        (i32.and (i32.xor (i32.shr_u (local.get $acc) (i32.const 9)) (local.get $i)) (i32.const 7)))
      (br_if $next (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.get $acc)))
