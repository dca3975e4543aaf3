"""Wire models of what X costs: the archive switch, the usage answers, the cost preview (a module of its own
so it can move into the schemas package as a whole)."""

from __future__ import annotations

from pydantic import Field, StrictBool

from roost.schemas import Input


class ArchiveBody(Input):
    archive: StrictBool = Field(
        description="Archive the account's posts (true) or keep hourly snapshots only (false, the cheapest)"
    )
