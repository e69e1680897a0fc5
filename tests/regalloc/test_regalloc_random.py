"""Random control-flow graphs from Hypothesis, each allocation verified by the symbolic
checker and by running the program before and after allocation."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from ra_checker import check
from ra_gen import Case, cases
from ra_toy import run

from wazaot.regalloc import allocate, format_allocation


def _verify(case: Case) -> None:
    alloc = allocate(case.vcode, case.env)
    try:
        check(case.vcode, case.env, alloc)
        for params in ((5, 9), (2, 1000)):
            expected = run(case.vcode, params, fuel=300)
            got = run(case.vcode, params, fuel=300, alloc=alloc)
            assert got.trace == expected.trace
    except Exception:
        print(format_allocation(case.vcode, alloc))
        raise


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_random_cfgs(case: Case) -> None:
    _verify(case)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(max_blocks=3, max_insts=40))
def test_random_long_blocks(case: Case) -> None:
    _verify(case)
