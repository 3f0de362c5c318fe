"""The customer filter every figure can be restricted by."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Filters:
    """Restrict every figure to the customers of these segments, regions and collectors."""

    segments: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    collectors: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.segments or self.regions or self.collectors)


NO_FILTER = Filters()  # every customer
