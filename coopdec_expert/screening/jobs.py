"""A batch run for the app: `screen_table` in a process of its own, watched and stoppable.

The app's server must stay free for every user while a directorate's table is screened, so the
batch runs in a separate process (which may start its own pool of workers, as `coopdec screen`
does). That process reports rows done / total through shared memory, writes its outcome in a
folder the caller owns, and ends — whatever happens — within the batch's limits:

- time: past `limits.seconds` it stops itself (and the server stops it if it does not);
- memory: past `limits.memory_mb` for the batch's processes together (resident memory, read
  every half second on Linux) it stops itself; each process also has an address-space ceiling,
  so a single runaway allocation fails with MemoryError instead of swapping the server;
- cancel: the caller's `cancel()` ends it at once.

What was committed to the register before a stop is kept (records are written per chunk, in one
transaction each); no output file is offered. Pool workers end with the batch's process (each
watches its parent).
"""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from .run import ScreenResult

State = Literal[
    "running", "done", "refused", "register", "timeout", "memory", "cancelled", "failed"
]
OUTCOME = "outcome.pickle"
REPORTS_ZIP = "reports.zip"
OUTPUT_FILES = ("results.xlsx", "results.csv", "errors.csv", "summary.pdf", REPORTS_ZIP)
_POLL_S = 0.5  # how often the batch process checks its memory and time


class BatchLimits(BaseModel):
    """What one batch may use. Defaults suit a shared 2-core server; `from_environment` reads
    COOPDEC_BATCH_SECONDS, COOPDEC_BATCH_MEMORY_MB and COOPDEC_BATCH_WORKERS."""

    seconds: float = Field(default=900, gt=0)
    memory_mb: int = Field(default=2048, ge=64)
    workers: int = Field(default=1, ge=1, le=64)

    @classmethod
    def from_environment(cls) -> BatchLimits:
        values = {}
        for name, variable in (
            ("seconds", "COOPDEC_BATCH_SECONDS"),
            ("memory_mb", "COOPDEC_BATCH_MEMORY_MB"),
            ("workers", "COOPDEC_BATCH_WORKERS"),
        ):
            if os.environ.get(variable):
                values[name] = os.environ[variable]
        return cls.model_validate(values)


@dataclass
class Progress:
    """What the caller shows while the batch runs, and what it got at the end."""

    state: State
    done: int = 0
    total: int | None = None  # rows estimated from the file; None while not known
    elapsed: float = 0.0
    result: ScreenResult | None = None
    message: str = ""  # for refused / register / failed: the reason (already safe to show)
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def remaining_seconds(self) -> float | None:
        """A linear estimate from the rows done so far; None before the first rows."""
        if not self.done or not self.total or self.done >= self.total:
            return None
        return self.elapsed / self.done * (self.total - self.done)

    @property
    def finished(self) -> bool:
        return self.state != "running"


class BatchJob:
    """One table screened in a separate process. Start it, `poll()` it as often as the page
    refreshes, `cancel()` it; the outcome folder is removed once read."""

    def __init__(
        self,
        data: bytes,
        filename: str,
        lang: str,
        store_url: str | None,
        reports: bool = False,
        limits: BatchLimits | None = None,
        workspace: str | None = None,
        user_id: str | None = None,
    ):
        self.filename = filename
        self.limits = limits or BatchLimits()
        self.folder = Path(tempfile.mkdtemp(prefix="coopdec-batch-"))
        (self.folder / "input").write_bytes(data)
        order: dict[str, object] = {
            "filename": filename,
            "lang": lang,
            "store_url": store_url,
            "reports": reports,
        }
        # the signed-in user's workspace and id: the records are theirs (ui/auth.py)
        order["workspace"], order["user_id"] = workspace, user_id
        order["limits"] = self.limits.model_dump()
        order["parent"] = os.getpid()
        (self.folder / "order.json").write_text(json.dumps(order), encoding="utf-8")
        package_parent = str(Path(__file__).resolve().parents[2])  # finds coopdec_expert
        path = os.pathsep.join(p for p in (package_parent, os.environ.get("PYTHONPATH")) if p)
        self.started = time.monotonic()
        self._final: Progress | None = None
        # A process of its own (not multiprocessing's: a daemon could not start the pool's
        # workers, a non-daemon would hold the server's exit until it ends).
        self._process = subprocess.Popen(
            [sys.executable, "-m", "coopdec_expert.screening.jobs", str(self.folder)],
            env={**os.environ, "PYTHONPATH": path},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=(self.folder / "log").open("wb"),
        )

    def poll(self) -> Progress:
        """Where the batch is; once finished, its outcome (read once, then kept)."""
        if self._final is not None:
            return self._final
        elapsed = time.monotonic() - self.started
        done, total = _read_progress(self.folder)
        if self._process.poll() is None:
            if elapsed > self.limits.seconds + 30:  # it did not stop itself: stop it
                self._stop()
                return self._finish(Progress("timeout", done, total, elapsed))
            return Progress("running", done, total, elapsed)
        return self._finish(self._outcome(done, total, elapsed))

    def cancel(self) -> Progress:
        """Stop the batch now; what it committed to the register stays."""
        if self._final is None:
            self._stop()
            done, total = _read_progress(self.folder)
            elapsed = time.monotonic() - self.started
            return self._finish(Progress("cancelled", done, total, elapsed))
        return self._final

    @property
    def pid(self) -> int:
        return self._process.pid

    def _stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(10)

    def _outcome(self, done: int, total: int | None, elapsed: float) -> Progress:
        path = self.folder / OUTCOME
        if not path.is_file():  # killed from outside, or crashed before writing
            log = (self.folder / "log").read_text(encoding="utf-8", errors="replace")
            message = f"exit {self._process.returncode}: {log[-2000:]}"
            return Progress("failed", done, total, elapsed, message=message)
        state, payload = pickle.loads(path.read_bytes())
        if state != "done":
            return Progress(state, done, total, elapsed, message=payload)
        result: ScreenResult = payload
        files = {
            name: (self.folder / "out" / name).read_bytes()
            for name in OUTPUT_FILES
            if (self.folder / "out" / name).is_file()
        }
        result.out_dir = None  # the folder is removed below: the bytes are in `files`
        result.charts = []
        assessed = result.assessed + result.rejected_rows
        return Progress("done", assessed, assessed, elapsed, result=result, files=files)

    def _finish(self, progress: Progress) -> Progress:
        self._final = progress
        shutil.rmtree(self.folder, ignore_errors=True)
        return progress

    def __del__(self) -> None:  # a session dropped mid-batch: do not leave the process running
        process = getattr(self, "_process", None)
        if process is not None and process.poll() is None:
            process.kill()
        shutil.rmtree(getattr(self, "folder", ""), ignore_errors=True)


