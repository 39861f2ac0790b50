"""Local carrier-shaped servers for tests and the demo; production code never imports these.

`FakeAlibaba` (alibaba_sms.py) answers Alibaba Cloud SMS (dysmsapi 2017-05-25) exactly as the
real endpoint does for Alibaba's own Python SDK, and pushes SmsReport / SmsUp like Alibaba's
HTTP batch push. The Twilio-shaped server stays at devtools/fake_twilio.py.
"""

from devtools.fake_alibaba.server import FakeAlibaba

__all__ = ["FakeAlibaba"]
