;; memory.copy and memory.fill inline: bounds checks, then rep movsb / rep stosb
(module
  (memory 1)
  (func $copy (export "copy") (param $d i32) (param $s i32) (param $n i32)
    (memory.copy (local.get $d) (local.get $s) (local.get $n)))
  (func $fill (export "fill") (param $d i32) (param $n i32)
    (memory.fill (local.get $d) (i32.const 0) (local.get $n))))
