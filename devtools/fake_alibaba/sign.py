"""Alibaba Cloud's request signing as the gateway checks it, and the error codes it answers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, quote_plus

HOST_ID = "dysmsapi.aliyuncs.com"
V3_ALGORITHM = "ACS3-HMAC-SHA256"
# Every public header the SDK sends must be signed (Alibaba's V3 signing document).
REQUIRED_SIGNED = ("host", "x-acs-action", "x-acs-content-sha256", "x-acs-date",
                   "x-acs-signature-nonce", "x-acs-version")

CLOCK_SKEW = timedelta(minutes=15)  # the gateway refuses timestamps further off than this

# Gateway errors: refused before the SMS service sees the request, with an HTTP error status.
GATEWAY_ERRORS: dict[str, tuple[int, str]] = {
    "IncompleteSignature": (400, "The request signature does not conform to Aliyun standards."),
    "SignatureDoesNotMatch": (400, "Specified signature is not matched with our calculation."),
    "InvalidAccessKeyId.NotFound": (404, "Specified access key is not found."),
    "InvalidTimeStamp.Expired": (400, "Specified time stamp or date value is expired."),
    "SignatureNonceUsed": (400, "Specified signature nonce was used already."),
    "InvalidAction.NotFound": (404, "Specified api is not found, please check your url and "
                                    "method."),
    "InvalidVersion": (400, "Specified parameter Version is not valid."),
    "Throttling.User": (400, "Request was denied due to user flow control."),
    "Throttling.Api": (400, "Request was denied due to api flow control."),
    "Forbidden.RAM": (403, "User not authorized to operate on the specified resource, or this "
                           "API doesn't support RAM."),
    "InternalError": (500, "The request processing has failed due to some unknown error, "
                           "exception or failure."),
    "ServiceUnavailable": (503, "The request has failed due to a temporary failure of the "
                                "server."),
}
# SMS service errors: HTTP 200 with Code other than "OK" (Alibaba's API error-code list).
BUSINESS_ERRORS: dict[str, str] = {
    "isv.SMS_SIGNATURE_SCENE_ILLEGAL": "签名和模板类型不一致",
    "isv.EXTEND_CODE_ERROR": "扩展码使用错误，相同的扩展码不可用于多个签名",
    "isv.DOMESTIC_NUMBER_NOT_SUPPORTED": "国际/港澳台消息模板不支持发送境内号码",
    "isv.DENY_IP_RANGE": "源IP地址所在的地区被禁用",
    "isv.DAY_LIMIT_CONTROL": "触发日发送限额",
    "isv.MONTH_LIMIT_CONTROL": "触发月发送限额",
    "isv.SMS_CONTENT_ILLEGAL": "短信内容包含禁止发送内容",
    "isv.SMS_SIGN_ILLEGAL": "签名禁止使用",
    "isp.RAM_PERMISSION_DENY": "RAM权限DENY",
    "isv.OUT_OF_SERVICE": "业务停机",
    "isv.PRODUCT_UN_SUBSCRIPT": "未开通云通信产品的阿里云客户",
    "isv.PRODUCT_UNSUBSCRIBE": "产品未开通",
    "isv.ACCOUNT_NOT_EXISTS": "账户不存在",
    "isv.ACCOUNT_ABNORMAL": "账户异常",
    "isv.SMS_TEMPLATE_ILLEGAL": "该账号下找不到对应模板",
    "isv.SMS_SIGNATURE_ILLEGAL": "该账号下找不到对应签名",
    "isv.INVALID_PARAMETERS": "参数格式不正确",
    "isp.SYSTEM_ERROR": "系统出现错误，请重新调用",
    "isv.MOBILE_NUMBER_ILLEGAL": "非法手机号",
    "isv.MOBILE_COUNT_OVER_LIMIT": "手机号码数量超过限制，最多支持1000条",
    "isv.TEMPLATE_MISSING_PARAMETERS": "模板变量中存在未赋值变量",
    "isv.BUSINESS_LIMIT_CONTROL": "触发号码天级流控Permits:50",
    "isv.INVALID_JSON_PARAM": "JSON参数不合法，只接受字符串值",
    "isv.BLACK_KEY_CONTROL_LIMIT": "黑名单管控",
    "isv.PARAM_LENGTH_LIMIT": "参数超出长度限制",
    "isv.PARAM_NOT_SUPPORT_URL": "不支持URL",
    "isv.AMOUNT_NOT_ENOUGH": "账户余额不足",
    "isv.TEMPLATE_PARAMS_ILLEGAL": "模板变量里包含非法关键字",
}


def request_id() -> str:
    """A RequestId shaped like Alibaba's (an upper-case UUID)."""
    return str(uuid.uuid4()).upper()


