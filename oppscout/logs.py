"""Logging set-up for the entry points: readable text for people, JSON lines for log pipelines."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import TextIO

from oppscout.core.log_context import JobContextFilter

CONTEXT_FIELDS = ("analysis_id", "workspace", "stage")


class JsonFormatter(logging.Formatter):
    """One JSON object per line with time, level, logger, message, job context and any error."""

    def format(self, record: logging.LogRecord) -> str:
        """Render one record."""
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in CONTEXT_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = value
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(level: str, fmt: str, *, quiet: bool = False, stream: TextIO | None = None) -> None:
    """Install one handler (on stderr unless ``stream`` is given) on the root logger with the job-context filter."""
    handler = logging.StreamHandler(stream)
    handler.addFilter(JobContextFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(analysis_id)s] %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING if quiet else getattr(logging, level.upper(), logging.INFO))
    # arq logs every job at INFO; our own lines already say what each job did.
    logging.getLogger("arq").setLevel(logging.WARNING)
