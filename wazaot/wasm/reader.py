"""A cursor over a wasm binary: LEB128 integers, bytes, names, vectors.

Every read checks its bounds against ``end`` (the end of the enclosing section or
function body) and raises ``DecodeError`` with the spec's words and the byte
offset; nothing here can raise any other exception on any input.

LEB128 rules (binary format, "Integers"): an N-bit integer takes at most
ceil(N / 7) bytes ("integer representation too long" beyond that), and the unused
bits of the last byte must be zero for unsigned and a sign extension for signed
integers ("integer too large" otherwise).
"""

from __future__ import annotations

from ..errors import DecodeError


class Reader:
    """Reads ``data[pos:end]``; ``pos`` advances as values are read."""

    __slots__ = ("data", "pos", "end", "limit_message")

    def __init__(self, data: bytes, pos: int = 0, end: int | None = None,
                 limit_message: str = "unexpected end"):  # fmt: skip
        self.data = data
        self.pos = pos
        self.end = len(data) if end is None else end
        # Words for running past ``end``: "unexpected end" at the end of the binary,
        # "unexpected end of section or function" inside a section or body.
        self.limit_message = limit_message

    def eof(self) -> bool:
        return self.pos >= self.end

    def remaining(self) -> int:
        return self.end - self.pos

    def fail(self, message: str, offset: int | None = None) -> DecodeError:
        return DecodeError(message, self.pos if offset is None else offset)

    def _past_end(self) -> DecodeError:
        return DecodeError(self.limit_message, self.pos)

    def byte(self) -> int:
        pos = self.pos
        if pos >= self.end:
            raise self._past_end()
        self.pos = pos + 1
        return self.data[pos]

    def read(self, n: int) -> bytes:
        pos = self.pos
        if n < 0 or pos + n > self.end:
            raise self._past_end()
        self.pos = pos + n
        return bytes(self.data[pos : pos + n])

    def u32(self) -> int:
        data, pos, end = self.data, self.pos, self.end
        if pos < end:
            b = data[pos]
            if b < 0x80:
                self.pos = pos + 1
                return b
        return self._uleb(32)

    def _uleb(self, bits: int) -> int:
        data, end, start = self.data, self.end, self.pos
        pos = start
        result = shift = 0
        max_bytes = (bits + 6) // 7
        while True:
            if pos >= end:
                self.pos = pos
                raise self._past_end()
            b = data[pos]
            pos += 1
            if pos - start == max_bytes:
                if b & 0x80:
                    raise DecodeError("integer representation too long", pos - 1)
                if b >> (bits - shift):
                    raise DecodeError("integer too large", pos - 1)
                result |= b << shift
                break
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        self.pos = pos
        return result

    def u64(self) -> int:
        return self._uleb(64)

    def _sleb(self, bits: int) -> int:
        data, end, start = self.data, self.end, self.pos
        pos = start
        result = shift = 0
        max_bytes = (bits + 6) // 7
        while True:
            if pos >= end:
                self.pos = pos
                raise self._past_end()
            b = data[pos]
            pos += 1
            if pos - start == max_bytes:
                if b & 0x80:
                    raise DecodeError("integer representation too long", pos - 1)
                # The bits of the last byte above the value's width must all
                # equal its sign bit.
                used = bits - shift  # value bits carried by this byte (1..7)
                rest = (b & 0x7F) >> (used - 1)  # sign bit and the unused bits
                if rest not in (0, (0x7F >> (used - 1))):
                    raise DecodeError("integer too large", pos - 1)
                result |= (b & 0x7F) << shift
                shift += 7
                break
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        self.pos = pos
        if shift < 64 + 7 and result >> (shift - 1) & 1:
            result -= 1 << shift
        # Fold the value into the declared width (drops copies of the sign bit).
        result &= (1 << bits) - 1
        if result >> (bits - 1):
            result -= 1 << bits
        return result

    def s32(self) -> int:
        data, pos, end = self.data, self.pos, self.end
        if pos < end:
            b = data[pos]
            if b < 0x40:
                self.pos = pos + 1
                return b
            if b < 0x80:
                self.pos = pos + 1
                return b - 0x80
        return self._sleb(32)

    def s33(self) -> int:
        return self._sleb(33)

    def s64(self) -> int:
        return self._sleb(64)

    def vec_count(self, min_item_size: int = 1) -> int:
        """A vector length, checked against the bytes left so that a huge declared
        count fails at once instead of allocating."""
        at = self.pos
        n = self.u32()
        if n * min_item_size > self.end - self.pos:
            raise DecodeError(self.limit_message if self.end == len(self.data)
                              else "unexpected end of section or function", at)  # fmt: skip
        return n

    def name(self) -> str:
        at = self.pos
        n = self.u32()
        if self.pos + n > self.end:
            raise DecodeError("length out of bounds", at)
        raw = self.data[self.pos : self.pos + n]
        self.pos += n
        try:
            return bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            raise DecodeError("malformed UTF-8 encoding", at) from None
