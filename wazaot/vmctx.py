"""The native blocks that generated code and the runtime share, and their layouts.

Every architecture's generated code reads these through two reserved registers:
the *execution context* (one per thread that runs wasm code in a Runtime) and the
*module context* (one per instance). Their field offsets are constants here, used
by the code generators as immediates; the tests check them against the C structs
declared below through cffi's ``offsetof``.

Execution context (``wazaot_exec_ctx``)::

    exit_code     why wasm code calls out to the runtime: an ``Exit`` in the low byte,
                  its argument (trap code, host function id, builtin) in the bits above
    exit_pc       the return address of the latest exit (for a trap, the trap site:
                  the innermost frame of the backtrace)
    exit_fp       the frame pointer at the exit (backtraces start there)
    exit_sp       the stack pointer after the exit returns
    exit_module   the module context at the exit (the ``caller`` of a host call)
    native_sp     the host thread's stack pointer saved by the entry trampoline
    stack_limit   the lowest stack pointer a prologue accepts (traps below it)
    stack_top     where the next entry starts its frames on the wasm stack
    call_target   the code address the entry thunk calls
    slots         the argument/result buffer of entries and host calls (uint64 each)
    interrupt     non-zero: stop the calls of this thread (a timeout, Runtime.interrupt,
                  Ctrl-C); loop headers test it, and ``stack_limit`` is raised at the
                  same time so that the next prologue traps too
    exit_stub     the code address generated code calls to exit (the trampolines'):
                  it switches to the host stack and calls ``callback``
    caller_module the module context of the caller of a cross-instance call (a host
                  function's ``caller``)
    callback      the runtime's C-callable function ``int64_t (void *exec_ctx,
                  uint64_t exit_code)`` that serves exits in Python: 0 to go on,
                  non-zero to unwind every wasm frame of the current entry
    args[16]      arguments and results of builtin exits (memory.grow, table.*)
    active        entries of this thread now running (the entry trampoline counts
                  them with a locked increment, a full barrier)
    gate          the address of the engine's gate word: non-zero once the Runtime
                  is closing, and the entry trampoline then refuses to enter
    status        how the latest entry ended: 0 returned, 1 exited (an exception is
                  pending in Python), 2 refused (the Runtime or module is closed)
    real_limit    the stack limit proper; an outermost entry clears ``interrupt`` and
                  puts it back in ``stack_limit``

Module context (``wazaot_module_ctx``): a fixed header followed by per-module
arrays whose offsets a ``ModuleLayout`` computes from the module's counts::

    header:   memory_base, memory_size (bytes), type_ids (uint64 array address),
              instance_id, memory_limit (``memory_size - 15``, 0 below 16 bytes: an
              address below it has 16 accessible bytes; x86-64's short bounds check)
    globals:  one pointer per global to its 16-byte cell (imports point elsewhere)
    tables:   one pointer per table to a ``wazaot_table``
    funcs:    one pointer per function to its ``wazaot_funcref`` (imports included)

A funcref value (in tables, globals, ``ref.func``) is the address of a
``wazaot_funcref`` record: the code to call, the module context to call it with,
the canonical type id that ``call_indirect`` compares, the function's index in its
module and the entry thunk of its type (what the entry trampoline calls to run it
from the host; 0 for host functions, which Python calls directly).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .native.call import ffi

CDEF = """
typedef struct {
    uint64_t exit_code;
    uint64_t exit_pc;
    uint64_t exit_fp;
    uint64_t exit_sp;
    uint64_t exit_module;
    uint64_t native_sp;
    uint64_t stack_limit;
    uint64_t stack_top;
    uint64_t call_target;
    uint64_t slots;
    uint64_t interrupt;
    uint64_t exit_stub;
    uint64_t caller_module;
    uint64_t callback;
    uint64_t args[16];
    uint64_t active;
    uint64_t gate;
    uint64_t status;
    uint64_t real_limit;
} wazaot_exec_ctx;

typedef struct {
    uint64_t memory_base;
    uint64_t memory_size;
    uint64_t type_ids;
    uint64_t instance_id;
    uint64_t memory_limit;
} wazaot_module_ctx;

typedef struct {
    uint64_t elems;
    uint64_t size;
    uint64_t max;
    uint64_t elem_type;
} wazaot_table;

