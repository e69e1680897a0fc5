;; bounds-checked loads and stores
(module
  (memory 1)
  (func $swap (export "swap") (param $a i32) (param $b i32)
    (local $t i32)
    (local.set $t (i32.load (local.get $a)))
    (i32.store (local.get $a) (i32.load offset=8 (local.get $b)))
    (i32.store8 offset=8 (local.get $b) (local.get $t))))
