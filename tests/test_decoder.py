"""The decoder's inline LEB128 fast paths agree with the exact encoding rules.

Constants and indices are read inline in the decoding loop when they are shorter
than the maximum length; the maximum-length and malformed forms go through
``Reader``. Both must give the same values and errors, for minimal and padded
(non-minimal) encodings alike.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spec import wasmgen as w

from wazaot.errors import DecodeError
from wazaot.wasm.decoder import _Decoder, decode_module
from wazaot.wasm.module import ConstExpr
from wazaot.wasm.opcodes import OP
from wazaot.wasm.reader import Reader


def sleb(value: int, length: int | None = None) -> bytes:
    """Signed LEB128 of ``value``, padded (non-minimal) to ``length`` bytes if given."""
    out = bytearray(w.sleb(value))
    if length is not None and len(out) < length:
        pad = 0x7F if out[-1] & 0x40 else 0x00
        out[-1] |= 0x80
        out += bytes([pad | 0x80] * (length - len(out) - 1)) + bytes([pad])
    return bytes(out)


uleb = w.uleb


def module_with_body(body: bytes, result: int) -> bytes:
    func = bytes([0]) + body + bytes([0x0B])  # no locals
    code = uleb(len(func)) + func
    sections = [
        (1, bytes([1, 0x60, 0, 1, result])),  # type: [] -> [result]
        (3, bytes([1, 0])),
        (10, bytes([1]) + code),
    ]
    out = b"\x00asm\x01\x00\x00\x00"
    for sid, payload in sections:
        out += bytes([sid]) + uleb(len(payload)) + payload
    return out


def const_of(data: bytes) -> int:
    body = decode_module(data).codes[0].body
    return body[0][1]


@settings(max_examples=300, deadline=None)
@given(st.integers(-(2**31), 2**31 - 1), st.integers(1, 5))
def test_i32_const(value: int, length: int) -> None:
    enc = sleb(value, max(length, len(sleb(value))))
    data = module_with_body(bytes([OP["i32.const"]]) + enc, 0x7F)
    assert const_of(data) == value & 0xFFFF_FFFF


@settings(max_examples=300, deadline=None)
@given(st.integers(-(2**63), 2**63 - 1), st.integers(1, 10))
def test_i64_const(value: int, length: int) -> None:
    enc = sleb(value, max(length, len(sleb(value))))
    data = module_with_body(bytes([OP["i64.const"]]) + enc, 0x7E)
    assert const_of(data) == value & 0xFFFF_FFFF_FFFF_FFFF


@pytest.mark.parametrize("opcode,payload,message", [
    ("i32.const", b"\x80\x80\x80\x80\x80\x00", "integer representation too long"),
    ("i32.const", b"\x80\x80\x80\x80\x70", "integer too large"),
    ("i64.const", b"\x80" * 10 + b"\x00", "integer representation too long"),
    ("i64.const", b"\x80" * 9 + b"\x02", "integer too large"),
])  # fmt: skip
def test_malformed_constants(opcode: str, payload: bytes, message: str) -> None:
    vt = 0x7F if opcode.startswith("i32") else 0x7E
    with pytest.raises(DecodeError, match=message):
        decode_module(module_with_body(bytes([OP[opcode]]) + payload, vt))


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_local_index(index: int) -> None:
    # local.get with any index decodes to that index (validation would reject it).
    data = module_with_body(bytes([OP["local.get"]]) + uleb(index), 0x7F)
    assert const_of(data) == index


def test_constant_expression_fast_path_matches_the_general_decoder() -> None:
    # const_expr reads "i32.const <LEB of up to 4 bytes> end" inline; whatever the
    # bytes, it must give what the general instruction loop gives (or its error).
    rng = random.Random(7)
    for _ in range(20_000):
        n = rng.randrange(1, 8)
        body = bytes([0x41]) + bytes(rng.choice([0x00, 0x0B, 0x40, 0x7F, 0x80, 0xC0, 0xFF,
                                                 rng.randrange(256)]) for _ in range(n))  # fmt: skip
        data = body + bytes(rng.randrange(3))
        outcomes = []
        for fast in (True, False):
            r = Reader(data, 0, len(data), "unexpected end of section or function")
            d = _Decoder(data)
            try:
                expr = d.const_expr(r) if fast else ConstExpr(d.instructions(r, None), 0)
                outcomes.append((expr.instrs, r.pos))
            except DecodeError as e:
                outcomes.append((str(e), e.offset))
        assert outcomes[0] == outcomes[1], data.hex()
