"""gunicorn settings for `visionbench serve` and the test server: gevent workers hold thousands
of websockets each. Values come from the environment the launcher passes."""
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_PROCESSES", "1"))
worker_class = "gevent"
worker_connections = int(os.environ.get("WORKER_CONNECTIONS", "10000"))
graceful_timeout = 5
timeout = 60
keepalive = 5
control_socket_disable = True
accesslog = os.environ.get("ACCESS_LOG") or None
# Paths only, never query strings: they could carry tokens.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'


def post_worker_init(worker):
    # On shutdown, live websockets are closed with 1012 ("service restart") so browsers
    # reconnect to the next server instead of waiting for a timeout.
    from webapp.realtime import shutdown_hook

    original = worker.handle_exit

    def handle_exit(sig, frame):
        shutdown_hook()
        original(sig, frame)

    worker.handle_exit = handle_exit
