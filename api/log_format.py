"""Log lines as text or, with MODELCATALOG_LOG_FORMAT=json, one JSON object per line carrying the request id."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

__all__ = ["JsonFormatter", "configure_logging"]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REQUEST_ID = re.compile(r"request(?: id)?[= ]([A-Za-z0-9._-]{1,128})")


class JsonFormatter(logging.Formatter):
    """One object per line: time, level, logger, message, request_id when the line names one, and the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": message,
        }
        request_id = getattr(record, "request_id", None)
        found = REQUEST_ID.search(message) if request_id is None else None
        if request_id is not None or found:
            entry["request_id"] = request_id if request_id is not None else found.group(1) if found else None
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(log_format: str) -> None:
    """The root logger in the chosen format, at INFO; piccolo's chatter at WARNING."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    logging.getLogger("piccolo").setLevel(logging.WARNING)
