# Relwatch for production: one image for the web, worker and beat services of
# docker-compose.yml. The embedded PostgreSQL/Redis of `make run` (the `embedded` extra)
# are not installed here: DATABASE_URL and REDIS_URL are always set.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    RELWATCH_VAR_DIR=/app/var

WORKDIR /app

# Dependencies first: a code change then rebuilds only the layers below. pyproject.toml
# installs no package of its own (the code runs from /app), only what it depends on.
COPY pyproject.toml README.md ./
RUN pip install .

RUN useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin relwatch \
    && install -d -o relwatch -g relwatch /app/var
COPY --chown=relwatch:relwatch . .
USER relwatch

# Static files are part of the image (whitenoise serves them). Settings need a key and
# URLs to load; these are placeholders for this one command, not kept in the image.
RUN DEBUG=false \
    SECRET_KEY=collectstatic-only-not-a-real-key-0000000000000000000000 \
    DATABASE_URL=postgres://unused@localhost/unused \
    REDIS_URL=redis://localhost:6379/0 \
    python manage.py collectstatic --no-input --verbosity 0

EXPOSE 8000

# gunicorn's options are in relwatch/gunicorn.conf.py, shared with `make run`; workers:
# WEB_CONCURRENCY (gunicorn reads it; default 1, compose sets 3).
CMD ["gunicorn", "-c", "relwatch/gunicorn.conf.py", "relwatch.wsgi:application"]
