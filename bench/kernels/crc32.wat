;; Bitwise CRC-32 (IEEE, reflected, polynomial 0xEDB88320): shifts, masks and xors.
;; run(len, reps) fills len bytes with an LCG and returns the CRC-32 of those bytes
;; repeated reps times (equal to zlib.crc32(buffer * reps)).
(module
  (memory 1)  ;; len <= 65536
  (func (export "run") (param $len i32) (param $reps i32) (result i32)
    (local $i i32) (local $crc i32) (local $k i32) (local $seed i32)
    (local.set $seed (i32.const 12345))
    (loop $fill
      (local.set $seed
        (i32.add (i32.mul (local.get $seed) (i32.const 1103515245)) (i32.const 12345)))
      (i32.store8 (local.get $i) (i32.shr_u (local.get $seed) (i32.const 16)))
      (br_if $fill
        (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $len))))
    (local.set $crc (i32.const -1))
    (loop $rep
      (local.set $i (i32.const 0))
      (loop $bytes
        (local.set $crc (i32.xor (local.get $crc) (i32.load8_u (local.get $i))))
        (local.set $k (i32.const 8))
        (loop $bits
          (local.set $crc
            (i32.xor
              (i32.shr_u (local.get $crc) (i32.const 1))
              (i32.and
                (i32.const 0xEDB88320)
                (i32.sub (i32.const 0) (i32.and (local.get $crc) (i32.const 1))))))
          (br_if $bits (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))
        (br_if $bytes
          (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $len))))
      (br_if $rep (local.tee $reps (i32.sub (local.get $reps) (i32.const 1)))))
    (i32.xor (local.get $crc) (i32.const -1))))
