# Roper's production image: gunicorn serving Django; the same image runs the one-shot migrate,
# the Celery worker and beat, and backups (docker-compose.yml). .env never enters it
# (.dockerignore): settings come from the environment at run time.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
# WeasyPrint (PDF reports) needs Pango and HarfBuzz; backups need pg_dump/pg_restore of the
# server's major version (bookworm's postgresql-client is 15, as the db service).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b \
    postgresql-client \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
# The code belongs to root and is read-only to the app; it writes only to the private files,
# the backups and beat's schedule.
COPY . .
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin roper \
 && mkdir -p /app/private /app/backups /app/run \
 && chown roper:roper /app/private /app/backups /app/run
USER roper

EXPOSE 8000
# Exec form: gunicorn is PID 1 and gets the stop signal itself (graceful shutdown). The
# benchmark's morning rush (bench/rush.py) starts exactly this command: 3 sync workers on 2
# cores spent as much server CPU per check-in as 2 workers x 4 threads, with a lower p95.
CMD ["gunicorn", "roper.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
