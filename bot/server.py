"""`python -m bot` / `python -m bot serve`: run the app until SIGINT/SIGTERM."""

from __future__ import annotations

import logging
import sys

from aiohttp import web

from bot.app import create_app
from bot.logs import setup_logging
from bot.settings import Settings

log = logging.getLogger(__name__)


def main() -> int:
    settings = Settings.from_env()
    setup_logging(settings.log_level, json_logs=sys.stderr.isatty() is False)
    log.info("Intune helpdesk bot listening on http://%s:%d/api/messages", settings.host, settings.port)
    # run_app handles SIGINT and SIGTERM: on_shutdown drains in-flight turns, then cleanup closes resources.
    web.run_app(create_app(settings), host=settings.host, port=settings.port, print=None,
                shutdown_timeout=15)
    return 0
