"""How a Gemini API request is retried: backoff, the quota gate, and what each error means.

Rate limits, server errors and network faults are retried with jittered exponential
backoff; a 429 also narrows how many calls are in flight (:class:`Gate`). A rejected key
or an unknown model is fatal, any other refusal is :class:`Rejected` (never retried), and
a job or file the service no longer has is :class:`Gone`. A network found dead during an
index run is remembered, so the rest of the run stops at once instead of retrying it.

``google.genai`` is imported on the first request, never at import time.
"""

from __future__ import annotations

import importlib
import json
import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from core.embed.base import EmbedError

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
MAX_THROTTLES = 50  # 429s with a retryDelay one call waits out before it counts as failing
KEY_REJECTED = "Gemini API key rejected — set GEMINI_API_KEY or choose the local model"

Endpoint = Literal["embed", "batch", "file"]
T = TypeVar("T")

__all__ = [
    "KEY_REJECTED",
    "MAX_THROTTLES",
    "RETRY_STATUSES",
    "Endpoint",
    "Gate",
    "Gone",
    "Rejected",
    "Retrying",
    "transport_errors",
]


class Rejected(EmbedError):
    """The service refused the request's content (a 400 that is not about the key)."""


class Gone(EmbedError):
    """A batch job or an uploaded file the service no longer has (404) or shows (403)."""


class Gate:
    """How many embedding calls may be in flight, adapted to the service's quota (AIMD).

    A 429 halves the limit and holds every caller for the ``retryDelay`` the service
    named (so the calls in flight do not all run into the same wall); each success adds
    ``1 / limit``, so the limit creeps back up by about one per round of calls, up to the
    configured concurrency.
    """

    def __init__(self, ceiling: int, sleep: Callable[[float], None] = time.sleep) -> None:
        self.ceiling = ceiling
        self.limit = float(ceiling)
        self.active = 0
        self.lowest = float(ceiling)  # for tests and benchmarks: how far it backed off
        self._until = 0.0
        self._sleep = sleep
        self._cond = threading.Condition()

    def __enter__(self) -> Gate:
        with self._cond:
            wait = self._until - time.monotonic()
        if wait > 0:
            self._sleep(wait)  # outside the lock; once: a test's sleep does not pass time
        with self._cond:
            while self.active >= max(1, int(self.limit)):
                self._cond.wait()
            self.active += 1
        return self

    def __exit__(self, *exc: object) -> None:
        with self._cond:
            self.active -= 1
            self._cond.notify_all()

    def throttled(self, delay: float) -> None:
        with self._cond:
            self.limit = max(1.0, self.limit / 2)
            self.lowest = min(self.lowest, self.limit)
            if delay > 0:
                self._until = max(self._until, time.monotonic() + delay)
            self._cond.notify_all()

    def passed(self) -> None:
        with self._cond:
            if self.limit < self.ceiling:
                self.limit = min(float(self.ceiling), self.limit + 1.0 / self.limit)
                self._cond.notify_all()


def _retry_hint(exc: Any) -> float:
    """Seconds the service asked us to wait (google.rpc.RetryInfo), or 0."""
    try:
        for detail in exc.details["error"].get("details", []):
            delay = str(detail.get("retryDelay", ""))
            if delay.endswith("s"):
                return float(delay[:-1])
    except (AttributeError, KeyError, TypeError, ValueError):
        pass
    return 0.0


def _key_rejected(exc: Any) -> bool:
    if exc.code in (401, 403):
        return True
    text = f"{exc.message or ''} {json.dumps(exc.details, default=str)}"
    return exc.code == 400 and ("API_KEY_INVALID" in text or "API key" in text)


def transport_errors() -> tuple[type[BaseException], ...]:
    """Connection failures and timeouts: the SDK lets its HTTP library's errors through."""
    found: list[type[BaseException]] = [OSError]
    for name in ("httpx2", "httpx"):
        try:
            found.append(importlib.import_module(name).TransportError)
        except (ImportError, AttributeError):
            continue
    return tuple(found)