class AcsError(Exception):
    """An error answer: its Code, HTTP status and Message."""

    def __init__(self, code: str, message: str | None = None, status: int | None = None) -> None:
        known_status, known_message = GATEWAY_ERRORS.get(code, (0, ""))
        if status is None:
            # Service codes (isv./isp.) are answered 200; unknown gateway-style codes 400.
            status = known_status or (200 if code.startswith(("isv.", "isp.")) else 400)
        message = message or known_message or BUSINESS_ERRORS.get(code, code)
        super().__init__(f"{code}: {message}")
        self.code, self.status, self.message = code, status, message

    def body(self, rid: str) -> dict[str, Any]:
        """The JSON body Alibaba answers with."""
        if self.status == 200:
            return {"Code": self.code, "Message": self.message, "RequestId": rid}
        return {"RequestId": rid, "HostId": HOST_ID, "Code": self.code, "Message": self.message,
                "Recommend": f"https://api.aliyun.com/troubleshoot?q={self.code}"
                             f"&product=Dysmsapi&requestId={rid}"}


def _canonical_query(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{k}={quote(v, safe='~', encoding='utf-8')}" for k, v in sorted(pairs))


def _parse_authorization(header: str) -> tuple[str, list[str], str]:
    """Split 'ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..'."""
    algorithm, _, rest = header.partition(" ")
    if algorithm != V3_ALGORITHM:
        raise AcsError("IncompleteSignature")
    parts = dict(p.strip().partition("=")[::2] for p in rest.split(","))
    if not all(parts.get(k) for k in ("Credential", "SignedHeaders", "Signature")):
        raise AcsError("IncompleteSignature")
    return parts["Credential"], parts["SignedHeaders"].split(";"), parts["Signature"]


def _check_time(stamp: str, now: datetime) -> None:
    try:
        when = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError as exc:
        raise AcsError("InvalidTimeStamp.Expired") from exc
    if abs(now - when) > CLOCK_SKEW:
        raise AcsError("InvalidTimeStamp.Expired")


def verify_v3(method: str, path: str, query: list[tuple[str, str]],
              headers: Mapping[str, str], body: bytes, secrets: Mapping[str, str],
              now: datetime) -> str:
    """Check an ACS3-HMAC-SHA256 signed request (`headers` keyed in lower case); return its
    nonce (the caller refuses reuse)."""
    key_id, signed, signature = _parse_authorization(headers.get("authorization", ""))
    if any(h not in signed for h in REQUIRED_SIGNED):
        raise AcsError("IncompleteSignature")
    if key_id not in secrets:
        raise AcsError("InvalidAccessKeyId.NotFound")
    _check_time(headers.get("x-acs-date", ""), now)
    # The payload hash is computed from the body received, so a changed body cannot verify.
    payload = hashlib.sha256(body).hexdigest()
    canonical_headers = "".join(f"{h}:{headers.get(h, '').strip()}\n" for h in signed)
    canonical = "\n".join([method, path or "/", _canonical_query(query), canonical_headers,
                           ";".join(signed), payload])
    to_sign = f"{V3_ALGORITHM}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    expected = hmac.new(secrets[key_id].encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.lower()):
        raise AcsError("SignatureDoesNotMatch")
    return headers.get("x-acs-signature-nonce", "")


def verify_rpc(method: str, params: list[tuple[str, str]], secrets: Mapping[str, str],
               now: datetime) -> str:
    """Check an RPC (signature version 1.0, HMAC-SHA1) signed request; return its nonce."""
    given = dict(params)
    signature = given.get("Signature", "")
    if not signature or given.get("SignatureMethod") != "HMAC-SHA1" or not given.get(
            "SignatureNonce"):
        raise AcsError("IncompleteSignature")
    if given.get("AccessKeyId") not in secrets:
        raise AcsError("InvalidAccessKeyId.NotFound")
    _check_time(given.get("Timestamp", ""), now)
    signed = sorted((k, v) for k, v in params if k != "Signature")
    query = "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in signed)
    to_sign = f"{method}&%2F&{quote_plus(query, safe='~')}"
    secret = secrets[given["AccessKeyId"]] + "&"
    expected = base64.b64encode(hmac.new(secret.encode(), to_sign.encode(),
                                         hashlib.sha1).digest()).decode()
    if not hmac.compare_digest(expected, signature):
        raise AcsError("SignatureDoesNotMatch")
    return given["SignatureNonce"]
