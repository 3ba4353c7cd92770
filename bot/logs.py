"""Structured JSON logs with a request id; message text only when explicitly enabled."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_SECRET = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+|(client_secret=|password=|\"access_token\":\s*\")[^&\s\"]+")


def redact(text: str) -> str:
    """Tokens and secrets never reach the log, whatever a library prints."""
    return _SECRET.sub(lambda m: (m.group(1) or m.group(2) or "") + "[redacted]", text)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": round(time.time(), 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "request_id": REQUEST_ID.get(),
            "msg": redact(record.getMessage()),
        }
        if record.exc_info:
            entry["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(level: str = "INFO", *, json_logs: bool = True) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if json_logs else logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("msrest", "urllib3", "msal", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
