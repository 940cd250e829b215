"""Stage timestamps of every upload web receives (``bench/hub/trace_requests.py``).

``trace_requests.py`` puts this folder on ``PYTHONPATH`` and names a file in
``ZENITH_BENCH_TRACE``; in the process ``zenith run web`` (and no other) it
wraps the ingest path's steps and writes one JSON line per upload: its route
and ``(stage, ms since the handler asked for the key check, details)`` for
the key's verdict, each part received (``recv``) and its check asked for
(``ask``), each check and each in-memory part's write in its thread (start,
end, the thread's CPU time and its wait in the kernel's run queue, from
``/proc/thread-self/schedstat``), each part's check done on the event loop
(``done``), and the ends of ``read_upload``, ``checked``, ``stage`` and
``_publish``. It names web's functions: one renamed makes it fail at start,
not trace nothing.
"""

from __future__ import annotations

import os
import sys

TRACE = os.environ.get("ZENITH_BENCH_TRACE")


def _install(path: str) -> None:
    import contextvars
    import json
    import time
    from typing import Any

    from zenith_web import multipart_stream
    from zenith_web.views import ingest, ingest_staging

    clock = time.perf_counter
    current: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
        "bench_trace", default=None)
    owners: dict[object, dict[str, Any]] = {}  # a part's bytes or path -> its request
    out = open(path, "a", buffering=1)  # open for the process's life

    def mark(req: dict[str, Any] | None, stage: str, at: float | None = None,
             **details: float) -> None:
        if req is not None:
            req["ev"].append((stage, round(1000 * ((at or clock()) - req["t0"]), 3),
                              details or None))

    def run_queue_ns() -> int:
        with open("/proc/thread-self/schedstat") as fh:
            return int(fh.read().split()[1])

    def in_thread(req: dict[str, Any] | None, stage: str, fn: Any, *args: Any) -> Any:
        started, cpu, waited = clock(), time.thread_time(), run_queue_ns()
        try:
            return fn(*args)
        finally:
            if req is not None:
                mark(req, stage, started, end=round(1000 * (clock() - req["t0"]), 3),
                     cpu=round(1000 * (time.thread_time() - cpu), 3),
                     run_queue=round((run_queue_ns() - waited) / 1e6, 3))

    camera_of = ingest.camera_of

    def traced_camera_of(request: Any, credential: Any, *args: Any, **kwargs: Any) -> Any:
        # the first step of every upload route: a new request (one task serves a
        # connection's requests one after another)
        req = current.get()
        if req is None or req.get("done"):
            req = {"t0": clock(), "ev": [], "path": request.path}
            current.set(req)

        async def run() -> Any:
            try:
                return await camera_of(request, credential, *args, **kwargs)
            finally:
                mark(req, "verdict")
        return run()

    checked_and_synced = ingest_staging.checked_and_synced

    def traced_checked_and_synced(how: str, part: Any, max_pixels: int) -> Any:
        req = current.get()
        mark(req, "ask " + part.name)
        if req is not None:
            if part.data is not None:
                owners[id(part.data)] = req
            owners[str(part.path)] = req
        future = checked_and_synced(how, part, max_pixels)
        future.add_done_callback(lambda _: mark(req, "done " + part.name))
        return future

    check_part = ingest_staging.check_part

    def traced_check_part(how: str, name: str, source: Any, max_pixels: int) -> Any:
        req = owners.get(id(source) if isinstance(source, bytes) else str(source))
        return in_thread(req, "chk " + name, check_part, how, name, source, max_pixels)

    write_out = multipart_stream._write_out

    def traced_write_out(fh: Any, data: bytes) -> str:
        req = owners.get(id(data))
        name = next((n for n, f in (req or {}).get("files", {}).items() if f is data), "")
        return in_thread(req, f"wr {name}".strip(), write_out, fh, data)  # type: ignore[no-any-return]

    on_file = ingest_staging.PartChecks.on_file

    def traced_on_file(self: Any, part: Any) -> None:
        req = current.get()
        mark(req, "recv " + part.name)
        if req is not None and part.data is not None:
            req.setdefault("files", {})[part.name] = part.data
        on_file(self, part)

    def ends(name: str) -> None:
        step = getattr(ingest, name)

        async def traced(*args: Any, **kwargs: Any) -> Any:
            req = current.get()
            try:
                return await step(*args, **kwargs)
            finally:
                mark(req, name)
                if name == "_publish" and req is not None:
                    req["done"] = True
                    out.write(json.dumps({"path": req["path"], "ev": req["ev"]}) + "\n")
                    for key in [k for k, v in owners.items() if v is req]:
                        del owners[key]
                    req.pop("files", None)
        setattr(ingest, name, traced)

    ingest.camera_of = traced_camera_of
    ingest_staging.checked_and_synced = traced_checked_and_synced
    ingest_staging.check_part = traced_check_part
    multipart_stream._write_out = traced_write_out
    ingest_staging.PartChecks.on_file = traced_on_file  # type: ignore[method-assign]
    for step in ("read_upload", "checked", "stage", "_publish"):
        ends(step)


if TRACE and sys.argv[-2:] == ["run", "web"]:
    _install(TRACE)
