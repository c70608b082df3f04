"""A cooperation post as it will look, from what a person typed, before anything is saved."""

from __future__ import annotations

from datetime import date

from brain.ops.cooperation import Details
from brain.vocabulary.meeting import Status


class DraftCooperation:
    """What the Meeting Point's templates read of a saved cooperation (its kind, status,
    details and ``values(facet)``), taken from details that are not saved."""

    status = Status.OPEN.value
    interests: tuple = ()
    partners: tuple = ()

    def __init__(self, details: Details) -> None:
        self.kind: str = details.kind
        self.modality: str = details.modality
        self.starts_on: date | None = details.starts_on
        self.ongoing: bool = details.ongoing
        self.ends_on: date | None = None if details.ongoing else details.ends_on
        self._tags = details.tags()

    def values(self, facet: str) -> list[str]:
        return [value for tag_facet, value in self._tags if tag_facet == facet]
