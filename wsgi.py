"""The WSGI entry point: ``app`` for gunicorn, ``application`` for Elastic Beanstalk."""

import sys

from webapp import create_app
from webapp.settings import SettingsError

try:
    app = create_app()
except SettingsError as error:
    sys.exit(f"Cannot start: {error}")

application = app
