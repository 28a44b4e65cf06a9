"""Serve a Roper work tree with Django's development server under a clock that the desk
keystroke measurement (bench/desk_keys.py) moves: morning, mid-morning, home time.

It imports nothing of Roper's own, so it serves any version of the code: run it from the
work tree to serve, by its path.

    cd /work/some-tree && DEBUG=true DATABASE_URL=… .venv/bin/python \\
        /path/to/bench/clock_server.py --port 8301

`POST /__clock__` with an ISO 8601 moment in the body moves the server's clock there (it then
ticks on); every other request is Roper's. Only 127.0.0.1 is served; never run it on a server
with real data.
"""

import argparse
import os
import sys
from datetime import UTC, datetime

sys.path.insert(0, os.getcwd())  # the work tree served, not the one this file is in
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roper.settings")

CLOCK_PATH = "/__clock__"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8301)
    args = parser.parse_args()

    import django
    import time_machine

    django.setup()
    from django.conf import settings
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.servers.basehttp import run
    from django.core.wsgi import get_wsgi_application

    clock = time_machine.travel(datetime.now(UTC), tick=True)
    coordinates = clock.start()
    roper = get_wsgi_application()
    if settings.DEBUG:
        roper = StaticFilesHandler(roper)  # as runserver serves static files

    def app(environ, start_response):
        if environ.get("PATH_INFO") == CLOCK_PATH and environ["REQUEST_METHOD"] == "POST":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            coordinates.move_to(datetime.fromisoformat(environ["wsgi.input"].read(size).decode()))
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [datetime.now(UTC).isoformat().encode()]
        return roper(environ, start_response)

    print(f"Roper from {os.getcwd()} on http://127.0.0.1:{args.port}/ (clock at {CLOCK_PATH})")
    run("127.0.0.1", args.port, app, threading=True)


if __name__ == "__main__":
    main()
