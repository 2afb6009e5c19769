"""User-facing errors: each one is a one-line message and exit status 2."""

from __future__ import annotations


class HandbookError(Exception):
    """An error the user can act on; the CLI prints it on one line and exits 2."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None) -> None:
        self.message = message
        self.file = file
        self.line = line
        super().__init__(self.render())

    def render(self) -> str:
        """Return ``file:line: message`` (or the parts that are known)."""
        where = self.file or ""
        if where and self.line:
            where = f"{where}:{self.line}"
        return f"{where}: {self.message}" if where else self.message


class InputError(HandbookError):
    """An input file is missing, unreadable, malformed or of the wrong kind."""


class RegistryError(HandbookError):
    """A rule definition under ``standards/`` is invalid."""


class ConfigError(HandbookError):
    """The ``[tool.handbook]`` configuration is invalid."""


class UsageError(HandbookError):
    """The command line asks for something that cannot be done."""
