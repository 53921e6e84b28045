"""Exceptions for broken runs. Findings (a missing seal, a mismatch) are data, not errors.

Each error says whether trying again can help (``retryable``, read by the flows' retry
condition) and carries its context (file, page, template) as attributes.
"""

from __future__ import annotations


class PipelineError(Exception):
    """Base of every error shenbao raises on purpose."""

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        page: int | None = None,
        template: str | None = None,
    ) -> None:
        super().__init__(message)
        self.file = file
        self.page = page
        self.template = template


class InputError(PipelineError):
    """An input file cannot be used (it becomes a quarantine entry, never a crash)."""


class ConfigError(PipelineError):
    """A YAML data file (template, campaign, export mapping) is malformed."""


class TemplateError(ConfigError):
    """A form template is malformed or names something that does not exist."""


class OcrError(PipelineError):
    """The OCR engine failed on a page."""


class UnknownEngineError(ConfigError):
    """No OCR engine is registered under the kind asked for; the message lists the known ones."""


class StorageError(PipelineError):
    """The object store failed; transient failures are retryable."""


class TransientStorageError(StorageError):
    retryable = True
