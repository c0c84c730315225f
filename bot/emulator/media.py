"""Files the bot sends: uploads, re-sent file_ids and URLs."""

from __future__ import annotations

import mimetypes
import struct
from typing import TYPE_CHECKING, Any

from .errors import ApiError, bad_request
from .state import StoredFile
from .validation import UploadedFile

if TYPE_CHECKING:
    from .server import Emulator

UPLOAD_LIMIT = 50 * 1024 * 1024
PHOTO_LIMIT = 10 * 1024 * 1024
DOWNLOAD_LIMIT = 20 * 1024 * 1024


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG or JPEG, read from its header (Telegram reports them)."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            length = struct.unpack(">H", data[i + 2 : i + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return width, height
            i += 2 + length
    return 800, 600


def input_file(emu: Emulator, value: Any, kind: str) -> StoredFile:
    store = emu.store
    if isinstance(value, UploadedFile):
        if not value.data:
            raise bad_request("file must be non-empty")
        limit = PHOTO_LIMIT if kind == "photo" else UPLOAD_LIMIT
        if len(value.data) > limit:
            raise ApiError(413, "Request Entity Too Large")
        mime = mimetypes.guess_type(value.filename)[0] or value.content_type
        width, height = image_size(value.data) if kind == "photo" else (0, 0)
        return store.add_file(
            kind,
            value.data,
            file_name=value.filename if kind == "document" else None,
            mime_type=mime if kind == "document" else None,
            width=width,
            height=height,
        )
    existing = store.files.get(value)
    if existing is not None:
        if existing.kind != kind:
            raise bad_request(f"can't use file of type {existing.kind.title()} as {kind.title()}")
        return existing
    if value.startswith(("http://", "https://")):
        name = value.rsplit("/", 1)[-1] or None
        return store.add_file(kind, b"", file_name=name, url=value)
    raise bad_request("wrong file identifier/HTTP URL specified")
