"""arm64 immediates: small frozen types that know whether a value fits a field.

Every type has ``try_from(value, ...)``, which returns None when the value cannot be
encoded, so that lowering decides what to do instead (another form, a constant in a
register, a veneer); the encoders only assert that they got the right type. Each type
holds the value it stands for and derives the field bits from it::

    Imm12.try_from(0x5000)            Imm12(bits=5, shift12=True)    add x0, x1, #5, lsl #12
    LogicalImm.try_from(0xff, 64)     N=1 immr=0 imms=7              and x0, x1, #0xff
    mov_sequence(0x12340000ffff, 64)  movz #0xffff; movk #0x1234, lsl #32
    UImm12Scaled.try_from(16, 8)      bits=2                         ldr x0, [x1, #16]
    SImm9.try_from(-8)                                               ldur x0, [x1, #-8]
    SImm7Scaled.try_from(-16, 8)      bits=0x7e                      stp x29, x30, [sp, #-16]!
    BranchOffset19.try_from(-4)       bits=0x7ffff                   b.ne .-4
    FpImm8.try_from(1.0)              bits=0x70                      fmov d0, #1.0

Sections named are those of the Arm Architecture Reference Manual for A-profile
(DDI 0487); their numbers change between issues, their titles do not.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass
from typing import ClassVar, TypeVar

__all__ = [
    "AdrOffset", "AdrpOffset", "BranchOffset14", "BranchOffset19", "BranchOffset26",
    "FpImm8", "Imm12", "LogicalImm", "MoveWide", "MoveWideOp", "MoveWideStep", "SImm7Scaled",
    "SImm9", "UImm12Scaled", "mov_sequence",
]  # fmt: skip


def _mask(bits: int) -> int:
    return (1 << bits) - 1


def _check_size(size: int) -> None:
    if size not in (32, 64):
        raise ValueError(f"operand size must be 32 or 64, not {size}")


# --------------------------------------------------------------------------------------
# Data processing


@dataclass(frozen=True, slots=True)
class Imm12:
    """The immediate of ADD/SUB (immediate): 12 bits, optionally shifted left by 12
    (C4.1 "Data Processing -- Immediate", Add/subtract (immediate): ``sh:imm12``)."""

    bits: int
    shift12: bool = False

    def __post_init__(self) -> None:
        assert 0 <= self.bits < 4096, self.bits

    @classmethod
    def try_from(cls, value: int) -> Imm12 | None:
        """``value`` as an unshifted or shifted 12-bit immediate, or None."""
        if 0 <= value < 1 << 12:
            return cls(value)
        if value & 0xFFF == 0 and 0 <= value >> 12 < 1 << 12:
            return cls(value >> 12, True)
        return None

    @property
    def value(self) -> int:
        """The value added or subtracted."""
        return self.bits << 12 if self.shift12 else self.bits


@dataclass(frozen=True, slots=True)
class LogicalImm:
    """A bitmask immediate of AND/ORR/EOR/ANDS (immediate), as ``N:immr:imms``.

    The value is an element of 2, 4, 8, 16, 32 or 64 bits, replicated to the operand
    size; the element is a run of ``s + 1`` ones rotated right by ``r``. ``N:imms``
    encodes the element size and ``s``, ``immr`` encodes ``r`` (DecodeBitMasks in the
    Arm ARM's shared pseudocode, and C4.1 "Data Processing -- Immediate", Logical
    (immediate))::

        element size   N  imms        element size   N  imms
        64             1  ssssss      8              0  110sss
        32             0  0sssss      4              0  1110ss
        16             0  10ssss      2              0  11110s

    All-zeros and all-ones have no encoding.
    """

    n: int
    immr: int
    imms: int
    size: int

    def __post_init__(self) -> None:
        assert self.n in (0, 1) and 0 <= self.immr < 64 and 0 <= self.imms < 64
        assert self.size == 64 or self.n == 0

    @classmethod
    def try_from(cls, value: int, size: int) -> LogicalImm | None:
        """``value`` (taken modulo 2**size) as a bitmask immediate of ``size`` bits,
        or None."""
        _check_size(size)
        value &= _mask(size)
        if value == 0 or value == _mask(size):
            return None
        # The smallest element size whose replication gives the value.
        esize = size
        while esize > 2:
            half = esize // 2
            if (value ^ (value >> half)) & _mask(half):
                break
            esize = half
        elem = value & _mask(esize)
        ones = bin(elem).count("1")
        run = _mask(ones)
        # elem == ROR(run, r): find r by rotating elem left until the run is at bit 0.
        for r in range(esize):
            rotated = ((elem << r) | (elem >> (esize - r))) & _mask(esize) if r else elem
            if rotated == run:
                break
        else:
            return None
        imms = ((~(esize - 1) << 1) & 0x3F) | (ones - 1)
        return cls(1 if esize == 64 else 0, r, imms, size)

    @property
    def value(self) -> int:
        """The ``size``-bit value this encoding stands for (DecodeBitMasks)."""
        combined = self.n << 6 | (~self.imms & 0x3F)
        esize = 1 << (combined.bit_length() - 1)
        s = self.imms & (esize - 1)
        r = self.immr & (esize - 1)
        run = _mask(s + 1)
        elem = ((run >> r) | (run << (esize - r))) & _mask(esize)
        out = 0
        for i in range(0, self.size, esize):
            out |= elem << i
        return out


class MoveWideOp(enum.Enum):
    """MOVN/MOVZ/MOVK: the value is the ``opc`` field of Move wide (immediate)."""

    movn = 0  # Rd = ~(imm16 << hw*16)
    movz = 2  # Rd = imm16 << hw*16
    movk = 3  # Rd<hw*16+15 : hw*16> = imm16, other bits kept


@dataclass(frozen=True, slots=True)
class MoveWide:
    """The ``imm16`` and shift (0, 16, 32 or 48; ``hw`` = shift / 16) of MOVZ/MOVN/MOVK
    (C4.1 "Data Processing -- Immediate", Move wide (immediate))."""

    imm16: int
    shift: int = 0

    def __post_init__(self) -> None:
        assert 0 <= self.imm16 < 1 << 16 and self.shift in (0, 16, 32, 48)

    @classmethod
    def try_from(cls, value: int, size: int) -> MoveWide | None:
        """``value`` as one 16-bit chunk in place (what a single MOVZ writes), or None."""
        _check_size(size)
        if not 0 <= value < 1 << size:
            return None
        for shift in range(0, size, 16):
            if value & ~(0xFFFF << shift) == 0:
                return cls(value >> shift, shift)
        return None

    @property
    def hw(self) -> int:
        """The ``hw`` field: the shift in 16-bit steps."""
        return self.shift // 16

    @property
    def value(self) -> int:
        """``imm16 << shift``, what MOVZ writes."""
        return self.imm16 << self.shift


@dataclass(frozen=True, slots=True)
class MoveWideStep:
    """One instruction of a constant-building sequence (see :func:`mov_sequence`)."""

    op: MoveWideOp
    imm: MoveWide


def mov_sequence(value: int, size: int) -> tuple[MoveWideStep, ...]:
    """The shortest MOVZ/MOVN + MOVK sequence that puts ``value`` (modulo 2**size) in a
    ``size``-bit register.

    MOVZ starts from zeros and MOVN from ones, so the shorter start is the one that
    leaves fewer 16-bit chunks to patch with MOVK: ``max(1, min(#chunks != 0,
    #chunks != 0xffff))`` instructions. (A single ORR with a :class:`LogicalImm` may be
    shorter still; lowering tries that first.)
    """
    _check_size(size)
    value &= _mask(size)
    chunks = [(value >> shift) & 0xFFFF for shift in range(0, size, 16)]
    use_movn = chunks.count(0xFFFF) > chunks.count(0)
    fill = 0xFFFF if use_movn else 0
    patch = [i for i, c in enumerate(chunks) if c != fill] or [0]
    first = patch[0]
    first_imm = chunks[first] ^ 0xFFFF if use_movn else chunks[first]
    steps = [MoveWideStep(MoveWideOp.movn if use_movn else MoveWideOp.movz,
                          MoveWide(first_imm, 16 * first))]  # fmt: skip
    steps += [MoveWideStep(MoveWideOp.movk, MoveWide(chunks[i], 16 * i)) for i in patch[1:]]
    return tuple(steps)


# --------------------------------------------------------------------------------------
# Load/store offsets


_ACCESS_BYTES = (1, 2, 4, 8, 16)


@dataclass(frozen=True, slots=True)
class UImm12Scaled:
    """The unsigned offset of LDR/STR (immediate, unsigned offset): a multiple of the
    access size ``scale`` (1, 2, 4, 8 or 16 bytes), stored divided by it in 12 bits
    (C4.1 "Loads and Stores", Load/store register (unsigned immediate))."""

    value: int
    scale: int

    def __post_init__(self) -> None:
        assert self.scale in _ACCESS_BYTES
        assert self.value % self.scale == 0 and 0 <= self.value // self.scale < 4096

    @classmethod
    def try_from(cls, value: int, scale: int) -> UImm12Scaled | None:
        """``value`` bytes as an offset of a ``scale``-byte access, or None."""
        if scale not in _ACCESS_BYTES:
            raise ValueError(f"access size must be one of {_ACCESS_BYTES}, not {scale}")
        if value >= 0 and value % scale == 0 and value // scale < 4096:
            return cls(value, scale)
        return None

    @property
    def bits(self) -> int:
        """The ``imm12`` field."""
        return self.value // self.scale


@dataclass(frozen=True, slots=True)
class SImm9:
    """The signed, unscaled byte offset of LDUR/STUR and the pre-/post-indexed
    LDR/STR: -256..255 (C4.1 "Loads and Stores", Load/store register (unscaled
    immediate), (immediate pre-indexed), (immediate post-indexed))."""

    value: int

    def __post_init__(self) -> None:
        assert -256 <= self.value < 256

    @classmethod
    def try_from(cls, value: int) -> SImm9 | None:
        """``value`` as a signed 9-bit offset, or None."""
        return cls(value) if -256 <= value < 256 else None

    @property
    def bits(self) -> int:
        """The ``imm9`` field (two's complement)."""
        return self.value & 0x1FF


@dataclass(frozen=True, slots=True)
class SImm7Scaled:
    """The signed offset of LDP/STP: a multiple of the register size ``scale`` (4, 8
    or 16 bytes), stored divided by it in 7 bits, -64..63 (C4.1 "Loads and Stores",
    Load/store register pair)."""

    value: int
    scale: int

    def __post_init__(self) -> None:
        assert self.scale in (4, 8, 16)
        assert self.value % self.scale == 0 and -64 <= self.value // self.scale < 64

    @classmethod
    def try_from(cls, value: int, scale: int) -> SImm7Scaled | None:
        """``value`` bytes as a pair offset for ``scale``-byte registers, or None."""
        if scale not in (4, 8, 16):
            raise ValueError(f"pair register size must be 4, 8 or 16, not {scale}")
        if value % scale == 0 and -64 <= value // scale < 64:
            return cls(value, scale)
        return None

    @property
    def bits(self) -> int:
        """The ``imm7`` field (two's complement)."""
        return (self.value // self.scale) & 0x7F


# --------------------------------------------------------------------------------------
# PC-relative offsets

_P = TypeVar("_P", bound="_PcRel")


@dataclass(frozen=True, slots=True)
class _PcRel:
    """A PC-relative byte offset: a multiple of ``SCALE``, stored divided by it in a
    signed ``BITS``-bit field."""

    BITS: ClassVar[int]
    SCALE: ClassVar[int]

    value: int

    def __post_init__(self) -> None:
        assert self.fits(self.value), (type(self).__name__, self.value)

    @classmethod
    def fits(cls, value: int) -> bool:
        """Whether ``value`` bytes can be encoded."""
        half = 1 << (cls.BITS - 1)
        return value % cls.SCALE == 0 and -half <= value // cls.SCALE < half

    @classmethod
    def try_from(cls: type[_P], value: int) -> _P | None:
        """``value`` bytes as this offset, or None."""
        return cls(value) if cls.fits(value) else None

    @property
    def bits(self) -> int:
        """The field (two's complement)."""
        return (self.value // self.SCALE) & _mask(self.BITS)


class BranchOffset26(_PcRel):
    """The target of B/BL: ±128 MiB in words (``imm26``)."""

    BITS = 26
    SCALE = 4
    __slots__ = ()


class BranchOffset19(_PcRel):
    """The target of B.cond, CBZ/CBNZ and LDR (literal): ±1 MiB in words (``imm19``)."""

    BITS = 19
    SCALE = 4
    __slots__ = ()


class BranchOffset14(_PcRel):
    """The target of TBZ/TBNZ: ±32 KiB in words (``imm14``)."""

    BITS = 14
    SCALE = 4
    __slots__ = ()


class AdrOffset(_PcRel):
    """The target of ADR: ±1 MiB in bytes (``immhi:immlo``)."""

    BITS = 21
    SCALE = 1
    __slots__ = ()


class AdrpOffset(_PcRel):
    """The target page of ADRP, relative to the page of the ADRP: ±4 GiB in 4 KiB pages
    (``immhi:immlo``); ``value`` is in bytes, a multiple of 4096."""

    BITS = 21
    SCALE = 4096
    __slots__ = ()


# --------------------------------------------------------------------------------------
# Floating point


def _expand_imm8(imm8: int) -> float:
    """VFPExpandImm: sign a, exponent NOT(b):b..b:cd, fraction efgh (Arm ARM, "Modified
    immediate constants in A64 floating-point instructions")."""
    sign = -1.0 if imm8 & 0x80 else 1.0
    b = imm8 >> 6 & 1
    cd = imm8 >> 4 & 3
    exponent = cd - 3 if b else cd + 1
    return sign * (16 + (imm8 & 0xF)) / 16 * 2.0**exponent


_FP_IMM8 = {_expand_imm8(i): i for i in range(256)}


@dataclass(frozen=True, slots=True)
class FpImm8:
    """The 8-bit floating-point immediate of FMOV (scalar, immediate): ±(16 + f)/16 *
    2**e with f in 0..15 and e in -3..4, exact in both f32 and f64 (no zero: ``fmov
    d0, xzr`` makes +0.0)."""

    bits: int

    def __post_init__(self) -> None:
        assert 0 <= self.bits < 256

    @classmethod
    def try_from(cls, value: float) -> FpImm8 | None:
        """``value`` as an FMOV immediate, or None (NaN, zero, out of the set)."""
        bits = _FP_IMM8.get(value)
        return None if bits is None else cls(bits)

    @property
    def value(self) -> float:
        """The value FMOV writes."""
        return _expand_imm8(self.bits)

    def as_bits(self, size: int) -> int:
        """The IEEE bit pattern of the value at 32 or 64 bits."""
        fmt, out = ("<f", "<I") if size == 32 else ("<d", "<Q")
        return int(struct.unpack(out, struct.pack(fmt, self.value))[0])
