"""The fake Alibaba Cloud SMS server as a pytest fixture, and Alibaba's real SDK pointed at it.

    from tests.alibaba_support import fake_alibaba, alibaba_client  # noqa: F401

`fake_alibaba` is started, with the signature 工友热线 approved and the key pair
ALIBABA_KEY_ID / ALIBABA_KEY_SECRET; register templates in the test
(`fake_alibaba.register_template("SMS_1", "您的案件${case}已受理")`), set
`fake_alibaba.push_url` to a receiver to get SmsReport / SmsUp pushes.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_tea_openapi import models as open_api_models

from notifications.fakes.alibaba_sms import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    DEFAULT_SIGNATURE,
    FakeAlibaba,
)

ALIBABA_KEY_ID = DEFAULT_ACCESS_KEY_ID
ALIBABA_KEY_SECRET = DEFAULT_ACCESS_KEY_SECRET
ALIBABA_SIGNATURE = DEFAULT_SIGNATURE


@pytest.fixture
def fake_alibaba() -> Iterator[FakeAlibaba]:
    """A started FakeAlibaba with the hotline's signature approved; stopped after the test."""
    fake = FakeAlibaba(ALIBABA_KEY_ID, ALIBABA_KEY_SECRET)
    fake.register_signature(ALIBABA_SIGNATURE)
    with fake:
        yield fake


def alibaba_client(fake: FakeAlibaba, access_key_secret: str | None = None,
                   **config: object) -> Client:
    """Alibaba's own dysmsapi SDK client, talking plain HTTP to `fake`."""
    settings = {"access_key_id": fake.access_key_id,
                "access_key_secret": access_key_secret or fake.access_key_secret,
                "endpoint": fake.endpoint, "protocol": "http", **config}
    return Client(open_api_models.Config(**settings))