def _read_progress(folder: Path) -> tuple[int, int | None]:
    """(rows done, rows expected or None) as the batch last wrote them."""
    try:
        done, total = (folder / "progress").read_text(encoding="ascii").split()
        return int(done), (int(total) if int(total) >= 0 else None)
    except (OSError, ValueError):
        return 0, None


# --- the batch's own process --------------------------------------------------------------


def main(folder: str) -> None:
    """The batch's process: screen `folder/input` as `folder/order.json` says; write
    `folder/outcome.pickle` as (state, payload) and the files in `folder/out`."""
    base = Path(folder)
    order = json.loads((base / "order.json").read_text(encoding="utf-8"))
    limits = BatchLimits.model_validate(order["limits"])
    _limit_address_space(limits.memory_mb)

    def write(state: str, payload: object) -> None:
        partial = base / f"{OUTCOME}.partial"
        partial.write_bytes(pickle.dumps((state, payload)))
        os.replace(partial, base / OUTCOME)

    def stop(state: str) -> None:
        write(state, "")
        os._exit(3)  # the pool's workers see this process gone and end too

    _watch(limits, order["parent"], stop)
    try:
        result = _screen(base, order, limits)
    except MemoryError:
        stop("memory")
    except Exception as error:  # noqa: BLE001 - each known kind becomes a message for people
        from .store import StoreError
        from .table import TableError

        if isinstance(error, TableError):
            write("refused", str(error))
        elif isinstance(error, StoreError):
            write("register", str(error))  # masked; the app logs it and shows a generic line
        else:
            write("failed", traceback.format_exc())
        return
    write("done", result)


def _screen(base: Path, order: dict, limits: BatchLimits) -> ScreenResult:
    from ..engine.assess import default_assessor
    from .run import ScreenOptions, screen_requests
    from .table import RequestTable

    kb = default_assessor().kb
    out = base / "out"
    lang, reports = order["lang"], order["reports"]
    options = ScreenOptions(
        lang=lang,
        out_dir=out,
        reports=reports,
        workers=limits.workers,
        chunk_size=10,  # finer progress for people watching
        store_url=order["store_url"],
        workspace=order.get("workspace"),
        user_id=order.get("user_id"),
        keep_results=True,
        reuse_stored=True,
    )

    def progress(done: int, total: int | None) -> None:
        partial = base / "progress.partial"
        partial.write_text(f"{done} {total if total is not None else -1}", encoding="ascii")
        os.replace(partial, base / "progress")

    data = (base / "input").read_bytes()
    with RequestTable(data, order["filename"], kb, lang) as table:
        progress(0, table.estimated_rows)
        result = screen_requests(table, kb, options, progress)
    if reports and (out / "reports").is_dir():
        (out / REPORTS_ZIP).write_bytes(_zip_folder(out / "reports"))
    return result


def _zip_folder(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


def _limit_address_space(memory_mb: int) -> None:
    """A ceiling on each process's address space (inherited by the pool's workers): generous,
    since address space is not memory used, but a runaway allocation fails at once."""
    try:
        import resource
    except ImportError:  # not on this platform: the watchdog alone applies
        return
    ceiling = max(4 * memory_mb, 4096) * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        ceiling = min(ceiling, hard)
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, hard))


def _watch(limits: BatchLimits, parent: int, stop) -> None:
    """Stop the batch past its time, when its processes together hold more than its memory, or
    when the server that started it is gone."""
    deadline = time.monotonic() + limits.seconds
    ceiling_kb = limits.memory_mb * 1024

    def loop() -> None:
        while True:
            time.sleep(_POLL_S)
            if time.monotonic() > deadline:
                stop("timeout")
            if _resident_kb() > ceiling_kb:
                stop("memory")
            if os.getppid() != parent:
                stop("cancelled")

    threading.Thread(target=loop, name="coopdec-batch-watch", daemon=True).start()


def _resident_kb() -> int:
    """Resident memory of this process and its children (the pool's workers), from /proc; 0
    where /proc is not available."""
    try:
        children = [child.pid for child in multiprocessing.active_children()]
    except RuntimeError:  # the pool was adding a worker meanwhile: read again next time
        children = []
    pids = [os.getpid(), *children]
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
        except (OSError, ValueError):
            continue
    return total


if __name__ == "__main__":
    main(sys.argv[1])
