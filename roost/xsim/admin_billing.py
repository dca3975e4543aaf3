"""The emulator's billing admin: `GET|PUT /xsim/admin/billing` (Projects, post cap, credits) and
`GET|DELETE /xsim/admin/bill` (the exact bill; DELETE starts a new one).

Like /xsim/admin/faults and /limits these need no token: they are for tests, demos and `roost simulate`.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from roost.xsim.billing import BillingSettings, Ledger
from roost.xsim.errors import admin_problem


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json")


def billing_routes(ledger: Ledger, settings: BillingSettings) -> list[Route]:
    async def billing(request: Request) -> Response:
        if request.method == "PUT":
            try:
                body = orjson.loads(await request.body())
            except orjson.JSONDecodeError:
                body = None
            if not isinstance(body, dict):
                detail = 'Send a JSON object, e.g. {"post_cap": 10000, "cap_reset_day": 10, "credits": "5.00"}.'
                return _json(admin_problem(400, "Bad Request", detail), 400)
            try:
                settings.update(body)
            except ValueError as exc:
                return _json(admin_problem(400, "Bad Request", str(exc)), 400)
        return _json(settings.as_dict())

    async def bill(request: Request) -> Response:
        if request.method == "DELETE":
            ledger.reset()
        return _json(ledger.bill())

    return [
        Route("/xsim/admin/billing", billing, methods=["GET", "PUT"]),
        Route("/xsim/admin/bill", bill, methods=["GET", "DELETE"]),
    ]
