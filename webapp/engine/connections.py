"""How the job worker connects to PostgreSQL.

A database that vanishes behind a silent network (a failover, a dropped NAT flow) sends no
error: without these, a query would wait for its answer forever. TCP keepalives and a user
timeout make such a connection fail within ~10 s, and a new one gives up after 5 s, so every
wait ends in an error the worker can wait out (they do nothing on a Unix socket, where a
stopped server is noticed at once).
"""

from typing import Any

CONNECTION_KWARGS: dict[str, Any] = {
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "tcp_user_timeout": 10_000,
}
