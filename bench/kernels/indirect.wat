;; call_indirect dispatch through a table of eight small functions of one type,
;; chosen by the loop counter and the accumulator. run(n) folds n calls.
(module
  (type $op (func (param i32 i32) (result i32)))
  (table funcref (elem $add $sub $xor $mul $rotl $rotr $mix $avg))
  (func $add (type $op) (i32.add (local.get 0) (local.get 1)))
  (func $sub (type $op) (i32.sub (local.get 0) (local.get 1)))
  (func $xor (type $op) (i32.xor (local.get 0) (i32.mul (local.get 1) (i32.const 0x9E3779B9))))
  (func $mul (type $op) (i32.mul (local.get 0) (i32.or (local.get 1) (i32.const 1))))
  (func $rotl (type $op) (i32.rotl (local.get 0) (local.get 1)))
  (func $rotr (type $op) (i32.add (i32.rotr (local.get 0) (i32.const 7)) (local.get 1)))
  (func $mix (type $op)
    (i32.xor (local.get 0) (i32.shr_u (local.get 0) (i32.const 13))))
  (func $avg (type $op)
    (i32.add (i32.shr_u (i32.add (local.get 0) (local.get 1)) (i32.const 1)) (i32.const 3)))
  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (local.set $acc (i32.const 1))
    (loop $l
      (local.set $acc
        (call_indirect (type $op)
          (local.get $acc) (local.get $i)
          (i32.and (i32.xor (local.get $i) (i32.shr_u (local.get $acc) (i32.const 29)))
                   (i32.const 7))))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.get $acc)))
