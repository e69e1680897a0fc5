"""A stand-in for ``wazaot.Runtime`` that executes with wasmtime (tests only).

It proves the spec harness's execution path before wazaot can run code: modules
are compiled by wazaot (decode + validate) *and* by wasmtime, and instantiation,
calls, registration, host functions, traps and link errors go through wasmtime,
converted to the raw value encoding and the exceptions of wazaot's API.

Limitations of wasmtime's Python API, not of the harness: no v128 values across
calls, and f32/f64 values cross as Python floats, so a signalling NaN's payload may
not survive. Use it on scripts without those.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import wasmtime

from wazaot import LinkError, Runtime, Trap
from wazaot.api import ValueType, decode_f32, decode_f64, encode_f32, encode_f64

_KIND = {
    "i32": ValueType.I32,
    "i64": ValueType.I64,
    "f32": ValueType.F32,
    "f64": ValueType.F64,
    "v128": ValueType.V128,
    "funcref": ValueType.FUNCREF,
    "externref": ValueType.EXTERNREF,
    "anyref": ValueType.EXTERNREF,  # how wasmtime-py prints externref
}


def _vt(valtype: wasmtime.ValType) -> ValueType:
    return _KIND[str(valtype)]


def _to_val(vt: ValueType, raw: int) -> wasmtime.Val:
    if vt == ValueType.I32:
        return wasmtime.Val.i32(raw - (1 << 32) if raw >= 1 << 31 else raw)
    if vt == ValueType.I64:
        return wasmtime.Val.i64(raw - (1 << 64) if raw >= 1 << 63 else raw)
    if vt == ValueType.F32:
        return wasmtime.Val.f32(decode_f32(raw))
    if vt == ValueType.F64:
        return wasmtime.Val.f64(decode_f64(raw))
    if vt == ValueType.EXTERNREF:
        return wasmtime.Val.externref(None if raw == 0 else raw)
    if vt == ValueType.FUNCREF:
        if raw != 0:
            raise NotImplementedError("non-null funcref arguments")
        return wasmtime.Val.funcref(None)
    raise NotImplementedError(f"{vt} values through wasmtime's Python API")


def _from_value(vt: ValueType, value: Any) -> int:
    if isinstance(value, wasmtime.Val):
        value = value.value
    if vt == ValueType.I32:
        return value & 0xFFFF_FFFF
    if vt == ValueType.I64:
        return value & 0xFFFF_FFFF_FFFF_FFFF
    if vt == ValueType.F32:
        return encode_f32(value)
    if vt == ValueType.F64:
        return encode_f64(value)
    if vt == ValueType.EXTERNREF:
        return 0 if value is None else int(value)
    if vt == ValueType.FUNCREF:
        return 0 if value is None else 1
    raise NotImplementedError(f"{vt} values through wasmtime's Python API")


def _translate(exc: Exception) -> Exception:
    message = str(exc)
    if isinstance(exc, wasmtime.Trap) or "wasm trap" in message:
        return Trap(message)
    if "import" in message:
        return LinkError(message)
    return exc


class WtFunction:
    def __init__(self, store: wasmtime.Store, func: wasmtime.Func) -> None:
        self.store = store
        self.func = func
        ty = func.type(store)
        self.params = [_vt(p) for p in ty.params]
        self.results = [_vt(r) for r in ty.results]

    def call(self, *raw: int) -> list[int]:
        args = [_to_val(vt, r) for vt, r in zip(self.params, raw)]
        try:
            out = self.func(self.store, *args)
        except (wasmtime.Trap, wasmtime.WasmtimeError) as exc:
            raise _translate(exc) from exc
        values = list(out) if len(self.results) > 1 else [out] if self.results else []
        return [_from_value(vt, v) for vt, v in zip(self.results, values)]


class WtGlobal:
    def __init__(self, store: wasmtime.Store, glob: wasmtime.Global) -> None:
        self.store = store
        self.glob = glob

    def get(self) -> int:
        return _from_value(_vt(self.glob.type(self.store).content), self.glob.value(self.store))


class WtInstance:
    def __init__(self, store: wasmtime.Store, instance: wasmtime.Instance) -> None:
        self.store = store
        self.instance = instance
        self.exports = instance.exports(store)

    def exported_function(self, name: str) -> WtFunction | None:
        ext = self.exports.get(name)
        return WtFunction(self.store, ext) if isinstance(ext, wasmtime.Func) else None

    def exported_global(self, name: str) -> WtGlobal | None:
        ext = self.exports.get(name)
        return WtGlobal(self.store, ext) if isinstance(ext, wasmtime.Global) else None


class WtHostModuleBuilder:
    def __init__(self, rt: WasmtimeRuntime, name: str) -> None:
        self.rt = rt
        self.name = name
        self.functions: list[tuple[str, Callable[..., Any], list[ValueType], list[ValueType]]] = []

    def function(
        self,
        name: str,
        fn: Callable[..., Any],
        params: Sequence[ValueType] = (),
        results: Sequence[ValueType] = (),
    ) -> WtHostModuleBuilder:
        self.functions.append((name, fn, list(params), list(results)))
        return self

    def instantiate(self) -> None:
        for name, fn, params, results in self.functions:
            ty = wasmtime.FuncType([_valtype(p) for p in params], [_valtype(r) for r in results])

            def wrapper(
                *args: Any, _fn: Callable[..., Any] = fn, _params: list[ValueType] = params
            ) -> Any:
                return _fn(None, *(_from_value(vt, a) for vt, a in zip(_params, args)))

            self.rt.linker.define_func(self.name, name, ty, wrapper)


def _valtype(vt: ValueType) -> wasmtime.ValType:
    return {
        ValueType.I32: wasmtime.ValType.i32,
        ValueType.I64: wasmtime.ValType.i64,
        ValueType.F32: wasmtime.ValType.f32,
        ValueType.F64: wasmtime.ValType.f64,
        ValueType.FUNCREF: wasmtime.ValType.funcref,
        ValueType.EXTERNREF: wasmtime.ValType.externref,
    }[vt]()


class WasmtimeRuntime:
    """The subset of ``wazaot.Runtime`` the spec harness uses, executing with wasmtime."""

    def __init__(self) -> None:
        self.wazaot = Runtime()
        self.engine = wasmtime.Engine()
        self.store = wasmtime.Store(self.engine)
        self.linker = wasmtime.Linker(self.engine)
        self.linker.allow_shadowing = True

    def compile(self, data: bytes) -> wasmtime.Module:
        self.wazaot.compile(data)
        return wasmtime.Module(self.engine, data)

    def instantiate(self, module: wasmtime.Module, name: str | None = None) -> WtInstance:
        try:
            instance = self.linker.instantiate(self.store, module)
        except (wasmtime.Trap, wasmtime.WasmtimeError) as exc:
            raise _translate(exc) from exc
        return WtInstance(self.store, instance)

    def register(self, alias: str, module: WtInstance) -> None:
        self.linker.define_instance(self.store, alias, module.instance)

    def new_host_module_builder(self, name: str) -> WtHostModuleBuilder:
        return WtHostModuleBuilder(self, name)

    def close(self) -> None:
        self.wazaot.close()
