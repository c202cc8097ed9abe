"""gunicorn's settings for citygrid in production. Started by `flask --app app serve --workers N`
(which adds `--workers` and `--bind`) or directly, as the systemd unit does:

    .venv/bin/python -m gunicorn -c deploy/gunicorn.conf.py

Every worker builds its own app (`app:create_app()`, not preloaded: nothing opened before the fork
is shared, and a restart loads the new code) from the environment documented in README.md.

- Workers CITYGRID_WORKERS (default 2 × cores + 1), each with CITYGRID_THREADS threads (default 1:
  sync workers, behind nginx's buffering; more: gthread). A sync worker takes a connection only
  when it is free, so requests queue once, in arrival order, for the first free worker; gthread
  keeps each client's connection on the worker that accepted it, where requests wait behind that
  worker's others (and its GIL) while other workers idle: under 16 clients that doubled the p99
  (bench/api_load.py, README "Benchmarks"). The workers beyond the cores cover a request's waits
  on the database.
- Each worker's database pool: CITYGRID_DB_POOL_SIZE and CITYGRID_DB_MAX_OVERFLOW default to the
  threads (one connection a thread, as many again for the short units of work beside a request), so
  the server needs workers × 2 × threads connections, plus the sweeper's.
- Graceful restarts: SIGHUP starts new workers with the new code and configuration and stops the old
  ones once their requests are answered (up to graceful_timeout); every worker is also replaced after
  CITYGRID_MAX_REQUESTS requests (default 1000, with jitter), so a slow leak never grows for long.
- Logs: one JSON line a request from the app (gunicorn's own access log is off); gunicorn's and the
  app's other lines in JSON too, on stderr (journald under systemd).
- Each worker settles once its app is built (`post_worker_init`, engine/settle.py): the specs
  loaded and its long-lived objects frozen out of the garbage collector's full collections.
- Metrics: prometheus-client's multiprocess mode, in PROMETHEUS_MULTIPROC_DIR (default: a fresh
  temporary folder; systemd: /run/citygrid/metrics), emptied when gunicorn starts.
"""
import multiprocessing
import os
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

wsgi_app = "app:create_app()"
chdir = str(ROOT)
pythonpath = str(ROOT)
bind = [f"{os.environ.get('CITYGRID_HOST', '127.0.0.1')}:{os.environ.get('CITYGRID_PORT', '5000')}"]
workers = int(os.environ.get("CITYGRID_WORKERS") or multiprocessing.cpu_count() * 2 + 1)
threads = int(os.environ.get("CITYGRID_THREADS") or 1)
worker_class = "gthread" if threads > 1 else "sync"
timeout = int(os.environ.get("CITYGRID_WORKER_TIMEOUT") or 120)     # a year's evaluation export takes a while
graceful_timeout = 30
keepalive = 5
max_requests = int(os.environ.get("CITYGRID_MAX_REQUESTS") or 1000)
max_requests_jitter = max_requests // 10
# gunicorn's control socket (a file in the home folder, shared by every gunicorn of the user) is not used.
control_socket_disable = True
# nginx in front sets X-Forwarded-Proto; the app trusts its X-Forwarded-For itself (CITYGRID_PROXY_HOPS)
forwarded_allow_ips = os.environ.get("CITYGRID_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
proc_name = "citygrid"

os.environ.setdefault("CITYGRID_DB_POOL_SIZE", str(threads))
os.environ.setdefault("CITYGRID_DB_MAX_OVERFLOW", str(threads))
# Before any worker imports prometheus_client: it picks its multiprocess mode when imported.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="citygrid-metrics-")
METRICS_DIR = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])

accesslog = None
errorlog = "-"
loglevel = os.environ.get("CITYGRID_LOG_LEVEL", "info")
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "ops.logs.JsonFormatter"}},
    "handlers": {"stderr": {"class": "ops.logs.StderrHandler", "formatter": "json"}},
    "root": {"level": loglevel.upper(), "handlers": ["stderr"]},
    "loggers": {
        "gunicorn.error": {"level": loglevel.upper(), "handlers": ["stderr"], "propagate": False},
        "gunicorn.access": {"level": "WARNING", "handlers": ["stderr"], "propagate": False},
        # APScheduler's line per job run says nothing the metrics do not; Alembic's plugin lines neither
        "apscheduler": {"level": "WARNING"},
        "alembic": {"level": "WARNING"},
    },
}


def on_starting(server):
    """A previous run's metric files would be added to this run's."""
    METRICS_DIR.mkdir(parents=True, exist_ok=True)
    for stale in METRICS_DIR.glob("*.db"):
        stale.unlink()


def post_worker_init(worker):
    """The worker's app is built: settle it (engine.settle: its specs loaded, its objects frozen for
    the garbage collector) before its first request."""
    from engine.settle import settle
    settle(worker.wsgi)


def child_exit(server, worker):
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(worker.pid)


