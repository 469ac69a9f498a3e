"""The WSGI entry point: ``app`` for gunicorn, ``application`` for Elastic Beanstalk."""

import sys

from webapp import create_app
from webapp.settings import SettingsError

#: gunicorn's "the application could not be loaded": its master stops instead
#: of restarting a worker that can never start.
APP_LOAD_ERROR = 4

try:
    app = create_app()
except SettingsError as error:
    print(f"Cannot start: {error}", file=sys.stderr)
    sys.exit(APP_LOAD_ERROR)

application = app
