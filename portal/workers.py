"""Workers: slow, independent steps spread over every core, with results in the order of a serial run.

Worker processes are forked from the build, so they share everything it has loaded without copying
or pickling it; only each step's result travels back. A process that has already started the
vl-convert runtime (a thread pool) is never forked: it then works alone.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence

from .errors import BuildError
from .pool_watch import watched, watched_chunks

# Below this many items a pool costs more than it saves.
MIN_ITEMS = 8
# The step being run, inherited by forked workers: (function, items).
_STEP: tuple[Callable, Sequence] | None = None
# Set once this process has started a runtime that forking would break.
fork_unsafe = False


def default_jobs() -> int:
    """As many workers as the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


@contextlib.contextmanager
def early_pool(jobs: int):
    """Workers forked now, while this process is still small, for a step that comes later (None: work alone).

    A forked worker starts as large as its parent; one forked before the announcements are read
    stays small even after it has started vl-convert. Its steps and their items travel by pickle.
    """
    if jobs <= 1 or fork_unsafe or "fork" not in multiprocessing.get_all_start_methods():
        yield None
        return
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        yield pool


def map_ordered(function: Callable, items: Sequence, jobs: int = 1, min_items: int = MIN_ITEMS,
                pool=None) -> Iterator:
    """Yield function(item) for every item, in order, on up to `jobs` processes (or on `pool`'s).

    Fewer than `min_items` items are done in this process. A BuildError raised for any item is
    raised here, as in a serial run.
    """
    if not items:
        return
    if pool is not None and len(items) >= min_items:
        # Watched: a worker that dies (a crash in native code) would otherwise leave this waiting for ever.
        yield from _unwrap(watched(pool, pool.imap(_call, [(function, item) for item in items])))
        return
    if jobs <= 1 or len(items) < min_items or fork_unsafe or "fork" not in multiprocessing.get_all_start_methods():
        yield from (function(item) for item in items)
        return
    global _STEP
    _STEP = (function, items)
    try:
        with multiprocessing.get_context("fork").Pool(min(jobs, len(items))) as pool:
            chunk = max(1, min(64, len(items) // (jobs * 8)))
            yield from _unwrap(watched_chunks(pool, _run, len(items), chunk))  # watched, as above
    finally:
        _STEP = None


def _unwrap(results) -> Iterator:
    """The values of _call's results, raising the first BuildError a worker reported."""
    for ok, value in results:
        if not ok:
            raise BuildError(value)
        yield value


def _run(index: int):
    function, items = _STEP
    return _call((function, items[index]))


def _call(step: tuple):
    function, item = step
    try:
        return True, function(item)
    except BuildError as exc:
        # The problems travel back as data; the exception class itself need not pickle.
        return False, list(exc.problems)

