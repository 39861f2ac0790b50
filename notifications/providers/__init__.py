"""Provider selection: the one place that decides which sender the app uses."""

from __future__ import annotations

from flask import current_app

from notifications.providers.base import (
    MessageLookup,
    PermanentFailure,
    Provider,
    ProviderError,
    ProviderMessage,
    RecipientOptedOut,
    Recording,
    RecordingStore,
    SendResult,
    Throttled,
    TransientFailure,
)

__all__ = [
    "MessageLookup", "ProviderMessage", "Recording", "RecordingStore",
    "PermanentFailure", "Provider", "ProviderError", "RecipientOptedOut", "SendResult",
    "Throttled", "TransientFailure", "get_provider",
]


def get_provider() -> Provider:
    """The app's provider, built on first use (never at import time) and then reused."""
    ext = current_app.extensions
    if "provider" not in ext:
        cfg = current_app.config
        if cfg["HOTLINE_PROVIDER"] == "twilio":
            from notifications.providers.twilio import TwilioProvider

            ext["provider"] = TwilioProvider(cfg["TWILIO_ACCOUNT_SID"], cfg["TWILIO_AUTH_TOKEN"],
                                             api_url=cfg["TWILIO_API_URL"])
        elif cfg["HOTLINE_PROVIDER"] == "alibaba":
            from notifications.providers.alibaba import AlibabaProvider

            ext["provider"] = AlibabaProvider(
                cfg["ALIBABA_ACCESS_KEY_ID"] or "", cfg["ALIBABA_ACCESS_KEY_SECRET"] or "",
                endpoint=cfg["ALIBABA_SMS_ENDPOINT"])
        else:
            from notifications.providers.console import ConsoleProvider

            ext["provider"] = ConsoleProvider()
    provider: Provider = ext["provider"]
    return provider
