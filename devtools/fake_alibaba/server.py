"""A local Alibaba-Cloud-SMS-shaped server (dysmsapi 2017-05-25) for tests and the demo.

Alibaba's own SDK (`alibabacloud_dysmsapi20170525` with a tea-openapi `Config` whose endpoint is
this server and protocol "http") talks to it as to dysmsapi.aliyuncs.com: ACS3-HMAC-SHA256 (or
RPC HMAC-SHA1) signatures are checked with the secret, SendSms / SendBatchSms / QuerySendDetails
answer Alibaba's JSON, templates and signatures must be registered, error codes come on demand,
and delivery reports (SmsReport) and replies (SmsUp) are pushed in Alibaba's HTTP batch format
to push_url + "/report" and push_url + "/up".
"""

from __future__ import annotations

import copy
import json
import secrets
import signal
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.serving import BaseWSGIServer

from devtools.fake_alibaba.control import add_control_routes
from devtools.fake_alibaba.push import Pusher
from devtools.fake_alibaba.rules import (
    DEFAULT_SIGNATURE,
    PARAM_MAX_LENGTH,
    TIME_FORMAT,
    Template,
    beijing_now,
    check_signature,
    check_template,
    extend_code,
    json_list,
    mobile,
    national,
    sms_size,
    template_values,
)
from devtools.fake_alibaba.sign import AcsError, request_id, verify_rpc, verify_v3
from devtools.local_server import serve_app

API_VERSION = "2017-05-25"
DEFAULT_ACCESS_KEY_ID = "LTAItestkey0000"
DEFAULT_ACCESS_KEY_SECRET = "test-secret"
MAX_SEND_SMS_NUMBERS = 1000  # SendSms: PhoneNumbers, comma-separated
MAX_BATCH_NUMBERS = 100  # SendBatchSms: PhoneNumberJson
HOLD_AT_MOST_SECONDS = 300.0  # a held answer is given anyway after this (a test forgot it)
MAX_PAGE_SIZE = 50  # QuerySendDetails PageSize
DOCUMENTED_DAY_LIMIT = 50  # per number, signature and template, for notifications
DELIVERED = ("DELIVERED", "用户接收成功")
SEND_STATUS = {"waiting": 1, "failed": 2, "delivered": 3}
REQUIRED = {"SendSms": ("PhoneNumbers", "SignName", "TemplateCode"),
            "SendBatchSms": ("PhoneNumberJson", "SignNameJson", "TemplateCode"),
            "QuerySendDetails": ("PhoneNumber", "SendDate", "PageSize", "CurrentPage")}
PUBLIC_FIELDS = ("phone", "sign_name", "template_code", "params", "text", "biz_id", "out_id",
                 "extend_code", "sent_at", "status", "err_code", "received_at", "sms_size")


