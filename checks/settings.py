"""The pydantic base model for engine sections (``[tool.handbook.<engine>]``) with many fields.

Engines whose sections are small validate them by hand (see :mod:`checks.validate`), so that the
commands run on every pull request do not import pydantic; the others subclass this model.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, ValidationError

from checks.validate import Invalid


class EngineSettings(BaseModel):
    """Base of an engine's ``[tool.handbook.<engine>]`` section."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @classmethod
    def parse(cls, data: Any) -> Self:
        """Validate a section; :class:`~checks.validate.Invalid` names the first problem."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            error = exc.errors()[0]
            raise Invalid(tuple(error["loc"]), error["msg"]) from None
