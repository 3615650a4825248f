"""gunicorn settings; HOST, PORT, WEB_CONCURRENCY and GUNICORN_THREADS come from the environment."""

import multiprocessing
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", max(2, multiprocessing.cpu_count())))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = 30
graceful_timeout = 10
keepalive = 5
# Workers are recycled now and then so a slow leak can never grow without bound.
max_requests = 5000
max_requests_jitter = 500
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn 27 opens a control socket per server under ~/.gunicorn by default; parallel servers would collide.
control_socket_disable = True


def post_worker_init(worker):
    """Move everything the worker loaded (Flask, SQLAlchemy, the app's modules and templates) out of the garbage
    collector's reach. A full collection otherwise walks all of them — about 50 ms with the GIL held in a
    process like this, now and then in the middle of a scan that holds SQLite's writer lock — and they live as long
    as the worker does."""
    import gc

    gc.freeze()


def worker_exit(server, worker):
    """Give the objects back to the collector as the worker leaves: the interpreter's last collection then closes the
    database connections still pooled — SQLite's last one folds its write-ahead log back into the database file and
    removes it, instead of leaving the log for the next start to recover."""
    import gc

    gc.unfreeze()
