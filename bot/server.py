"""`python -m bot` / `python -m bot serve`: run the app until SIGINT/SIGTERM."""

from __future__ import annotations

import gc
import logging
import sys

from aiohttp import web

from bot.app import create_app
from bot.logs import setup_logging
from bot.settings import Settings, load_settings

log = logging.getLogger(__name__)


def freeze_startup_objects() -> None:
    """Keep what start-up built out of the cyclic garbage collector's walks.

    The knowledge base, the matcher's indexes, the catalogs and the SDK's modules (~100,000 objects)
    live as long as the process; without this, every full collection walks all of them again
    (~35 ms, in the middle of someone's turn). Reference counting still frees anything dropped.
    """
    gc.collect()
    gc.freeze()


async def _freeze_when_started(_: web.Application) -> None:
    freeze_startup_objects()


def serving_app(settings: Settings) -> web.Application:
    """The app as `python -m bot` serves it: once its services are open, start-up objects are frozen."""
    app = create_app(settings)
    app.on_startup.append(_freeze_when_started)  # after create_app's lifecycle has opened the services
    return app




def main() -> int:
    settings = load_settings()
    if settings is None:
        return 2
    setup_logging(settings.log_level, json_logs=sys.stderr.isatty() is False)
    log.info("Intune helpdesk bot listening on http://%s:%d/api/messages", settings.host, settings.port)
    # run_app handles SIGINT and SIGTERM: on_shutdown drains in-flight turns, then cleanup closes resources.
    try:
        web.run_app(serving_app(settings), host=settings.host, port=settings.port, print=None,
                    shutdown_timeout=15)
    except OSError as exc:  # the port is taken, or the host is not an address of this machine
        log.error("cannot listen on %s:%d: %s", settings.host, settings.port, exc.strerror or exc)
        return 2
    return 0
