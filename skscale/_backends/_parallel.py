"""Blocks of elementwise work on the machine's cores.

NumPy's ufuncs release the GIL, so an elementwise map (a logarithm over
millions of stored values) split into blocks runs on every core from a pool
of threads, each block written into its own slice of the output. Each block
runs in a copy of the caller's context, so that ``np.errstate`` (overflow
watches, ignored warnings) holds in the worker threads as in the caller.
"""

import contextvars
import itertools
import os
from concurrent.futures import ThreadPoolExecutor

# Below this many values in all, one thread: starting the pool costs more.
_PARALLEL_FROM = 1 << 20


def workers():
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


_POOL = {}


def _pool(n_workers):
    """One pool of threads per size, kept for the process (starting threads
    at every call costs more than a small map). A forked child gets pools of
    its own: the parent's threads do not exist in it."""
    key = (os.getpid(), n_workers)
    if key not in _POOL:
        _POOL[key] = ThreadPoolExecutor(
            max_workers=n_workers, thread_name_prefix="skscale"
        )
    return _POOL[key]


def run_blocks(tasks, n_values):
    """Call each of ``tasks`` (functions of no argument, each writing its own
    part of an output), on threads when ``n_values`` is large: the tasks are
    dealt in contiguous runs, one per core; exceptions are raised in the
    caller, the first run's first."""
    n_workers = min(workers(), len(tasks))
    if n_workers <= 1 or n_values < _PARALLEL_FROM:
        for task in tasks:
            task()
        return
    edges = [len(tasks) * i // n_workers for i in range(n_workers + 1)]

    def run(start, stop):
        for task in tasks[start:stop]:
            task()

    futures = [
        _pool(n_workers).submit(contextvars.copy_context().run, run, start, stop)
        for start, stop in itertools.pairwise(edges)
    ]
    # every run finishes before any error is raised: none writes afterwards
    errors = [future.exception() for future in futures]
    for error in errors:
        if error is not None:
            raise error
