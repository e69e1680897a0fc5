"""A generated C program with many functions of varied shape, for the compile benchmark.

    python3 bench/real/gen_c.py [--functions N] [--seed S] > gen.c

Each function mixes what compiled C code is made of: integer loops over arrays,
``switch`` statements (``br_table``), float arithmetic and conversions, struct and
pointer accesses, and calls to earlier functions. ``main`` calls every function
through a table, so none is dropped by the optimiser. Seeded: the same arguments give
the same program.
"""

from __future__ import annotations

import argparse
import random
import sys

HEADER = """\
#include <stdint.h>
#include <string.h>
#include <math.h>
struct item { int32_t key; int64_t val; double w; uint8_t tag[8]; };
static struct item items[256];
static int32_t ibuf[1024];
static double dbuf[512];
volatile int64_t sink;
"""


def _int_expr(rng: random.Random, names: list[str], depth: int = 0) -> str:
    if depth > 2 or rng.random() < 0.3:
        return rng.choice(names + [str(rng.randint(-1000, 1000))])
    op = rng.choice(["+", "-", "*", "^", "&", "|", "<<", ">>", "/", "%"])
    a, b = _int_expr(rng, names, depth + 1), _int_expr(rng, names, depth + 1)
    if op in ("<<", ">>"):
        return f"(({a}) {op} (({b}) & 31))"
    if op in ("/", "%"):
        return f"(({a}) {op} ((({b}) & 15) + 1))"
    return f"(({a}) {op} ({b}))"


def _function(rng: random.Random, k: int) -> str:
    kind = rng.randrange(5)
    callee = f"f{rng.randrange(k)}" if k else None
    call = f" + {callee}(a ^ {rng.randint(1, 99)}, b)" if callee and rng.random() < 0.6 else ""
    names = ["a", "b", "i", "acc"]
    body: list[str] = [
        f"static int64_t f{k}(int64_t a, int64_t b) {{",
        "  int64_t acc = b, i = a & 7;",
    ]
    if kind == 0:  # integer loop over an array
        body += [
            f"  for (int i = 0; i < {rng.randint(8, 200)}; i++) {{",
            f"    ibuf[(i * {rng.randint(1, 9)} + a) & 1023] += (int32_t)({_int_expr(rng, names)});",
            f"    acc += ibuf[(i + b) & 1023] {rng.choice(['^', '+', '-'])} i;",
            f"    if (acc > {rng.randint(1000, 100000)}) acc -= a;",
            "  }",
        ]
    elif kind == 1:  # switch (a jump table)
        cases = rng.randint(5, 16)
        body.append(f"  switch ((a + b) & {cases * 2 - 1}) {{")
        for c in range(cases):
            body.append(f"  case {c}: acc = {_int_expr(rng, names[:2] + ['acc'])}; break;")
        body += ["  default: acc ^= a; break;", "  }"]
    elif kind == 2:  # floats
        body += [
            "  double x = (double)a * 0.5, y = (double)b;",
            f"  for (int i = 0; i < {rng.randint(4, 64)}; i++) {{",
            f"    x = x * {rng.uniform(0.1, 2):.3f} + y / (fabs(x) + 1.0);",
            f"    dbuf[(i + a) & 511] = {rng.choice(['sqrt(fabs(x))', 'floor(x)', 'x * y', 'fmin(x, y)'])};",
            "    y += dbuf[(i * 3) & 511];",
            "  }",
            "  acc += (int64_t)x ^ (int64_t)(y * 1000.0);",
        ]
    elif kind == 3:  # structs and bytes
        body += [
            f"  for (int i = 0; i < {rng.randint(4, 100)}; i++) {{",
            "    struct item *it = &items[(a + i) & 255];",
            f"    it->key = (int32_t)({_int_expr(rng, names)});",
            "    it->val += it->key * (int64_t)i;",
            "    it->w = it->w * 0.75 + (double)it->key;",
            f"    it->tag[i & 7] = (uint8_t)(it->val >> {rng.randint(0, 24)});",
            "    acc += it->tag[(i + 3) & 7];",
            "  }",
            "  memcpy(&items[b & 255], &items[(b + 1) & 255], sizeof(struct item));",
        ]
    else:  # branchy arithmetic
        for _ in range(rng.randint(3, 10)):
            body.append(
                f"  if ({_int_expr(rng, names)} > {rng.randint(-50, 50)}) acc += {_int_expr(rng, names)};"
            )
            body.append(f"  else acc -= {_int_expr(rng, names)};")
    body += [f"  return acc{call};", "}"]
    return "\n".join(body).replace("for (int i = 0", "for (i = 0")


def generate(functions: int, seed: int) -> str:
    rng = random.Random(seed)
    parts = [HEADER] + [_function(rng, k) for k in range(functions)]
    table = ", ".join(f"f{k}" for k in range(functions))
    parts.append(f"static int64_t (*const table[])(int64_t, int64_t) = {{{table}}};")
    parts.append(
        "int main(int argc, char **argv) {\n"
        f"  for (int k = 0; k < {functions}; k++) sink += table[k](argc, k);\n"
        "  return (int)(sink & 1);\n}"
    )
    return "\n".join(parts) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sys.stdout.write(generate(args.functions, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
