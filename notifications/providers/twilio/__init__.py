"""Twilio: everything the hotline knows of Twilio's words, in one package.

- client.py: the REST API (send SMS, start calls, look messages up, fetch and delete
  recordings); the one module that imports Twilio's REST client library.
- statuses.py: Twilio's message status words onto `MessageStatus` / `RecipientStatus`.
- errors.py: Twilio's error codes onto the typed provider errors (one table; 21610 is the
  carrier's opt-out).
- callbacks.py: a status callback's form fields read into a `StatusReport`.
- signature.py: X-Twilio-Signature, checked on every Twilio webhook before it writes anything.

TwiML (what the voice and SMS webhooks answer) is built by hotline/webhooks/twiml.py and
ivr_flows/voice.py, beside the app URLs and call flows it is made of.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from notifications.providers.twilio.client import TwilioProvider


def from_config(config: Mapping[str, Any]) -> TwilioProvider:
    """The provider for HOTLINE_PROVIDER=twilio, from the app's TWILIO_* settings."""
    return TwilioProvider(config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"],
                          api_url=config["TWILIO_API_URL"])


__all__ = ["TwilioProvider", "from_config"]
