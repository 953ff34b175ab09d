"""One writer at a time per local file dataset: an exclusive lock file next to the dataset.

A writer of the dataset ``P/T`` holds ``fcntl.flock`` on ``P/.T.lock`` around its whole
read-merge-write (recovery, stage, swap), so concurrent overwrite / append / upsert / append_once
calls serialise and none is lost. The operating system releases the lock when its process dies, so a
crash never leaves it held; a waiting writer gives up after ``ODIBI_WRITE_LOCK_TIMEOUT`` seconds
(default 900) with an error naming the dataset and the holder (its write id, pid and host, which the
holder records in the lock file). The holder deletes the lock file before releasing it, and a writer
that locked a file that was deleted meanwhile tries again, so no stale lock file outlives a clean write.
The lock is reentrant within a thread: an engine's ``write`` holds it (:func:`holds_dataset_lock`) over
its schema checks and the file writer's own lock nests inside; other threads and processes wait.

Stages (see :mod:`.atomic`) carry their writer's pid and host, so recovery can tell the stage of a live
writer from one whose process is gone (:func:`stage_owner_alive`).
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

from ..errors import ExecutionError

LOCK_TIMEOUT_ENV = "ODIBI_WRITE_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT = 900.0
FILE_FORMATS = ("csv", "json", "parquet", "excel")
_HELD = threading.local()  # lock paths this thread holds -> depth
_F = TypeVar("_F", bound=Callable[..., Any])
_HOST = re.sub(r"[^A-Za-z0-9.-]", "_", socket.gethostname()) or "localhost"


def lock_path(target: Path) -> Path:
    return target.parent / f".{target.name}.lock"


def owner_tag() -> str:
    """``<pid>@<host>`` of this process, as stage names carry it."""
    return f"{os.getpid()}@{_HOST}"


def stage_owner_alive(tag: str) -> bool | None:
    """Whether the writer named by ``tag`` (``<pid>@<host>``) still runs; ``None`` when it cannot be told
    (another host, or a tag of an unknown form)."""
    pid, _, host = tag.partition("@")
    if not pid.isdigit() or host != _HOST:
        return None
    return pid_alive(int(pid))


def pid_alive(pid: int) -> bool:
    """True while process ``pid`` runs on this machine (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[:1] not in (["Z"], ["X"])


def lock_timeout() -> float:
    raw = os.environ.get(LOCK_TIMEOUT_ENV)
    if raw is None or not raw.strip():
        return DEFAULT_LOCK_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        raise ExecutionError(f"{LOCK_TIMEOUT_ENV}={raw!r} is not a number of seconds; set it to e.g. 900 or "
                             "unset it") from None
    if value < 0:
        raise ExecutionError(f"{LOCK_TIMEOUT_ENV}={raw!r} is negative; set a number of seconds >= 0")
    return value


@contextmanager
def dataset_lock(target: Path, *, write_id: str, timeout: float | None = None) -> Iterator[None]:
    """Hold the exclusive write lock of the dataset at ``target`` (waiting up to ``timeout`` seconds)."""
    path = lock_path(target.absolute())
    held: dict[Path, int] = _HELD.__dict__.setdefault("paths", {})
    if path in held:  # this thread holds it already
        held[path] += 1
        try:
            yield
        finally:
            held[path] -= 1
        return
    wait = lock_timeout() if timeout is None else timeout
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = _acquire(path, target, write_id, time.monotonic() + wait, wait)
    held[path] = 1
    try:
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"write_id": write_id, "pid": os.getpid(), "host": _HOST,
                                 "since": time.strftime("%Y-%m-%dT%H:%M:%S%z")}).encode())
        yield
    finally:
        del held[path]
        try:
            path.unlink(missing_ok=True)  # before unlocking: a waiter that locked this inode retries
        finally:
            os.close(fd)


def holds_dataset_lock(write: _F) -> _F:
    """Decorate an engine's ``write(frame, spec, connection, *, write_id, ...)`` so that a write to a local
    file dataset holds its lock for the whole call: schema checks of the existing data and the write."""

    @functools.wraps(write)
    def locked(frame: Any, spec: Any, connection: Any, *args: Any, write_id: str, **kwargs: Any) -> Any:
        target = _local_file_target(spec, connection)
        if target is None:
            return write(frame, spec, connection, *args, write_id=write_id, **kwargs)
        with dataset_lock(target, write_id=write_id):
            return write(frame, spec, connection, *args, write_id=write_id, **kwargs)

    return cast(_F, locked)


def _local_file_target(spec: Any, connection: Any) -> Path | None:
    """The local path ``spec`` writes a file dataset to, or None (not files, not local, not resolvable:
    the write itself reports that)."""
    if spec.format not in FILE_FORMATS or not spec.path or not hasattr(connection, "resolve"):
        return None
    try:
        location = str(connection.resolve(spec.path))
    except Exception:  # noqa: BLE001 (the write reports it, located)
        return None
    if "://" in location and not location.startswith("file://"):
        return None
    return Path(location.removeprefix("file://"))


def _acquire(path: Path, target: Path, write_id: str, deadline: float, wait: float) -> int:
    delay = 0.01
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if time.monotonic() >= deadline:
                raise ExecutionError(
                    f"cannot write '{target}' ({write_id}): another writer holds it ({_holder(path)}) and did "
                    f"not finish within {wait:g}s; one writer at a time is allowed per file dataset. Wait for it "
                    f"to finish, or raise {LOCK_TIMEOUT_ENV}", retryable=True) from None
            time.sleep(delay)
            delay = min(delay * 2, 0.05)
            continue
        except BaseException:
            os.close(fd)
            raise
        if _same_file(fd, path):
            return fd
        os.close(fd)  # the previous holder deleted this lock file after we opened it: lock the new one


def _same_file(fd: int, path: Path) -> bool:
    try:
        now = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (now.st_dev, now.st_ino)


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        return "holder unknown"
    if not isinstance(info, dict) or not info:
        return "holder unknown"
    return (f"write id {info.get('write_id')}, pid {info.get('pid')} on {info.get('host')}, "
            f"since {info.get('since')}")
