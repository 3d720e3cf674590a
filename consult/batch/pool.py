"""Many inputs evaluated in input order: in this process, or by a pool of worker processes.

`evaluate_inputs` renders every input (`consult.batch.formats.render_item`)
and yields each with what it gave, in input order, each input within the time
limit. With several jobs, chunks of inputs go to a standard
`ProcessPoolExecutor` through a bounded window: output keeps the input order
and memory stays flat however many inputs there are. This process only hands
out chunks and takes their output.

Workers are forked: each inherits the knowledge base, the renderer and the
time limit instead of loading or receiving them.

Stopping: the pool's own code (starting it, handing out a chunk, looking for
a finished one, shutting it down) runs with the stop signals blocked
(`consult.batch.signals.stops_blocked`), so a stop acts between, and the
workers, started inside, never take a stop signal themselves (not even one
sent to the whole process group). A run that ends early (a stop, an error,
output no longer read) kills its workers and drops the chunks under way; a
worker also dies with its parent.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Generator, Iterable, Iterator
from itertools import chain, islice
from typing import TYPE_CHECKING

from consult.bank.model import KnowledgeBase
from consult.batch.formats import Rendered, Renderer, render_item, render_overtime
from consult.batch.inputs import Item
from consult.batch.signals import Overtime, TimeLimit, die_with_parent, orphaned, stops_blocked
from consult.errors import InputError

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

DEFAULT_LIMIT = 10.0  # seconds per input; an answer set takes well under a millisecond
# Items per chunk sent to a worker: small at first so output starts at once,
# then up to MAX_CHUNK (some 40 ms of work), which makes process overhead negligible.
FIRST_CHUNK = 16
MAX_CHUNK = 256
# Chunks under way per worker (handed out, or output not yet taken): enough that
# a worker never waits for this process, few enough that memory stays flat.
WINDOW = 3
POLL = 0.05  # seconds between looks at a chunk under way (a stop acts between)

Pairs = Iterator[tuple[Item, Rendered]]
Run = Generator[tuple[Item, Rendered], None, None]  # closed early: the run ends, workers too
# What a worker works with: the knowledge base, the renderer and the time limit,
# set before the workers are forked; and, in a worker, the process that started it.
_WORKER: tuple[KnowledgeBase, Renderer, float] | None = None
_PARENT = 0


def evaluate_inputs(
    kb: KnowledgeBase,
    items: Iterable[Item],
    renderer: Renderer,
    jobs: int,
    seconds: float = 0.0,
) -> Run:
    """Render every input and yield it with what it gave, in input order.

    An input that takes longer than `seconds` (0: no limit) is stopped and
    reported as failed. `jobs` above 1 has a pool of that many worker
    processes at work, unless the inputs fit in one small chunk (starting
    processes would cost more than it saves). Close the iterator to end the
    run early: its workers are killed.
    """
    chunks = _chunks(items, FIRST_CHUNK if jobs > 1 else MAX_CHUNK, jobs)
    first = next(chunks, [])
    if jobs <= 1 or len(first) < FIRST_CHUNK:
        yield from _in_process(kb, chain(first, chain.from_iterable(chunks)), renderer, seconds)
        return
    yield from _pooled(kb, chain([first], chunks), renderer, jobs, seconds)


def _in_process(
    kb: KnowledgeBase, items: Iterable[Item], renderer: Renderer, seconds: float
) -> Run:
    """Render the inputs in this process, each within the time limit."""
    limit = TimeLimit(seconds)
    with limit.installed():
        for item in items:
            yield item, _render(kb, item, renderer, limit)


def _render(kb: KnowledgeBase, item: Item, renderer: Renderer, limit: TimeLimit) -> Rendered:
    try:
        with limit:
            return render_item(kb, item, renderer)
    except Overtime:
        return render_overtime(item, renderer, limit.seconds)


def _chunks(items: Iterable[Item], first: int, jobs: int = 1) -> Iterator[list[Item]]:
    """Small chunks first (quick first output), then bigger ones (less overhead).

    With several jobs the end is watched for, `jobs` chunks ahead: the last
    items go out in smaller chunks, so the processes finish together instead
    of one working through a last big chunk while the others wait.
    """
    iterator = iter(items)
    size = first
    ahead: deque[Item] = deque()
    end = False
    while True:
        if not end:
            wanted = size + (jobs - 1) * MAX_CHUNK
            ahead.extend(islice(iterator, wanted - len(ahead)))
            end = len(ahead) < wanted
        if not ahead:
            return
        if end and jobs > 1:
            size = min(size, max(FIRST_CHUNK, -(-len(ahead) // (2 * jobs))))
        yield [ahead.popleft() for _ in range(min(size, len(ahead)))]
        size = min(size * 2, MAX_CHUNK)


def _pooled(
    kb: KnowledgeBase, chunks: Iterator[list[Item]], renderer: Renderer, jobs: int, seconds: float
) -> Run:
    """`jobs` worker processes render the chunks; this one hands them out, in order."""
    global _WORKER
    _WORKER = (kb, renderer, seconds)
    pool = None
    finished = False
    try:
        with stops_blocked():  # a stop that comes meanwhile acts at the end, pool in hand
            pool = _pool_if_possible(jobs)
        if pool is None:  # the run goes on in this process, as docs/batch.md says
            yield from _in_process(kb, chain.from_iterable(chunks), renderer, seconds)
        else:
            yield from _handed_out(pool, chunks, jobs)
        finished = True
    finally:
        _WORKER = None
        if pool is not None:
            with stops_blocked():
                _stop_pool(pool, finished)


def _pool_if_possible(jobs: int) -> ProcessPoolExecutor | None:
    """A pool of workers, or None where the system cannot give one.

    A full /dev/shm (where the pool's locks live) or no more processes: the
    run is not lost for it.
    """
    try:
        return _start_pool(jobs)
    except OSError:
        return None


def _handed_out(pool: ProcessPoolExecutor, chunks: Iterator[list[Item]], jobs: int) -> Pairs:
    """The chunks handed out, at most `jobs * WINDOW` under way; their inputs in order."""
    from concurrent.futures.process import BrokenProcessPool  # loaded with the pool

    window: deque[tuple[list[Item], Future[list[Rendered]]]] = deque()
    try:
        for chunk in chunks:
            with stops_blocked():
                window.append((chunk, pool.submit(_run_chunk, chunk)))
            if len(window) >= jobs * WINDOW:
                yield from _taken(*window.popleft())
        while window:
            yield from _taken(*window.popleft())
    except BrokenProcessPool:
        raise InputError("a worker process stopped unexpectedly (out of memory?)") from None


def _start_pool(jobs: int) -> ProcessPoolExecutor:
    """A pool of `jobs` forked workers, all started now."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    fork = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(jobs, fork, initializer=_start_worker, initargs=(os.getpid(),))
    try:
        pool.submit(int)  # with fork, the first task starts every worker
    except BaseException:  # no worker could be started (out of processes?)
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    # Only the workers may hold the way back: a worker killed in the middle of sending
    # its output then leaves the pool at an end of file (a broken pool), not waiting
    # forever for the rest of the message (this process would otherwise hold it open).
    pool._result_queue._writer.close()  # type: ignore[attr-defined]
    return pool


def _stop_pool(pool: ProcessPoolExecutor, finished: bool) -> None:
    """Shut the pool down; a run that ends early kills its workers first (work under way is dropped)."""
    if not finished:
        # The pool has no public way to reach its processes.
        for process in list((pool._processes or {}).values()):
            process.kill()
    pool.shutdown(wait=True, cancel_futures=True)


def _taken(chunk: list[Item], pending: Future[list[Rendered]]) -> Pairs:
    """A chunk's inputs with what each gave, once its worker is done."""
    while True:
        try:
            with stops_blocked():
                rendered = pending.result(timeout=POLL)
            break
        except TimeoutError:
            continue  # a stop signal held back meanwhile acts here
    yield from zip(chunk, rendered, strict=True)


def _start_worker(parent: int) -> None:
    global _PARENT
    _PARENT = parent
    die_with_parent(parent)


def _run_chunk(chunk: list[Item]) -> list[Rendered]:
    assert _WORKER is not None
    orphaned(_PARENT)  # where the kernel has no parent-death signal
    kb, renderer, seconds = _WORKER
    limit = TimeLimit(seconds)
    with limit.installed():
        return [_render(kb, item, renderer, limit) for item in chunk]


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1