class Retrying:
    """Runs API requests for one provider, retrying what is worth retrying.

    Args:
        model_id: named in the error for a 404 on an embed call.
        gate: the quota gate embed calls pass through; told of 429s and successes.
        attempts: tries per request for rate limits, 5xx and network faults.
        backoff_s, max_backoff_s: the first retry delay and the cap; delays double with
            jitter.
        sleep: waits between retries (tests pass a recorder).
    """

    def __init__(
        self,
        model_id: str,
        gate: Gate,
        attempts: int,
        backoff_s: float,
        max_backoff_s: float,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.model_id = model_id
        self.gate = gate
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.sleep = sleep
        # The HTTP library's connection errors; set when the SDK client is made.
        self.transport: tuple[type[BaseException], ...] = ()
        self.offline: EmbedError | None = None

    def call(self, request: Callable[[], T], endpoint: Endpoint = "embed", bulk: bool = False) -> T:
        """Run one API request, retrying rate limits, 5xx and network faults with backoff.

        ``endpoint`` says what was asked, so that a 404 or 403 is explained for what it
        means there: on an embed call a 404 is a wrong model name, on ``batches.get`` or
        ``files.get`` it is a job or file that is gone. ``bulk``: part of an index run,
        which remembers a dead network (a query always tries).

        Raises:
            EmbedError: ``fatal`` for a rejected key or unknown model, ``transient`` when
                retries ran out; :class:`Rejected` for any other refusal (never retried).
        """
        from google.genai import errors

        if bulk and self.offline is not None:
            raise self.offline  # the network was found dead earlier in this run
        problem = ""
        network = False
        attempt = 0
        throttles = 0
        while attempt < self.attempts:
            attempt += 1
            hint = 0.0
            try:
                result = request()
                if endpoint == "embed":
                    self.gate.passed()
                return result
            except errors.APIError as exc:
                if _key_rejected(exc) and (exc.code != 403 or endpoint == "embed"):
                    raise EmbedError(KEY_REJECTED, fatal=True) from None
                if exc.code in (403, 404) and endpoint != "embed":
                    what = "batch job" if endpoint == "batch" else "uploaded file"
                    gone = "no longer exists" if exc.code == 404 else "is not accessible"
                    raise Gone(f"Gemini API: the {what} {gone} ({exc.message})") from None
                if exc.code == 404:
                    # On embed calls this means the model name is wrong: no call can succeed.
                    raise EmbedError(
                        f"Gemini API: not found ({exc.message}); check the model "
                        f"name {self.model_id!r}",
                        fatal=True,
                    ) from None
                if exc.code not in RETRY_STATUSES:
                    raise Rejected(f"Gemini refused the request: {exc.message}") from None
                problem = f"Gemini API {exc.code} {exc.status or ''}".strip()
                hint = _retry_hint(exc)
                network = False
                if exc.code == 429 and endpoint == "embed":
                    # Over the quota: fewer calls in flight, every caller waits out the
                    # delay. A delay the service names is pacing, not failure: it does
                    # not use up an attempt (up to MAX_THROTTLES a call).
                    self.gate.throttled(min(hint, self.max_backoff_s))
                    if hint > 0 and throttles < MAX_THROTTLES:
                        throttles += 1
                        attempt -= 1
                        continue  # the gate holds this call, and the others, for the delay
            except self.transport as exc:
                problem = f"cannot reach the Gemini API ({type(exc).__name__})"
                network = True
            if attempt < self.attempts:
                delay = self.backoff(attempt, hint)
                log.info("%s; retry %d/%d in %.1fs", problem, attempt, self.attempts - 1, delay)
                self.sleep(delay)
                if bulk and self.offline is not None:
                    raise self.offline
        error = EmbedError(f"{problem}; gave up after {self.attempts} attempts", transient=True)
        if network and bulk:
            # Remember it for the run: the next rounds stop at once, their files pending,
            # instead of each retrying a dead network from scratch.
            self.offline = EmbedError(
                f"{problem}; stopped after {self.attempts} attempts, the rest is left "
                "pending for the next run",
                transient=True,
                offline=True,
            )
            raise self.offline
        raise error

    def backoff(self, attempt: int, hint: float) -> float:
        delay = min(self.max_backoff_s, self.backoff_s * 2 ** (attempt - 1))
        delay *= random.uniform(0.5, 1.0)  # jitter: concurrent callers do not retry in step
        return max(delay, min(hint, self.max_backoff_s))
