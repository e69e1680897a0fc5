;; a direct call, a call_indirect and a select
(module
  (type $binop (func (param i32 i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $max)
  (func $max (param i32 i32) (result i32)
    (select (local.get 0) (local.get 1) (i32.gt_s (local.get 0) (local.get 1))))
  (func $apply (export "apply") (param i32 i32 i32) (result i32)
    (i32.add
      (call $max (local.get 0) (local.get 1))
      (call_indirect (type $binop) (local.get 0) (local.get 1) (local.get 2)))))
