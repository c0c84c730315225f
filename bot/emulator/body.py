"""Request bodies in the three encodings the Bot API accepts, decoded to one flat mapping.

Values stay as sent (strings, or :class:`UploadedFile` for file parts); typing them is the
validator's job, because only the spec knows whether ``"123"`` is an Integer or a String.
An empty value counts as absent, as it does for the Bot API server.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import web

from .errors import bad_request
from .validation import UploadedFile


def read_urlencoded(body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    return {k: v for k, v in parse_qsl(body.decode("utf-8"), keep_blank_values=True) if v != ""}


async def read_multipart(reader: aiohttp.MultipartReader) -> dict[str, Any]:
    out: dict[str, Any] = {}
    while True:
        part = await reader.next()
        if part is None:
            return out
        if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
            continue
        if part.filename is not None:
            content_type = part.headers.get("Content-Type", "application/octet-stream")
            out[part.name] = UploadedFile(part.filename, content_type, bytes(await part.read()))
        else:
            value = await part.text()
            if value != "":
                out[part.name] = value


async def read_request(request: web.Request) -> dict[str, Any]:
    """Parameters of a Bot API request: query string, then the body (body wins)."""
    params: dict[str, Any] = {k: v for k, v in request.query.items() if v != ""}
    if not request.body_exists:
        return params
    content_type = request.content_type
    if content_type == "multipart/form-data":
        params.update(await read_multipart(await request.multipart()))
    elif content_type == "application/json":
        try:
            decoded = json.loads(await request.read())
        except ValueError:
            raise bad_request("can't parse JSON encoded request body") from None
        if not isinstance(decoded, dict):
            raise bad_request("JSON request body must be an object")
        params.update({k: v for k, v in decoded.items() if v is not None and v != ""})
    else:
        params.update(read_urlencoded(await request.read()))
    return params
