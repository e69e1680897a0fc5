;; The example of wazaot's README. Regenerate add.wasm with:
;;   wat2wasm --debug-names examples/add.wat -o examples/add.wasm
(module $add
  (memory (export "memory") 1)
  (global $calls (export "calls") (mut i32) (i32.const 0))

  ;; a + b, counting the calls in the exported global "calls"
  (func $add (export "add") (param $a i32) (param $b i32) (result i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (i32.add (local.get $a) (local.get $b)))

  ;; n! by a loop, on i64
  (func $factorial (export "factorial") (param $n i64) (result i64)
    (local $acc i64)
    (local.set $acc (i64.const 1))
    (block $done
      (loop $next
        (br_if $done (i64.le_s (local.get $n) (i64.const 1)))
        (local.set $acc (i64.mul (local.get $acc) (local.get $n)))
        (local.set $n (i64.sub (local.get $n) (i64.const 1)))
        (br $next)))
    (local.get $acc)))
