"""Password hashes (argon2), computed off the event loop.

argon2 costs tens of milliseconds of CPU by design. Under gevent every greenlet of the process
(every live page it serves) would wait for each hash: so hashing and verifying run in gevent's
pool of real threads (argon2 releases the GIL), sized to the cores. Without gevent they run
inline.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
T = TypeVar("T")

# Verified against when the email is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash("not a real password")


def _off_the_loop(work: Callable[..., T], *args) -> T:
    from gevent import get_hub, monkey

    if not monkey.is_module_patched("threading"):
        return work(*args)
    pool = get_hub().threadpool
    if pool.maxsize != (os.cpu_count() or 1):
        pool.maxsize = os.cpu_count() or 1
    return pool.apply(work, args)


def hash_password(password: str) -> str:
    return _off_the_loop(_hasher.hash, password)


def verify_password(password_hash: str | None, password: str) -> bool:
    return _off_the_loop(_verify, password_hash, password)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