class FakeAlibaba:
    """An Alibaba-Cloud-SMS-shaped server on localhost that records sends and pushes reports."""

    def __init__(self, access_key_id: str = DEFAULT_ACCESS_KEY_ID,
                 access_key_secret: str = DEFAULT_ACCESS_KEY_SECRET,
                 push_url: str | None = None, report_delay: float = 0.01,
                 retry_delays: tuple[float, ...] = (0.05, 0.1, 0.2),
                 push_timeout: float = 5.0) -> None:
        self.access_key_id, self.access_key_secret = access_key_id, access_key_secret
        self.push_url, self.report_delay = push_url, report_delay
        self.param_max_length = PARAM_MAX_LENGTH
        self.base_url = ""
        self._lock = threading.RLock()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._pusher = Pusher(self._push_target, retry_delays, push_timeout)
        self._signatures: set[str] = set()
        self._templates: dict[str, Template] = {}
        self._generation = 0
        # hold_answers_after: accepted sends whose answer waits until release_answers().
        self._hold_after: int | None = None
        self._released = threading.Event()
        self.held = 0  # answers waiting right now
        self.reset()
        self.app = self._build_app()

    # --- lifecycle -----------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve in a daemon thread; return the base URL (its host:port is the SDK endpoint)."""
        if self._server is not None:
            raise RuntimeError("FakeAlibaba already started")
        self._server, self.base_url = serve_app(self.app, host, port)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="fake-alibaba", daemon=True)
        self._thread.start()
        self._pusher.start()
        return self.base_url

    def stop(self) -> None:
        """Stop serving and pushing; pushes still scheduled are dropped."""
        self._pusher.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def endpoint(self) -> str:
        """host:port, the value for the SDK Config's `endpoint`."""
        return self.base_url.removeprefix("http://")

    def __enter__(self) -> FakeAlibaba:
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- account set-up ------------------------------------------------------------------
    def register_signature(self, name: str) -> None:
        """Approve a signature (2-12 characters, without the 【】 Alibaba adds)."""
        check_signature(name)
        with self._lock:
            self._signatures.add(name)

    def register_template(self, code: str, text: str, kind: str = "notification",
                          signature: str = DEFAULT_SIGNATURE) -> Template:
        """Approve a template, refusing what Alibaba's review refuses; its signature too."""
        check_template(text, kind)
        self.register_signature(signature)
        template = Template(code, text, kind, signature)
        with self._lock:
            self._templates[code] = template
        return template

    # --- test controls -------------------------------------------------------------------
    def reset(self, keep_account: bool = True) -> None:
        """Forget sends, requests, pushes, injected failures and limits; with
        keep_account=False also the approved signatures and templates."""
        with self._lock:
            self._generation += 1
            if not keep_account:
                self._signatures.clear()
                self._templates.clear()
            self._sent: list[dict[str, Any]] = []
            self._requests: list[dict[str, Any]] = []
            self._replies: list[dict[str, Any]] = []
            self._fail_next: list[tuple[str | None, AcsError]] = []
            self._undeliverable: dict[str, tuple[str, str]] = {}
            self._limits: dict[str, tuple[int, float]] = {}
            self._history: defaultdict[tuple[str, str, str], list[float]] = defaultdict(list)
            self._nonces: dict[str, float] = {}
            self._sequence = 100000000
            self._hold_after = None
        self._released.set()
        self._pusher.clear()

    def fail_next(self, code: str, times: int = 1, message: str | None = None,
                  status: int | None = None, action: str | None = None) -> None:
        """Answer the next `times` requests (of `action`, or any) with error `code`.

        Gateway codes (Throttling.User, ServiceUnavailable ...) come with their HTTP status;
        SMS service codes (isv.*, isp.*) come as HTTP 200 with that Code, as Alibaba does.
        """
        with self._lock:
            self._fail_next.extend([(action, AcsError(code, message, status))] * times)

    def hold_answers_after(self, accepted: int) -> None:
        """Once `accepted` messages are in, accept each further send but hold its answer
        until release_answers(): a sender is then surely between the carrier taking its
        texts and hearing so (what a crash there leaves is what tests want to see)."""
        with self._lock:
            self._hold_after = accepted
            self._released.clear()

    def release_answers(self) -> None:
        """Answer every held send, and hold no more."""
        with self._lock:
            self._hold_after = None
        self._released.set()

    def undeliverable(self, phone: str, err_code: str = "MK:0001",
                      err_msg: str | None = None) -> None:
        """Accept sends to `phone` but report them failed with carrier code `err_code`."""
        with self._lock:
            self._undeliverable[national(phone) or phone] = (err_code, err_msg or err_code)

    def set_frequency_limits(self, per_minute: int | None = None, per_hour: int | None = None,
                             per_day: int | None = None) -> None:
        """Refuse (isv.BUSINESS_LIMIT_CONTROL) sends past these counts per number, signature
        and template; None leaves a window unlimited. Alibaba's documented default is
        per_day=50 for notifications; the fake starts with no limit."""
        with self._lock:
            windows = {"分钟": (per_minute, 60.0), "小时": (per_hour, 3600.0),
                       "天": (per_day, 86400.0)}
            self._limits = {name: (n, span) for name, (n, span) in windows.items() if n}

    def reply(self, phone: str, content: str, sign_name: str = DEFAULT_SIGNATURE,
              dest_code: str | None = None, sequence_id: int | None = None) -> dict[str, Any]:
        """A worker replies: push the SmsUp item to push_url + "/up" and return it.

        `dest_code` defaults to the extend code of the last message sent to that number (the
        port the handset replies to)."""
        number = national(phone) or phone
        with self._lock:
            if dest_code is None:
                last = [m for m in self._sent if m["phone"] == number]
                dest_code = last[-1]["extend_code"] if last else ""
            if sequence_id is None:
                self._sequence += 1
                sequence_id = self._sequence
            item = {"phone_number": number, "send_time": beijing_now().strftime(TIME_FORMAT),
                    "content": content, "sign_name": sign_name, "dest_code": dest_code,
                    "sequence_id": sequence_id}
            self._replies.append(item)
        self._pusher.schedule("up", [partial(copy.deepcopy, item)], 0.0)
        return copy.deepcopy(item)

    def wait_for_pushes(self, timeout: float = 5.0) -> bool:
        """Block until every due report and reply has been pushed (or given up); False on
        timeout. Reports are made even without a push_url (QuerySendDetails shows them)."""
        return self._pusher.wait(timeout)

    @property
    def sent(self) -> list[dict[str, Any]]:
        """Every accepted message: phone (11 digits), sign_name, template_code, params, text
        (【签名】...), biz_id, out_id, extend_code, sent_at, status, err_code, received_at."""
        with self._lock:
            return [{k: copy.deepcopy(m[k]) for k in PUBLIC_FIELDS} for m in self._sent]

    def sent_to(self, phone: str) -> list[dict[str, Any]]:
        """Accepted messages to `phone` (any accepted form: +86..., 0086..., 11 digits)."""
        number = national(phone) or phone
        return [m for m in self.sent if m["phone"] == number]

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every API request: action, params, HTTP status, Code, time."""
        with self._lock:
            return copy.deepcopy(self._requests)

    @property
    def pushes(self) -> list[dict[str, Any]]:
        """Every push attempt: kind ("report"/"up"), url, items, attempt, status_code, ok."""
        return self._pusher.records

    @property
    def replies(self) -> list[dict[str, Any]]:
        """Every SmsUp item made by reply()."""
        with self._lock:
            return copy.deepcopy(self._replies)

    # --- HTTP ----------------------------------------------------------------------------
    def _build_app(self) -> Flask:
        app = Flask(__name__)
        app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Alibaba answers UTF-8
        app.add_url_rule("/", "api", self._api, methods=["GET", "POST"])
        add_control_routes(app, self)
        return app

    def _api(self) -> ResponseReturnValue:
        rid = request_id()
        body = request.get_data(cache=True)
        query = parse_qsl(request.query_string.decode("utf-8", "replace"),
                          keep_blank_values=True)
        form = (parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
                if request.mimetype == "application/x-www-form-urlencoded" else [])
        params = dict(query) | dict(form)
        action = request.headers.get("x-acs-action") or params.get("Action", "")
        try:
            self._authenticate(query, form, body)
            version = request.headers.get("x-acs-version") or params.get("Version", "")
            handler = {"SendSms": self._send_sms, "SendBatchSms": self._send_batch,
                       "QuerySendDetails": self._query}.get(action)
            if handler is None:
                raise AcsError("InvalidAction.NotFound")
            if version != API_VERSION:
                raise AcsError("InvalidVersion")
            self._injected(action)
            for name in REQUIRED[action]:
                if not params.get(name):
                    raise AcsError(f"Missing{name}", f"{name} is mandatory for this action.", 400)
            answer, status = {**handler(params), "RequestId": rid}, 200
        except AcsError as exc:
            answer, status = exc.body(rid), exc.status
        with self._lock:
            self._requests.append({"action": action, "params": params, "status": status,
                                   "code": answer.get("Code"), "time": time.time()})
            hold = (action in ("SendSms", "SendBatchSms") and status == 200
                    and self._hold_after is not None and len(self._sent) > self._hold_after)
            self.held += hold
        if hold:
            try:
                self._released.wait(HOLD_AT_MOST_SECONDS)
            finally:
                with self._lock:
                    self.held -= 1
        return jsonify(answer), status

    def _authenticate(self, query: list[tuple[str, str]], form: list[tuple[str, str]],
                      body: bytes) -> None:
        """Check the signature (ACS3 header, else RPC Signature parameter) and the nonce."""
        keys = {self.access_key_id: self.access_key_secret}
        now = datetime.now(UTC)
        if "Authorization" in request.headers:
            headers = {k.lower(): v for k, v in request.headers.items()}
            nonce = verify_v3(request.method, request.path, query, headers, body, keys, now)
        else:
            nonce = verify_rpc(request.method, query + form, keys, now)
        with self._lock:
            cutoff = time.time() - 900
            self._nonces = {n: t for n, t in self._nonces.items() if t > cutoff}
            if nonce in self._nonces:
                raise AcsError("SignatureNonceUsed")
            self._nonces[nonce] = time.time()

    def _injected(self, action: str) -> None:
        with self._lock:
            for i, (only, error) in enumerate(self._fail_next):
                if only in (None, action):
                    del self._fail_next[i]
                    raise error

    # --- actions -------------------------------------------------------------------------
    def _template(self, code: str) -> Template:
        with self._lock:
            template = self._templates.get(code)
        if template is None:
            raise AcsError("isv.SMS_TEMPLATE_ILLEGAL")
        return template

    def _sign(self, name: str) -> str:
        with self._lock:
            if name not in self._signatures:
                raise AcsError("isv.SMS_SIGNATURE_ILLEGAL")
        return name

    def _send_sms(self, p: dict[str, str]) -> dict[str, Any]:
        numbers = [n for n in p["PhoneNumbers"].split(",") if n.strip()]
        if len(numbers) > MAX_SEND_SMS_NUMBERS:
            raise AcsError("isv.MOBILE_COUNT_OVER_LIMIT")
        phones = [mobile(n) for n in numbers]
        sign, template = self._sign(p["SignName"]), self._template(p["TemplateCode"])
        values = template_values(template, p.get("TemplateParam", ""), self.param_max_length)
        extend = extend_code(p.get("SmsUpExtendCode", ""))
        rows = [(phone, sign, values, extend) for phone in phones]
        return {"Code": "OK", "Message": "OK",
                "BizId": self._accept(template, rows, p.get("OutId", ""))}

    def _send_batch(self, p: dict[str, str]) -> dict[str, Any]:
        phones, signs = json_list(p["PhoneNumberJson"]), json_list(p["SignNameJson"])
        if len(phones) > MAX_BATCH_NUMBERS:
            raise AcsError("isv.MOBILE_COUNT_OVER_LIMIT", "手机号码数量超过限制，最多支持100条")
        template = self._template(p["TemplateCode"])
        params = (json_list(p["TemplateParamJson"]) if p.get("TemplateParamJson")
                  else [{}] * len(phones))
        extends = (json_list(p["SmsUpExtendCodeJson"]) if p.get("SmsUpExtendCodeJson")
                   else [""] * len(phones))
        if not (len(phones) == len(signs) == len(params) == len(extends)) or not phones:
            raise AcsError("isv.INVALID_PARAMETERS", "号码、签名与模板参数的个数必须一致")
        limit = self.param_max_length
        rows = [(mobile(str(ph)), self._sign(str(sg)), template_values(template, pv, limit),
                 extend_code(str(ex)))
                for ph, sg, pv, ex in zip(phones, signs, params, extends, strict=True)]
        return {"Code": "OK", "Message": "OK",
                "BizId": self._accept(template, rows, p.get("OutId", ""))}

    def _check_limits(self, keys: list[tuple[str, str, str]], now: float) -> None:
        """Per number, signature and template counts in each window (caller holds the lock)."""
        for key in keys:
            history = self._history[key]
            for name, (permits, span) in self._limits.items():
                used = sum(1 for t in history if t > now - span) + keys.count(key)
                if used > permits:
                    raise AcsError("isv.BUSINESS_LIMIT_CONTROL",
                                   f"触发{name}级流控Permits:{permits}")

    def _accept(self, template: Template, rows: list[tuple[str, str, dict[str, str], str]],
                out_id: str) -> str:
        """Record the messages under one BizId and schedule their delivery reports."""
        biz_id = f"{secrets.randbelow(10 ** 18):018d}^0"
        sent_at = beijing_now().strftime(TIME_FORMAT)
        with self._lock:
            now = time.time()
            keys = [(phone, sign, template.code) for phone, sign, _, _ in rows]
            self._check_limits(keys, now)
            for key in keys:
                self._history[key].append(now)
            makers: list[Callable[[], dict[str, Any] | None]] = []
            for phone, sign, values, extend in rows:
                text = template.render(sign, values)
                message: dict[str, Any] = {
                           "phone": phone, "sign_name": sign, "template_code": template.code,
                           "params": values, "text": text, "biz_id": biz_id, "out_id": out_id,
                           "extend_code": extend, "sent_at": sent_at, "status": "waiting",
                           "err_code": "", "received_at": "", "sms_size": sms_size(text)}
                self._sent.append(message)
                makers.append(partial(self._report, message, self._generation))
            self._pusher.schedule("report", makers, self.report_delay)
        return biz_id

    def _report(self, message: dict[str, Any], generation: int) -> dict[str, Any] | None:
        """The carrier's receipt arrives: settle the message and make its SmsReport item."""
        with self._lock:
            if generation != self._generation:
                return None
            code, text = self._undeliverable.get(message["phone"], DELIVERED)
            received = beijing_now().strftime(TIME_FORMAT)
            message.update(status="delivered" if code == DELIVERED[0] else "failed",
                           err_code=code, received_at=received)
            return {"phone_number": message["phone"], "send_time": message["sent_at"],
                    "report_time": received, "success": code == DELIVERED[0],
                    "err_code": code, "err_msg": text, "sms_size": str(message["sms_size"]),
                    "biz_id": message["biz_id"], "out_id": message["out_id"]}

    def _query(self, p: dict[str, str]) -> dict[str, Any]:
        phone = mobile(p["PhoneNumber"])
        try:
            day = datetime.strptime(p["SendDate"], "%Y%m%d").strftime("%Y-%m-%d")
            size, page = int(p["PageSize"]), int(p["CurrentPage"])
        except ValueError as exc:
            raise AcsError("isv.INVALID_PARAMETERS") from exc
        if not 1 <= size <= MAX_PAGE_SIZE or page < 1:
            raise AcsError("isv.INVALID_PARAMETERS")
        biz_id = p.get("BizId", "")
        with self._lock:
            rows = [m for m in self._sent if m["phone"] == phone and m["sent_at"][:10] == day
                    and biz_id in ("", m["biz_id"])]
            dtos = [{"PhoneNum": m["phone"], "SendStatus": SEND_STATUS[m["status"]],
                     "ErrCode": m["err_code"], "TemplateCode": m["template_code"],
                     "Content": m["text"], "SendDate": m["sent_at"],
                     "ReceiveDate": m["received_at"], "OutId": m["out_id"]}
                    for m in rows[(page - 1) * size:page * size]]
        return {"Code": "OK", "Message": "OK", "TotalCount": str(len(rows)),
                "SmsSendDetailDTOs": {"SmsSendDetailDTO": dtos}}

    def _push_target(self, kind: str) -> str | None:
        return f"{self.push_url.rstrip('/')}/{kind}" if self.push_url else None


def load_templates(fake: FakeAlibaba, path: str) -> int:
    """Register templates from a JSON file: [{"code", "text", "kind", "signature"}, ...]."""
    rows = json.loads(Path(path).read_text(encoding="utf-8"))
    for row in rows:
        fake.register_template(row["code"], row["text"], row.get("kind", "notification"),
                               row.get("signature", DEFAULT_SIGNATURE))
    return len(rows)


def serve_forever(host: str = "127.0.0.1", port: int = 0, push_url: str | None = None,
                  templates: str | None = None,
                  access_key_id: str = DEFAULT_ACCESS_KEY_ID,
                  access_key_secret: str = DEFAULT_ACCESS_KEY_SECRET) -> None:
    """Run a FakeAlibaba until Ctrl-C, printing its base URL first (`hotline fake-alibaba`)."""
    fake = FakeAlibaba(access_key_id, access_key_secret, push_url=push_url)
    fake.register_signature(DEFAULT_SIGNATURE)
    if templates:
        load_templates(fake, templates)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with `&`
    print(fake.start(host, port), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
