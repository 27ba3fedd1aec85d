"""Jobs for the tests of apps.core.jobs: module-level, so a real db_worker process can import them.

Each records what it did in a file the test reads (the worker is another process).
"""

import time
from pathlib import Path

from django.db import transaction

from apps.core.jobs import TransientError, claim_once, job


def _append(path: str, line: str) -> None:
    with Path(path).open("a") as file:
        file.write(line + "\n")


@job
def record(path: str, line: str) -> str:
    _append(path, line)
    return line


@job
def record_slowly(path: str, line: str) -> str:
    """Takes 50 ms, so a queue of them keeps every running worker busy for a while."""
    time.sleep(0.05)
    _append(path, line)
    return line


def _note_give_up(exc: BaseException, path: str, **kwargs) -> None:
    _append(path + ".gave-up", f"{type(exc).__name__}: {exc}")


@job(on_give_up=_note_give_up)
def flaky(path: str) -> str:
    """Fails with a transient error while `<path>.down` exists (a service that is down), then records."""
    if Path(path + ".down").exists():
        _append(path + ".attempts", "failed")
        raise TransientError("the service is down")
    _append(path, "delivered")
    return "delivered"


@job(on_give_up=_note_give_up)
def broken(path: str) -> None:
    """A bug, not a transient failure: fails for good on its first attempt."""
    raise ValueError("a bug")


@job
def once(path: str, key: str) -> bool:
    with transaction.atomic():
        if not claim_once(key):
            return False
        _append(path, key)
        return True
