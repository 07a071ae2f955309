"""User-facing errors: each carries a message that is safe and useful to show in chat."""

from __future__ import annotations


class AppError(Exception):
    """An error whose ``message`` can be shown to the user as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidRequestError(AppError):
    """The request cannot run as asked; the message says what to change."""


class BudgetExceededError(AppError):
    """A paid call would take the analysis past its maxCost."""


class NotFoundError(AppError):
    """The analysis (or other thing) asked about does not exist for this user."""


class QueueUnavailableError(AppError):
    """Redis could not be reached; the analysis is saved and will be queued later."""


class SourceUnavailableError(AppError):
    """The post source (Reddit) failed for longer than we retry."""


class SourceOutageError(SourceUnavailableError):
    """The source answered with errors (429, 5xx, no connection) for longer than one stage waits.

    Unlike missing credentials, an outage passes: the analysis goes back to the queue and waits.
    """


class AnalysisCancelledError(AppError):
    """The analysis was cancelled while a stage was running."""

    def __init__(self, message: str = "This analysis was cancelled.") -> None:
        super().__init__(message)


class VoiceError(AppError):
    """A voice note could not be understood; the message says why and what to do."""


class TranscriberUnavailableError(VoiceError):
    """Transcription is down or not installed."""

    def __init__(self, message: str = "Voice is unavailable right now, please type your request.") -> None:
        super().__init__(message)


class DeliveryError(AppError):
    """A message could not be delivered (DMs closed, platform error); ``permanent`` says whether to retry."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
