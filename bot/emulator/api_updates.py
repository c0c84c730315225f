"""getMe, getUpdates and the webhook methods."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .errors import ApiError, bad_request
from .updates import PollConflict
from .wire import user_json

if TYPE_CHECKING:
    from .server import Emulator

_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_WEBHOOK_ACTIVE = ApiError(
    409,
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first",
)
_TERMINATED = ApiError(
    409,
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
)


def get_me(emu: Emulator, p: dict[str, Any]) -> dict[str, Any]:
    return {
        **user_json(emu.bot),
        "can_join_groups": True,
        "can_read_all_group_messages": not emu.privacy_mode,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


async def get_updates(emu: Emulator, p: dict[str, Any]) -> list[dict[str, Any]]:
    if emu.webhook.active:
        raise _WEBHOOK_ACTIVE
    queue = emu.updates
    queue.set_allowed(p.get("allowed_updates"))
    queue.apply_offset(p.get("offset"))
    limit = min(max(p.get("limit", 100), 1), 100)
    timeout = max(p.get("timeout", 0), 0)
    # A waiting long poll is the bot being idle, not a request in progress.
    emu.in_flight["getUpdates"] -= 1
    try:
        await queue.wait(timeout)
    except PollConflict:
        raise _TERMINATED from None
    finally:
        emu.in_flight["getUpdates"] += 1
    if emu.webhook.active:
        raise _WEBHOOK_ACTIVE
    return queue.take(limit)


async def set_webhook(emu: Emulator, p: dict[str, Any]) -> bool:
    url: str = p["url"]
    if not re.match(r"https?://[^\s/]+", url):
        raise bad_request("bad webhook: Failed to resolve host: Name or service not known")
    secret = p.get("secret_token")
    if secret is not None and not _SECRET.fullmatch(secret):
        raise bad_request("secret token contains unallowed characters")
    max_connections = p.get("max_connections")
    if max_connections is not None and not 1 <= max_connections <= 100:
        raise bad_request("bad webhook: max_connections must be between 1 and 100")
    emu.updates.set_allowed(p.get("allowed_updates"))
    if p.get("drop_pending_updates"):
        emu.updates.drop_all()
    await emu.webhook.set(
        url, secret, max_connections, p.get("ip_address"), certificate="certificate" in p
    )
    emu.journal.add(None, f"bot set a webhook: {url}")
    return True


async def delete_webhook(emu: Emulator, p: dict[str, Any]) -> bool:
    await emu.webhook.delete()
    if p.get("drop_pending_updates"):
        emu.updates.drop_all()
    return True


def get_webhook_info(emu: Emulator, p: dict[str, Any]) -> dict[str, Any]:
    info = emu.webhook.info
    out: dict[str, Any] = {
        "url": info.url,
        "has_custom_certificate": info.has_custom_certificate,
        "pending_update_count": len(emu.updates.pending),
    }
    if not info.url:
        return out
    out["max_connections"] = info.max_connections
    if info.ip_address:
        out["ip_address"] = info.ip_address
    if info.last_error_date is not None:
        out["last_error_date"] = info.last_error_date
        out["last_error_message"] = info.last_error_message
    if emu.updates.allowed_list is not None:
        out["allowed_updates"] = emu.updates.allowed_list
    return out


HANDLERS = {
    "getMe": get_me,
    "getUpdates": get_updates,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
}
