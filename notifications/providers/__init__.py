"""Providers (carriers): the one place that decides which sender the app uses.

The rest of the hotline sees only base.py: the `Provider` interface, `SendResult` and
`ProviderMessage` in the hotline's own `MessageStatus`, and the typed errors (`Throttled`,
`RecipientOptedOut`, `PermanentFailure`, `TransientFailure`). A carrier's own words (status
names, error codes, callback fields, request signing) stay inside its package.

Adding a provider is one folder and one line in PROVIDERS below. The folder
`notifications/providers/<name>/` holds:

- `__init__.py`: `from_config(config)` building the provider from the app's settings, and a
  docstring listing the package's files;
- `client.py` (or the provider class in `__init__.py`): `send_sms`, `start_call`, and where the
  carrier can, `find_sms` / `fetch_sms` (MessageLookup) and recordings (RecordingStore);
- `statuses.py` (Alibaba: `SEND_STATUS` beside its client): the carrier's status words onto
  `MessageStatus` (campaign recipients' `RecipientStatus` through
  `models.campaign.RECIPIENT_STATUS_OF`);
- `errors.py`: the carrier's error codes onto the typed errors, in one table;
- its callbacks (delivery reports, replies) parsed into the hotline's words, and how they are
  authenticated (Twilio: `callbacks.py`, `signature.py`; Alibaba: `push.py`).

A carrier that needs settings of its own (credentials, an endpoint) reads them in `from_config`;
new environment variables are declared in hotline/infra/config.py ENV_DEFAULTS like every other.
tests/test_provider_words.py checks each provider's status and error tables (add the new one's
there) and that every registered name resolves to a factory in its own package.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from flask import current_app

from notifications.providers.base import (
    ErrorOutcome,
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
    error_outcome,
)

__all__ = [
    "PROVIDERS", "ErrorOutcome", "MessageLookup", "ProviderMessage", "Recording", "RecordingStore",
    "PermanentFailure", "Provider", "ProviderError", "RecipientOptedOut", "SendResult",
    "Throttled", "TransientFailure", "error_outcome", "get_provider", "PROVIDER_OPT_OUT",
    "TEMPLATE_PROVIDERS", "requires_templates",
]

# HOTLINE_PROVIDER -> "module:factory". Named rather than imported: a carrier's SDK is loaded
# only when it is the configured one, and its package may use the app (models, the database).
PROVIDERS: dict[str, str] = {
    "twilio": "notifications.providers.twilio:from_config",
    "alibaba": "notifications.providers.alibaba:from_config",
    "console": "notifications.providers.console:from_config",
}

# Carriers that send only pre-approved templates (domestic Chinese providers), each with the
# opt-out wording its promotional templates must carry. Here, beside the registry, because the
# renderers ask it too (how long an echoed answer may be) and must not import the templates.
PROVIDER_OPT_OUT: dict[str, str] = {"alibaba": "拒收请回复R"}
TEMPLATE_PROVIDERS = frozenset(PROVIDER_OPT_OUT)


def requires_templates(provider: str) -> bool:
    """True for carriers that send only approved templates (domestic Chinese providers)."""
    return provider in TEMPLATE_PROVIDERS


def build_provider(name: str, config: Mapping[str, Any]) -> Provider:
    """A new provider of the registered `name`, from the app's settings."""
    module, factory = PROVIDERS[name].split(":")
    provider: Provider = getattr(importlib.import_module(module), factory)(config)
    return provider


def get_provider() -> Provider:
    """The app's provider, built on first use (never at import time) and then reused."""
    ext = current_app.extensions
    if "provider" not in ext:
        ext["provider"] = build_provider(current_app.config["HOTLINE_PROVIDER"],
                                         current_app.config)
    provider: Provider = ext["provider"]
    return provider