typedef struct {
    uint64_t code;
    uint64_t module_ctx;
    uint64_t type_id;
    uint64_t func_index;
    uint64_t thunk;
} wazaot_funcref;
"""

ffi.cdef(CDEF)


class Exec:
    """Offsets in the execution context."""

    EXIT_CODE = 0
    EXIT_PC = 8
    EXIT_FP = 16
    EXIT_SP = 24
    EXIT_MODULE = 32
    NATIVE_SP = 40
    STACK_LIMIT = 48
    STACK_TOP = 56
    CALL_TARGET = 64
    SLOTS = 72
    INTERRUPT = 80
    EXIT_STUB = 88
    CALLER_MODULE = 96
    CALLBACK = 104
    ARGS = 112
    NUM_ARGS = 16
    ACTIVE = 240
    GATE = 248
    STATUS = 256
    REAL_LIMIT = 264


MEMORY_LIMIT_WIDTH = 16
"""The widest access ``ModuleCtx.MEMORY_LIMIT`` vouches for: ``address <
MEMORY_LIMIT`` means ``address + MEMORY_LIMIT_WIDTH <= MEMORY_SIZE``."""


class ModuleCtx:
    """Offsets in the module context header."""

    @staticmethod
    def memory_limit(size: int) -> int:
        """``MEMORY_LIMIT`` of a memory of ``size`` bytes."""
        return max(size - MEMORY_LIMIT_WIDTH + 1, 0)

    MEMORY_BASE = 0
    MEMORY_SIZE = 8
    TYPE_IDS = 16
    INSTANCE_ID = 24
    MEMORY_LIMIT = 32
    HEADER_SIZE = 40


class Table:
    """Offsets in a table descriptor."""

    ELEMS = 0
    SIZE = 8
    MAX = 16
    ELEM_TYPE = 24


class FuncRef:
    """Offsets in a function reference record."""

    CODE = 0
    MODULE_CTX = 8
    TYPE_ID = 16
    FUNC_INDEX = 24
    THUNK = 32
    SIZE = 40


class Exit(enum.IntEnum):
    """Why generated code left to the host (low byte of ``exit_code``)."""

    RETURN = 0
    TRAP = 1  # argument: the TrapCode
    HOST_CALL = 2  # argument: the host function's id in the Runtime
    BUILTIN = 3  # argument: a Builtin; operands in args[]
    LISTENER = 4  # argument: function index << 1 | 1 after the call; values in the slots


class Builtin(enum.IntEnum):
    """Slow-path operations done by the runtime in Python (arguments in ``args``)."""

    MEMORY_GROW = 1  # args: delta pages -> old pages or -1
    TABLE_GROW = 2  # args: table, init ref, delta -> old size or -1
    TABLE_FILL = 3  # args: table, index, ref, count
    TABLE_COPY = 4  # args: dst table, src table, dst, src, count
    TABLE_INIT = 5  # args: table, elem segment, dst, src, count
    ELEM_DROP = 6  # args: elem segment
    MEMORY_INIT = 7  # args: data segment, dst, src, count
    DATA_DROP = 8  # args: data segment
    MEMORY_COPY = 9  # args: dst, src, count (the out-of-line form)
    MEMORY_FILL = 10  # args: dst, value, count (the out-of-line form)


# How an entry trampoline ends: it returns the function's first result slot, or
# FAILED with a non-zero ``status`` (a real result may equal FAILED: status is 0).
FAILED = 0x7FF4_0BAD_DEAD_C0DE
RETURNED = 0  # status: the function returned
EXITED = 1  # ... the wasm frames were abandoned: an exception is pending in Python
REFUSED = 2  # ... nothing ran: the Runtime is closing, or the function's module closed


MAX_ENTRY_ARGS = 4
"""The entry trampolines ``entry0`` .. ``entry4`` take up to this many raw arguments."""


class EntryTail(enum.Enum):
    """How an entry trampoline returns slot 0 (the first result), so that Python
    gets it without masking: ``u64`` as is, ``u32`` zero-extended from 32 bits
    (raw i32/f32), ``s32`` sign-extended (a Pythonic i32)."""

    U64 = "u64"
    U32 = "u32"
    S32 = "s32"


def exit_code(kind: Exit, argument: int = 0) -> int:
    return int(kind) | (argument << 8)


@dataclass(frozen=True, slots=True)
class ModuleLayout:
    """Where a module's arrays sit in its module context."""

    num_globals: int
    num_tables: int
    num_funcs: int

    @property
    def globals_offset(self) -> int:
        return ModuleCtx.HEADER_SIZE

    @property
    def tables_offset(self) -> int:
        return self.globals_offset + 8 * self.num_globals

    @property
    def funcs_offset(self) -> int:
        return self.tables_offset + 8 * self.num_tables

    @property
    def size(self) -> int:
        return self.funcs_offset + 8 * self.num_funcs

    def global_slot(self, index: int) -> int:
        return self.globals_offset + 8 * index

    def table_slot(self, index: int) -> int:
        return self.tables_offset + 8 * index

    def func_slot(self, index: int) -> int:
        return self.funcs_offset + 8 * index
