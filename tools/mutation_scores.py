"""Mutation score per module, from the results ``mutmut run`` left in ``mutants/``.

    python tools/mutation_scores.py [--goal 90] [--sample mutants/sample.txt]

A module's score is the share of its mutants that the tests kill, among the
mutants that were run (a mutant of a line no test reaches is not generated:
``mutate_only_covered_lines``). With ``--sample`` (the sampled run of
tools/mutation_sample.py) only the listed mutants count, and each score comes
with its 95% Wilson interval: the range the score of all the module's mutants
lies in, given the sample. Survivors are listed with ``mutmut results``
and shown with ``mutmut show NAME``. Exits non-zero when a module is below
``--goal`` percent.
"""

import argparse
import json
import math
import sys
from collections import Counter
from pathlib import Path

# mutmut's exit codes (mutmut.stats.status_by_exit_code), by meaning
KILLED = {1, 3, 37}  # a test failed, pytest crashed, the type check caught it
TIMEOUT = {24, -24, 36, 152, 255}  # an endless loop is a caught bug too
NOT_RUN = {None, 2, 33, 34}  # not checked, interrupted, no tests, skipped
# 5: pytest collected nothing. The mutated line is reached only by tests
# outside the module's own, which tests/conftest.py leaves out of a mutant's
# run (see there): its own tests do not check it, so it counts as a survivor.
UNIT_UNTESTED = {5}


def wilson(killed, n, z=1.96):
    """The 95% Wilson score interval of a proportion, in percent."""
    if n == 0:
        return math.nan, math.nan
    p = killed / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return 100.0 * (centre - half), 100.0 * (centre + half)


def scores(root, sample=None):
    table = {}
    for meta in sorted(Path(root).rglob("*.py.meta")):
        by_key = json.loads(meta.read_text())["exit_code_by_key"]
        if sample is not None:
            by_key = {key: code for key, code in by_key.items() if key in sample}
            if not by_key:
                continue
        codes = by_key.values()
        counts = Counter()
        for code in codes:
            if code in KILLED or code in TIMEOUT:
                counts["killed"] += 1
            elif code in NOT_RUN:
                counts["not run"] += 1
            elif code in UNIT_UNTESTED:
                counts["survived"] += 1
                counts["not own"] += 1
            else:  # 0: survived; anything else is suspicious
                counts["survived"] += 1
        module = str(meta.relative_to(root)).removesuffix(".py.meta")
        table[module.replace("/", ".")] = counts
    return table


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default="mutants")
    parser.add_argument("--goal", type=float, default=90.0)
    parser.add_argument("--sample", help="count only the mutants listed in this file")
    args = parser.parse_args(argv)
    sample = None
    if args.sample:
        sample = set(Path(args.sample).read_text().split())
    table = scores(args.root, sample)
    if not table:
        sys.exit(f"no mutmut results under {args.root}/: run `make mutate` first")
    below = []
    print(
        f"{'module':42} {'killed':>7} {'survived':>9} {'(no own test)':>13} "
        f"{'not run':>8} {'score':>7}" + ("  95% interval" if sample else "")
    )
    for module, counts in table.items():
        run = counts["killed"] + counts["survived"]
        score = 100.0 * counts["killed"] / run if run else float("nan")
        print(
            f"{module:42} {counts['killed']:7d} {counts['survived']:9d} "
            f"{counts['not own']:13d} {counts['not run']:8d} {score:6.1f}%"
            + (
                "  {:5.1f}% to {:5.1f}%".format(*wilson(counts["killed"], run))
                if sample
                else ""
            )
        )
        if run and score < args.goal:
            below.append(module)
    if below:
        print(f"below {args.goal:g}%: {', '.join(below)}")
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main())
