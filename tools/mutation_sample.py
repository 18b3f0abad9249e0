"""A sampled mutation run: ``make mutate`` in about half an hour on 2 cores.

    python tools/mutation_sample.py [--fraction 0.12] [--minimum 40] [--seed 0]
        [--max-children 2]

Running every mutant of the numeric core takes hours (``make mutate-full``).
This runs a fixed random sample of them instead, drawn per module (a fraction
of each module's mutants, at least ``--minimum``), so that every module gets a
score, with its 95% confidence interval (tools/mutation_scores.py).

1. ``mutmut run`` on the first mutant of each function of one small module
   generates every mutant (and mutmut's map from functions to tests);
2. the sample is drawn from the generated names with ``--seed`` and written
   to ``mutants/sample.txt`` (the same seed and code give the same sample);
3. ``mutmut run`` on the sampled names;
4. the scores are printed for the sampled mutants only.

The run starts from an empty ``mutants/`` folder: mutmut keeps the results
of earlier runs there, which would mix into the scores.
"""

import argparse
import json
import math
import random
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

# the mutants that generate everything: few, fast, and part of no module's
# sample unless drawn (the scores count only the sample)
_SEED_PATTERN = "skscale._backends.dense.x_row*__mutmut_1"


def _mutmut(args, names):
    command = [str(Path(sys.executable).with_name("mutmut")), "run", *args, *names]
    print("$", " ".join(command[:4]), f"... ({len(names)} mutant names)", flush=True)
    subprocess.run(command, check=True)


def mutant_names(root):
    """Every generated mutant's name, by module."""
    by_module = defaultdict(list)
    for meta in sorted(Path(root).rglob("*.py.meta")):
        keys = json.loads(meta.read_text())["exit_code_by_key"]
        module = str(meta.relative_to(root)).removesuffix(".py.meta")
        by_module[module.replace("/", ".")].extend(sorted(keys))
    return by_module


def draw(by_module, fraction, minimum, seed):
    """``fraction`` of each module's mutants (at least ``minimum``, at most
    all), drawn with a seeded generator."""
    sample = []
    for module, names in sorted(by_module.items()):
        size = min(len(names), max(minimum, math.ceil(fraction * len(names))))
        sample.extend(random.Random(f"{seed}:{module}").sample(names, size))
    return sample


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fraction", type=float, default=0.12)
    parser.add_argument("--minimum", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-children", default="2")
    parser.add_argument("--goal", default="90")
    args = parser.parse_args(argv)

    root = Path("mutants")
    shutil.rmtree(root, ignore_errors=True)
    run_args = ["--max-children", args.max_children]
    _mutmut(run_args, [_SEED_PATTERN])
    by_module = mutant_names(root)
    sample = draw(by_module, args.fraction, args.minimum, args.seed)
    (root / "sample.txt").write_text("\n".join(sample) + "\n")
    total = sum(len(names) for names in by_module.values())
    print(f"sampled {len(sample)} of {total} mutants (seed {args.seed})", flush=True)
    _mutmut(run_args, sample)
    scores = Path(__file__).with_name("mutation_scores.py")
    return subprocess.run(
        [
            sys.executable,
            str(scores),
            "--sample",
            str(root / "sample.txt"),
            "--goal",
            args.goal,
        ]
    ).returncode


if __name__ == "__main__":
    sys.exit(main())
