;; Byte-at-a-time memory work: copy a buffer byte by byte with a rotating xor into a
;; second buffer, then FNV-1a hash the copy; reps times (each round reads the last
;; round's output). run(len, reps) returns the final hash.
(module
  (memory 4)  ;; 256 KiB: len <= 131072
  (func (export "run") (param $len i32) (param $reps i32) (result i32)
    (local $i i32) (local $h i32) (local $src i32) (local $dst i32) (local $t i32)
    (local.set $dst (local.get $len))
    ;; source: i * 31 mod 256
    (loop $fill
      (i32.store8 (local.get $i) (i32.mul (local.get $i) (i32.const 31)))
      (br_if $fill
        (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $len))))
    (local.set $h (i32.const 0x811C9DC5))
    (loop $rep
      (local.set $i (i32.const 0))
      (loop $copy
        (i32.store8 (i32.add (local.get $dst) (local.get $i))
          (i32.xor (i32.load8_u (i32.add (local.get $src) (local.get $i)))
                   (i32.add (local.get $i) (local.get $reps))))
        (br_if $copy
          (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $len))))
      (local.set $i (i32.const 0))
      (loop $hash
        (local.set $h
          (i32.mul
            (i32.xor (local.get $h) (i32.load8_u (i32.add (local.get $dst) (local.get $i))))
            (i32.const 16777619)))
        (br_if $hash
          (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $len))))
      ;; swap the buffers
      (local.set $t (local.get $src))
      (local.set $src (local.get $dst))
      (local.set $dst (local.get $t))
      (br_if $rep (local.tee $reps (i32.sub (local.get $reps) (i32.const 1)))))
    (local.get $h)))
