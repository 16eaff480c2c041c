"""gunicorn settings for `visionbench serve` and the test server: gevent workers hold thousands
of websockets each. Values come from the app's one configuration (webapp/config.py)."""

from webapp import server_hardening
from webapp.config import load_config

server_hardening.apply()
_config = load_config()
bind = f"{_config['HOST']}:{_config['PORT']}"
workers = _config["WEB_PROCESSES"]
worker_class = "gevent"
worker_connections = _config["WORKER_CONNECTIONS"]
graceful_timeout = 5
timeout = 60
keepalive = 5
control_socket_disable = True
accesslog = _config["ACCESS_LOG"]
# Paths only, never query strings: they could carry tokens.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'


def post_worker_init(worker):
    # On shutdown, live websockets are closed with 1012 ("service restart") so browsers
    # reconnect to the next server at once. The worker registered its signal handlers before
    # this hook ran, so they are registered again here; the hub is told from a new greenlet,
    # never from inside the signal handler (it takes locks).
    import signal

    import gevent

    live_updates = worker.wsgi.extensions["realtime"]

    def wrap(original):
        def handler(sig, frame):
            gevent.spawn(live_updates.shutdown)
            original(sig, frame)

        return handler

    signal.signal(signal.SIGTERM, wrap(worker.handle_exit))
    signal.signal(signal.SIGINT, wrap(worker.handle_quit))
    signal.signal(signal.SIGQUIT, wrap(worker.handle_quit))


def worker_exit(server, worker):
    # Close the database pool while gevent still runs: left to the garbage collector, it
    # would try to stop its threads during interpreter teardown.
    pool = getattr(getattr(worker, "wsgi", None), "extensions", {}).get("db_pool")
    if pool is not None:
        pool.close(timeout=2)


def post_fork(server, worker):
    # If the master dies without a word (SIGKILL), the kernel tells its workers (SIGTERM: they
    # close their sockets with 1012 and go), so the next master finds the port free.
    from webapp.processes import die_with_parent

    die_with_parent()()
