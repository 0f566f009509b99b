"""Where ``/invocations`` bodies are decoded and predicted: worker processes, or a thread.

Decoding holds the GIL for as long as it runs: orjson spends ~300 ms on a 16 MiB body without
releasing it, and pandas and numpy hold it through long conversions.  Run in a thread of the
server, such work stalls the event loop, and ``/ping`` with it, for as long.  Worker processes
forked once the model is loaded decode and predict with their own GIL; the server only moves
bytes.  In a notebook kernel, which runs threads of its own, forking is unsafe, so
``mlnb.serve`` decodes in a single thread unless asked for processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import multiprocessing
import os
import pickle
import signal
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from mlnb.errors import InvalidParameter
from mlnb.serve.encoding import predictions_body
from mlnb.serve.protocol import PREDICT_FAILED, RequestError, error_body, parse_request

# What a job returns: the HTTP status and the JSON body.
Reply = tuple[int, bytes]
# Bodies bigger than this are decoded with the collector paused (see predict_reply).
_BIG_BYTES = 64 * 1024
_PR_SET_PDEATHSIG = 1
# How much lower the decoding processes' CPU priority is than the server's.
_NICENESS = 5
# A worker gives freed memory back to the system after a body this big.
_TRIM_BYTES = 1024 * 1024


class PredictJob:
    """Decode one body, predict, encode: the whole of ``/invocations`` but the HTTP."""

    def __init__(self, model: Any, signature: dict[str, Any] | None, max_columns: int) -> None:
        self.model = model
        self.signature = signature
        self.max_columns = max_columns

    def __call__(self, body: bytes, content_type: str | None) -> Reply:
        try:
            if len(body) > _BIG_BYTES:
                # Decoding a big body makes many short-lived lists; a full GC pass over the heap
                # of pandas/scikit-learn in the middle of it costs more than the whole request.
                was_enabled = gc.isenabled()
                gc.disable()
                try:
                    data = parse_request(body, content_type, self.signature, self.max_columns)
                finally:
                    if was_enabled:
                        gc.enable()
            else:
                data = parse_request(body, content_type, self.signature, self.max_columns)
            try:
                raw = self.model.predict(data)
            except Exception:
                raise RequestError(PREDICT_FAILED) from None
            return 200, predictions_body(raw)
        except RequestError as exc:
            return exc.status, error_body(exc.error_code, exc.message)


def _trim_heap() -> None:
    """Hand freed heap pages back to the system (glibc keeps them otherwise)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _die_with(parent: int) -> None:
    """Undo what the server's event loop set up for signals, and end when the server ends.

    A worker forked after the loop started inherits its SIGTERM handler, which only wakes a
    loop the worker does not run: without this it would outlive a stopped server.
    """
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the server, which stops us
    with contextlib.suppress(ValueError):
        signal.set_wakeup_fd(-1)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the server ended before prctl took effect
        os._exit(0)


def _worker_main(conn: Any, job: PredictJob, parent: int) -> None:
    _die_with(parent)
    # On a busy machine the event loop (I/O only, mostly asleep) must win the CPU whenever a
    # request arrives; decoding and predicting lose little by yielding to it.
    with contextlib.suppress(OSError):
        os.nice(_NICENESS)
    while True:
        try:
            content_type = conn.recv_bytes().decode("latin-1") or None
            body = conn.recv_bytes()
        except (EOFError, OSError):
            return  # the server is gone
        try:
            status, payload = job(body, content_type)
        except Exception:  # a bug, not the request's fault; the server answers 500
            status, payload = 500, error_body("INTERNAL_ERROR", "internal server error")
        size = len(body)
        del body
        try:
            conn.send_bytes(b"%03d" % status + payload)
        except (EOFError, OSError):
            return
        del payload
        if size > _TRIM_BYTES:
            gc.collect()
            _trim_heap()


class _Worker:
    def __init__(self, context: Any, job: PredictJob) -> None:
        parent, child = context.Pipe()
        self.process = context.Process(
            target=_worker_main, args=(child, job, os.getpid()), name="mlnb-serve-worker", daemon=True
        )
        self.process.start()
        child.close()
        self.conn = parent

    def call(self, body: bytes, content_type: str | None) -> Reply:
        self.conn.send_bytes((content_type or "").encode("latin-1", "replace"))
        self.conn.send_bytes(body)
        reply = self.conn.recv_bytes()
        return int(reply[:3]), reply[3:]

    def stop(self) -> None:
        self.conn.close()
        self.process.join(2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(2)


class Predictor:
    """Runs :class:`PredictJob` for the event loop, at most ``workers`` at a time.

    With ``workers >= 1`` each job runs in one of that many processes: forked (the model is
    inherited, not reloaded) or, with ``start_method="spawn"`` (from a notebook kernel, whose
    threads make forking unsafe), fresh interpreters that receive the model pickled.  With ``0``
    jobs run in one thread of this process.
    """

    def __init__(self, job: PredictJob, workers: int, start_method: str = "fork") -> None:
        self.job = job
        self.workers = workers
        slots = max(workers, 1)
        self._threads = ThreadPoolExecutor(slots, thread_name_prefix="mlnb-serve-predict")
        self._slots: asyncio.Semaphore | None = None
        self._context = multiprocessing.get_context(start_method) if workers else None
        try:
            self._idle = deque(_Worker(self._context, job) for _ in range(workers))
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            raise InvalidParameter(
                f"this model cannot be sent to a new process ({type(exc).__name__}: {str(exc)[:80]}); "
                "serve it with workers=0"
            ) from None

    @property
    def pids(self) -> list[int]:
        """Process ids of the worker processes (empty in thread mode)."""
        return [w.process.pid for w in self._idle if w.process.pid is not None]

    async def run(self, body: bytes, content_type: str | None) -> Reply:
        """The job's reply for one body, once a worker is free."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(max(self.workers, 1))
        loop = asyncio.get_running_loop()
        await self._slots.acquire()
        worker = self._idle.popleft() if self.workers else None  # round robin
        if worker is not None and not worker.process.is_alive():  # killed while idle (OOM killer)
            worker.stop()
            worker = _Worker(self._context, self.job)
        call = worker.call if worker is not None else self.job
        future = loop.run_in_executor(self._threads, call, body, content_type)
        # The slot and the worker come back when the job ends, even if this request's task is
        # cancelled first: a worker never takes a second job while it still runs one.
        future.add_done_callback(lambda done: self._release(worker, done))
        try:
            return await asyncio.shield(future)
        except (EOFError, OSError):
            return 503, error_body(
                "SERVICE_UNAVAILABLE",
                "the prediction process stopped (out of memory?); retry with a smaller request",
            )

    def _release(self, worker: _Worker | None, done: asyncio.Future[Reply]) -> None:
        assert self._slots is not None
        if worker is not None:
            if done.cancelled() or isinstance(done.exception(), (EOFError, OSError)):
                worker.stop()
                worker = _Worker(self._context, self.job)
            self._idle.append(worker)
        self._slots.release()

    def close(self) -> None:
        for worker in self._idle:
            worker.stop()
        self._idle.clear()
        self._threads.shutdown(wait=False)
