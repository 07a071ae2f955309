"""Who a log line is about: the analysis, workspace and stage of the job being run.

The worker sets these at the start of each stage; a logging filter copies them onto every record,
so each line of a job carries them without threading ids through every call.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

analysis_id_var: ContextVar[str | None] = ContextVar("analysis_id", default=None)
workspace_var: ContextVar[str | None] = ContextVar("workspace", default=None)
stage_var: ContextVar[str | None] = ContextVar("stage", default=None)


@contextmanager
def job_context(analysis_id: str, stage: str | None = None, workspace: str | None = None) -> Iterator[None]:
    """Tag every log line inside the block with the job's analysis, stage and workspace."""
    tokens = [analysis_id_var.set(analysis_id), stage_var.set(stage), workspace_var.set(workspace)]
    try:
        yield
    finally:
        stage_var.reset(tokens[1])
        workspace_var.reset(tokens[2])
        analysis_id_var.reset(tokens[0])


def set_workspace(workspace: str) -> None:
    """Record the workspace once the job has read its analysis row."""
    workspace_var.set(workspace)


class JobContextFilter(logging.Filter):
    """Adds ``analysis_id``, ``workspace`` and ``stage`` to every record (explicit extras win)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Annotate the record; never drops it."""
        for name, var in (("analysis_id", analysis_id_var), ("workspace", workspace_var), ("stage", stage_var)):
            if getattr(record, name, None) is None:
                setattr(record, name, var.get())
        return True
