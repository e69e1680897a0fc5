"""The shared machine IR: registers, operands, VCode, RegisterEnv."""

from __future__ import annotations

import copy
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ra_toy import FLOAT, INT, SP, Add, Call, Out, R, Shl, make_env

from wazaot.machinst import (
    Args,
    ConstraintKind,
    Operand,
    OperandKind,
    OperandPos,
    PReg,
    RegClass,
    RegisterEnv,
    SpillSlot,
    VCode,
    VReg,
    operands_of,
)


def test_registers_are_interned_and_immutable() -> None:
    assert VReg(INT, 3) is VReg(INT, 3)
    assert VReg(INT, 3) is not VReg(FLOAT, 3)
    assert PReg(INT, 0, "r0") is R[0]
    assert {VReg(INT, 3): 1}[VReg(INT, 3)] == 1
    with pytest.raises(AttributeError):
        VReg(INT, 3).index = 4  # type: ignore[misc]
    with pytest.raises(AttributeError):
        R[0].hw = 1  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(VReg(FLOAT, 7))) is VReg(FLOAT, 7)
    assert copy.deepcopy(R[3]) is R[3]
    assert repr(VReg(INT, 3)) == "%v3i" and repr(R[5]) == "r5"
    assert VReg(INT, 1).is_virtual and not R[1].is_virtual


def test_two_architectures_may_number_registers_alike() -> None:
    other = PReg(INT, 0, "zz0")  # another ISA's register number 0
    assert other is not R[0] and other.index != R[0].index
    assert PReg.from_index(other.index) is other


def test_spill_slot_sizes() -> None:
    assert RegClass.INT.spill_slot_size == 8
    assert RegClass.FLOAT.spill_slot_size == 16
    assert SpillSlot(2, FLOAT) == SpillSlot(2, FLOAT)


@given(
    st.sampled_from([OperandKind.USE, OperandKind.DEF]),
    st.sampled_from([None, OperandPos.EARLY, OperandPos.LATE]),
    st.sampled_from(list(ConstraintKind)),
    st.integers(0, 7),
    st.integers(0, 40),
)
def test_operand_compact_form_round_trips(
    kind: OperandKind, pos: OperandPos | None, constraint: ConstraintKind, hw: int, reuse: int
) -> None:
    if constraint is ConstraintKind.REUSE and kind is OperandKind.USE:
        return
    op = Operand(
        VReg(INT, 1),
        kind,
        pos,
        constraint,
        R[hw] if constraint is ConstraintKind.FIXED else None,
        reuse if constraint is ConstraintKind.REUSE else -1,
    )
    back = Operand.from_flags(op.reg, op.flags)
    assert back.flags == op.flags
    assert (back.kind, back.position, back.constraint, back.fixed) == (
        op.kind,
        op.position,
        op.constraint,
        op.fixed,
    )


def test_operand_defaults_and_validation() -> None:
    assert Operand(VReg(INT, 1)).position is OperandPos.EARLY
    assert Operand(VReg(INT, 1), OperandKind.DEF).position is OperandPos.LATE
    with pytest.raises(ValueError):
        Operand(VReg(INT, 1), constraint=ConstraintKind.FIXED)
    with pytest.raises(ValueError):
        Operand(VReg(INT, 1), OperandKind.USE, constraint=ConstraintKind.REUSE, reuse=0)
    with pytest.raises(ValueError):
        Operand(R[0], constraint=ConstraintKind.FIXED, fixed=R[0])


def test_operands_of_lists_the_visitor_order() -> None:
    a, b, d = VReg(INT, 0), VReg(INT, 1), VReg(INT, 2)
    ops, clobbers = operands_of(Add(d, a, b))
    assert [repr(op) for op in ops] == ["use %v0i", "use %v1i", "def %v2i reuse#0"]
    assert clobbers == []
    ops, _ = operands_of(Shl(d, a, b))
    assert ops[1].constraint is ConstraintKind.FIXED and ops[1].fixed is R[2]
    ops, clobbers = operands_of(Call(d, (a,), (R[0], R[1])))
    assert [repr(op) for op in ops] == ["use %v0i @r0", "def %v2i @r0"]
    assert clobbers == [R[0], R[1]]
    ops, _ = operands_of(Out(a))
    assert ops[0].reg is SP
    ops, _ = operands_of(Args(((a, R[0]),)))
    assert ops[0].kind is OperandKind.DEF and ops[0].fixed is R[0]


def test_register_env() -> None:
    env = make_env(6, 4, 2, 1)
    assert env.regs(INT) == tuple(R[:6])
    assert env.caller_saved(INT) == tuple(R[:4])
    assert env.is_allocatable(R[5]) and not env.is_allocatable(R[6]) and not env.is_allocatable(SP)
    with pytest.raises(ValueError):
        RegisterEnv({INT: (R[0], R[0])})
    with pytest.raises(ValueError):
        RegisterEnv({FLOAT: (R[0],)})


def test_vcode_helpers() -> None:
    vcode = VCode()
    b0 = vcode.new_block()
    v0 = vcode.new_vreg(INT)
    v1 = vcode.new_vreg(FLOAT)
    assert (v0.index, v1.index, vcode.num_vregs) == (0, 1, 2)
    vcode.blocks[b0].insts.append(Out(v0))
    vcode.blocks[vcode.new_block()].insts.append(Out(v1))
    assert vcode.inst_numbers() == [0, 1, 2]
    assert len(list(vcode.insts())) == 2
