;; an i32 add and a mutable global
(module
  (global $calls (mut i32) (i32.const 0))
  (func $add (export "add") (param i32 i32) (result i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (i32.add (local.get 0) (local.get 1))))
