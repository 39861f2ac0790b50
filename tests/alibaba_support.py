"""The fake Alibaba Cloud SMS server as a pytest fixture, and Alibaba's real SDK pointed at it.

    from tests.alibaba_support import alibaba_client, fake_alibaba
    __all__ = ["fake_alibaba"]  # keeps ruff from calling the fixture parameters F811

`fake_alibaba` is running, with the signature 工友热线 approved, the key pair
ALIBABA_KEY_ID / ALIBABA_KEY_SECRET, no templates and no push_url; register templates in the
test (`fake_alibaba.register_template("SMS_1", "您的案件${case}已受理")`) and set
`fake_alibaba.push_url` to the hotline's push base to receive SmsReport / SmsUp.
"""

from __future__ import annotations

import atexit
from collections.abc import Iterator

import pytest
from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_tea_openapi import models as open_api_models

from devtools.fake_alibaba.rules import PARAM_MAX_LENGTH
from devtools.fake_alibaba.server import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    DEFAULT_SIGNATURE,
    FakeAlibaba,
)

ALIBABA_KEY_ID = DEFAULT_ACCESS_KEY_ID
ALIBABA_KEY_SECRET = DEFAULT_ACCESS_KEY_SECRET
ALIBABA_SIGNATURE = DEFAULT_SIGNATURE
_shared: list[FakeAlibaba] = []


def _server() -> FakeAlibaba:
    """One server for the whole run: the SDK keeps a connection pool per endpoint, and a new
    port per test would cost each test a fresh pool."""
    if not _shared:
        fake = FakeAlibaba(ALIBABA_KEY_ID, ALIBABA_KEY_SECRET)
        fake.start()
        atexit.register(fake.stop)
        _shared.append(fake)
    return _shared[0]


@pytest.fixture
def fake_alibaba() -> Iterator[FakeAlibaba]:
    """The running FakeAlibaba, wiped for this test, with the hotline's signature approved."""
    fake = _server()
    fake.reset(keep_account=False)
    fake.push_url, fake.report_delay = None, 0.01
    fake.param_max_length = PARAM_MAX_LENGTH
    fake.register_signature(ALIBABA_SIGNATURE)
    yield fake
    fake.push_url = None
    fake.reset(keep_account=False)


def alibaba_client(fake: FakeAlibaba, access_key_secret: str | None = None,
                   **config: object) -> Client:
    """Alibaba's own dysmsapi SDK client, talking plain HTTP to `fake`."""
    settings = {"access_key_id": fake.access_key_id,
                "access_key_secret": access_key_secret or fake.access_key_secret,
                "endpoint": fake.endpoint, "protocol": "http", **config}
    return Client(open_api_models.Config(**settings))
