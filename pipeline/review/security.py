"""Passwords (argon2), signed session cookies, CSRF tokens and a sign-in rate limit."""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import defaultdict, deque
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, URLSafeTimedSerializer

__all__ = ["RateLimiter", "SessionCodec", "hash_password", "load_secret", "new_token",
           "tokens_equal", "verify_password"]

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return secrets.token_urlsafe(24)


def tokens_equal(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


def load_secret(path: Path) -> str:
    """The signing key, created once (mode 0600) next to the review database."""
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.write_text(secret, encoding="utf-8")
    path.chmod(0o600)
    return secret


class SessionCodec:
    """Signs the session token ({"sid": ...}) into the cookie; the session itself lives in
    the review store, which can end it at once. Expires after ``max_age`` seconds."""

    def __init__(self, secret: str, max_age: int = 14 * 24 * 3600) -> None:
        self.serializer = URLSafeTimedSerializer(secret, salt="caunoi-session")
        self.max_age = max_age

    def dump(self, data: dict[str, object]) -> str:
        return self.serializer.dumps(data)

    def load(self, cookie: str | None) -> dict[str, object] | None:
        if not cookie:
            return None
        try:
            data = self.serializer.loads(cookie, max_age=self.max_age)
        except BadSignature:
            return None
        return data if isinstance(data, dict) else None


class RateLimiter:
    """At most ``limit`` failures per key within ``window`` seconds."""

    def __init__(self, limit: int = 5, window: float = 300.0) -> None:
        self.limit, self.window = limit, window
        self.failures: dict[str, deque[float]] = defaultdict(deque)
        self.lock = threading.Lock()

    def blocked(self, key: str) -> bool:
        now = time.monotonic()
        with self.lock:
            q = self.failures[key]
            while q and now - q[0] > self.window:
                q.popleft()
            return len(q) >= self.limit

    def fail(self, key: str) -> None:
        with self.lock:
            self.failures[key].append(time.monotonic())

    def reset(self, key: str) -> None:
        with self.lock:
            self.failures.pop(key, None)
