"""`format=csv` answers: the export's CSV text (schemas.csv_text) as a download named after what it holds."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal

from starlette.responses import Response

from roost.schemas import csv_text

Format = Literal["json", "csv"]
CSV_DOC = {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "With format=csv"}


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    return Response(
        csv_text(header, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
