"""The executor: slow, independent steps spread over every core, with results in the order of a serial run.

Worker processes are forked from the build, so they share everything it has loaded without copying
or pickling it; only each step's result travels back. A process that has already started the
vl-convert runtime (a thread pool) is never forked: it then works alone.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence

from ..errors import BuildError
from .pool_watch import watched, watched_chunks

# Below this many items a pool costs more than it saves.
MIN_ITEMS = 8
# The step being run, inherited by forked workers: (function, items).
_STEP: tuple[Callable, Sequence] | None = None
# Set once this process has started a runtime that forking would break (vl-convert's threads).
fork_unsafe = False


def default_jobs() -> int:
    """As many workers as the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


@contextlib.contextmanager
def early_pool(jobs: int, prepare: Callable | None = None):
    """Workers forked now, while this process is still small, for a step that comes later (None: work
    alone); each runs prepare() first, if given, while this process goes on.

    A forked worker starts as large as its parent; one forked before the announcements are read
    stays small even after it has started vl-convert. Its steps and their items travel by pickle.
    """
    if jobs <= 1 or fork_unsafe or "fork" not in multiprocessing.get_all_start_methods():
        yield None
        return
    with multiprocessing.get_context("fork").Pool(jobs, initializer=prepare) as pool:
        yield pool


def map_ordered(function: Callable, items: Sequence, jobs: int = 1, min_items: int = MIN_ITEMS,
                pool=None) -> Iterator:
    """Yield function(item) for every item, in order, on up to `jobs` processes (or on `pool`'s).

    Fewer than `min_items` items are done in this process. A BuildError raised for any item is
    raised here, as in a serial run. On `pool`, the items are handed out at once: the workers go
    on with them while the caller does something else before it asks for the first result.
    """
    if pool is not None and len(items) >= max(1, min_items):
        # Watched: a worker that dies (a crash in native code) would otherwise leave this waiting for ever.
        return _unwrap(watched(pool, pool.imap(_call, [(function, item) for item in items])))
    return _map_fresh(function, items, jobs, min_items)


def _map_fresh(function: Callable, items: Sequence, jobs: int, min_items: int) -> Iterator:
    """map_ordered in this process, or on workers forked for it once the first result is asked for."""
    if not items:
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



class Executor:
    """The worker pools of one build: `jobs` processes, the first pool forked at the start while the
    build is still small (charts), later ones forked when a step needs them (pages)."""

    def __init__(self, jobs: int, prepare: Callable | None = None, early: bool = True):
        self.jobs, self.prepare = jobs, prepare  # prepare(): run by each early worker as it starts
        # False: no early workers; a step for them, if any, gets fresh ones (see map_early).
        self.wants_early = early
        self._stack = contextlib.ExitStack()
        self.early = None

    def __enter__(self) -> "Executor":
        if self.wants_early:
            self.early = self._stack.enter_context(early_pool(self.jobs, self.prepare))
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    def map_early(self, function: Callable, items: Sequence) -> Iterator:
        """map_ordered on the early workers (which start at once), or on fresh ones, even for a single
        item: this process stays forkable."""
        return map_ordered(function, items, self.jobs, min_items=1, pool=self.early)

    def close_early(self) -> None:
        """End the early workers: the later steps need none of their memory."""
        if self.early is not None:
            self.early.terminate()

    @contextlib.contextmanager
    def ending_early(self) -> Iterator[None]:
        """A block after which the early workers have ended, whether it succeeded or failed."""
        try:
            yield
        finally:
            self.close_early()

    def map(self, function: Callable, items: Sequence) -> Iterator:
        """function(item) for every item, in order, on up to `jobs` freshly forked processes."""
        return map_ordered(function, items, self.jobs)
