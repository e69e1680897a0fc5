;; Bulk memory: memory.copy of a block between two buffers (with a sliding offset),
;; then memory.fill of a few bytes, reps times. run(len, reps) returns a checksum of
;; bytes sampled from the destination buffer. Measures the bulk-memory path.
(module
  (memory 64)  ;; 4 MiB: len <= 2 MiB - 4096
  (func (export "run") (param $len i32) (param $reps i32) (result i32)
    (local $i i32) (local $r i32) (local $dst i32) (local $sum i32)
    (local.set $dst (i32.add (local.get $len) (i32.const 4096)))
    (loop $fill
      (i32.store8 (local.get $i) (i32.xor (local.get $i) (i32.shr_u (local.get $i) (i32.const 8))))
      (br_if $fill
        (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $len))))
    (loop $rep
      (memory.copy
        (i32.add (local.get $dst) (i32.and (local.get $r) (i32.const 4095)))
        (i32.const 0)
        (local.get $len))
      (memory.fill (i32.and (i32.mul (local.get $r) (i32.const 97)) (i32.const 0xFFFF))
                   (local.get $r) (i32.const 16))
      (local.set $sum
        (i32.add (i32.mul (local.get $sum) (i32.const 31))
                 (i32.load
                   (i32.add
                     (i32.add (local.get $dst) (i32.and (local.get $r) (i32.const 4095)))
                     (i32.and (i32.mul (local.get $r) (i32.const 13)) (i32.const 0xFFFF))))))
      (br_if $rep
        (i32.lt_u (local.tee $r (i32.add (local.get $r) (i32.const 1))) (local.get $reps))))
    (local.get $sum)))
