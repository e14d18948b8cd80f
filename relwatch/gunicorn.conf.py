"""gunicorn's settings, the one copy that `make run` (relwatch.supervisor) and the Docker
image both start with (`gunicorn -c relwatch/gunicorn.conf.py relwatch.wsgi`).

The address and the number of workers come from the environment: GUNICORN_BIND (the
supervisor sets it from RELWATCH_HOST / RELWATCH_PORT) and WEB_CONCURRENCY, which gunicorn
reads itself.
"""

import os
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
accesslog = "-"
errorlog = "-"
timeout = 60
# Shorter than make run's RELWATCH_STOP_TIMEOUT (20 s) and Docker's stop grace period (10 s
# by default), so requests in flight finish before anything is killed.
graceful_timeout = 10
proc_name = "relwatch-web"
# The control socket defaults to one path per user (~/.gunicorn); nothing here uses it, and
# two instances would fight over it.
control_socket_disable = True
# Worker heartbeat files in memory where there is a memory filesystem (containers' overlay
# filesystems make the default slow).
if Path("/dev/shm").is_dir():
    worker_tmp_dir = "/dev/shm"
