"""Cards and keyboards: localized, HTML-escaped, within Telegram's size limits."""
