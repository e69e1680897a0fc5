"""Stop runaway wasm code: a timeout, Runtime.interrupt() from another thread, Ctrl-C.

    python examples/interrupt.py
"""

from __future__ import annotations

import threading

import wazaot

# (module (func (export "spin") (loop (br 0))))
SPIN = bytes.fromhex("0061736d0100000001040160000003020100070801047370696e00000a0901070003400c000b0b")


def main() -> None:
    with wazaot.Runtime() as rt:
        spin = rt.instantiate(rt.compile(SPIN)).exported_function("spin")
        try:
            spin(timeout=0.2)
        except wazaot.Trap as trap:
            print("timeout:", trap.message)
        threading.Timer(0.2, rt.interrupt).start()
        try:
            spin()
        except wazaot.Trap as trap:
            print("Runtime.interrupt():", trap.message)
        print("press Ctrl-C to stop the next call (or wait 2 s)")
        try:
            spin(timeout=2)
        except KeyboardInterrupt:
            print("KeyboardInterrupt, and the runtime is still usable")
        except wazaot.Trap as trap:
            print("timeout:", trap.message)


if __name__ == "__main__":
    main()
