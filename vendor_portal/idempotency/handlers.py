"""``Idempotency-Key`` on the vendor API's calls that change something."""

from __future__ import annotations

from functools import wraps

from aiohttp import web
from aiohttp.typedefs import Handler

from activation_server.appkeys import DB_POOL
from activation_server.http import READ_BODY, read_body
from vendor_portal.auth import current_actor
from vendor_portal.idempotency.service import Answer, check_key, fingerprint, run_once

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"


def idempotent(handler: Handler) -> Handler:
    """Same key and body: the first answer again; same key, another body: 422. Without the
    header the call runs as always. Keys are the signed-in user's own."""

    @wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        raw_key = request.headers.get(HEADER)
        if raw_key is None:
            return await handler(request)
        key = check_key(raw_key.strip())
        actor = await current_actor(request)
        body = await read_body(request)
        request[READ_BODY] = body
        print_ = fingerprint(request.method, request.path_qs, body)
        response: web.StreamResponse | None = None

        async def produce() -> Answer | None:
            nonlocal response
            response = await handler(request)
            if not isinstance(response, web.Response) or response.status >= 500:
                return None
            payload = response.body
            return Answer(
                response.status,
                response.content_type,
                payload if isinstance(payload, bytes) else None,
            )

        answer, replayed = await run_once(
            request.app[DB_POOL], f"user:{actor.user_id}", key, print_, produce
        )
        if not replayed and response is not None:
            return response
        assert answer is not None
        replay = web.Response(status=answer.status, body=answer.body)
        if answer.content_type:
            replay.content_type = answer.content_type
        replay.headers[REPLAYED_HEADER] = "true"
        return replay

    return wrapper
