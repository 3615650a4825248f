"""gunicorn entry point: `gunicorn wsgi:app` (and FLASK_APP for the `flask` commands)."""

import sys

from app import create_app
from app.config import ConfigError

try:
    app = create_app()
except ConfigError as err:
    # One clear line instead of a traceback. Exit status 4 is gunicorn's "App failed to load": the server stops
    # instead of starting the worker again and again.
    print(f"Storekeeper cannot start: {err}", file=sys.stderr)
    raise SystemExit(4) from None
