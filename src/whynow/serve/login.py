"""Signing in to a dashboard that needs a token (SPEC §8): the sessions behind the login form's cookie,
and the throttle on wrong tokens.

A session is a random nonce in the cookie, kept here (as its digest) until it expires or its browser signs
out, so a cookie captured before logout opens nothing after it; a restart signs everyone out. Wrong tokens,
from the login form or a bearer header, are counted per client address: after FREE_TRIES the client waits
1 s, then 2, 4, … up to MAX_WAIT_S before its next token is even compared (429 with Retry-After).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections import OrderedDict
from collections.abc import Callable

Clock = Callable[[], float]  # seconds, only ever compared with each other (time.monotonic)

SESSION_S = 12 * 3600  # a working day: sign in in the morning, the cookie lasts until the evening
FREE_TRIES = 5  # wrong tokens before a client waits: enough for typos, few for guessing
MAX_WAIT_S = 15 * 60  # the longest wait: one guess per 15 minutes, and a locked-out person is back soon
FORGET_S = 24 * 3600  # a client's wrong tokens are forgotten a day after its last one
MAX_KEPT = 10_000  # clients (and sessions) kept at once, the oldest forgotten first: memory stays bounded


def digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def same(given: str, secret: str) -> bool:
    """Whether `given` is `secret`, in constant time (digests first, so the length leaks nothing)."""
    return hmac.compare_digest(digest(given), digest(secret))


class Sessions:
    """The signed-in browsers: cookie nonce (by digest) → when it expires."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.expires: OrderedDict[bytes, float] = OrderedDict()

    def open(self) -> str:
        """A new session's cookie value."""
        now = self.clock()
        while self.expires and (next(iter(self.expires.values())) <= now or len(self.expires) >= MAX_KEPT):
            self.expires.popitem(last=False)  # opened first, so it expires first
        nonce = secrets.token_urlsafe(32)
        self.expires[digest(nonce)] = now + SESSION_S
        return nonce

    def valid(self, cookie: str | None) -> bool:
        # the lookup is by the nonce's digest: its timing says nothing about the nonces kept
        return cookie is not None and self.expires.get(digest(cookie), -math.inf) > self.clock()

    def close(self, cookie: str | None) -> None:
        if cookie is not None:
            self.expires.pop(digest(cookie), None)


class Locked(Exception):
    """The client gave too many wrong tokens: it must wait `seconds` before the next is compared (HTTP 429)."""

    def __init__(self, seconds: int) -> None:
        super().__init__(f"Too many wrong tokens from this address: try again in {_seconds(seconds)}.")
        self.seconds = seconds


class Throttle:
    """Wrong tokens per client address: how many, and when the last came."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.failures: OrderedDict[str, tuple[int, float]] = OrderedDict()

    def check(self, client: str, given: str, token: str) -> bool:
        """Whether `given` is the token; counts a wrong one, forgets them all on the right one; Locked while
        the client must wait, without comparing."""
        wait = self.wait(client)
        if wait:
            raise Locked(wait)
        if same(given, token):
            self.failures.pop(client, None)
            return True
        self._failed(client)
        return False

    def wait(self, client: str) -> int:
        """Whole seconds `client` must wait before its next token is compared; 0: it may try now."""
        failures, last = self.failures.get(client, (0, -math.inf))
        if failures < FREE_TRIES:
            return 0
        delay = min(1 << min(failures - FREE_TRIES, 20), MAX_WAIT_S)  # 1, 2, 4 … (never 2 ** 10_000)
        return max(0, math.ceil(last + delay - self.clock()))

    def _failed(self, client: str) -> None:
        now = self.clock()
        failures, last = self.failures.pop(client, (0, now))
        self.failures[client] = (failures + 1 if now - last < FORGET_S else 1, now)  # the newest last
        while len(self.failures) > MAX_KEPT or next(iter(self.failures.values()))[1] <= now - FORGET_S:
            self.failures.popitem(last=False)


def _seconds(n: int) -> str:
    return f"{n} second" if n == 1 else f"{n} seconds"
