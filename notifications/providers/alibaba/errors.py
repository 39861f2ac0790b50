"""Alibaba Cloud SMS error codes onto the hotline's typed provider errors, in one table.

Business refusals come back as HTTP 200 with a `Code` other than "OK" (isv.* for the caller's
side, isp.* for Alibaba's); gateway refusals (throttling, signing, credentials) as HTTP 4xx/5xx,
raised by the SDK. An error's text names the code and what it means, never the number or the
words of the message: the SDK's own exception text carries the request URL, so it is not used.

Sending caps are never retried every few seconds (that only hammers a cap that lifts in hours):
- isv.BUSINESS_LIMIT_CONTROL is per number, signature and template. Alibaba counts over a
  rolling 24 hours (50 notification or promotional texts of one template to one number by
  default; minute and hour windows only where the office set them in its console). The answer's
  Message names the window ("触发分钟级流控", "小时级", "天级"): a minute window is waited out
  like a throttle; an hour or day window (or none named) fails that one text with the reason,
  so a campaign goes on to its other recipients and a reply shows staff why it did not go.
- isv.DAY_LIMIT_CONTROL / isv.MONTH_LIMIT_CONTROL are the account's own daily or monthly cap,
  set in Alibaba's console: nothing more goes until it resets or an administrator raises it,
  so each text fails with that reason rather than waiting unseen until midnight.
"""

from __future__ import annotations

import requests

from notifications.providers.base import (
    PermanentFailure,
    ProviderError,
    Throttled,
    TransientFailure,
)

PERMANENT = "permanent"
THROTTLED = "throttled"
TRANSIENT = "transient"  # Alibaba may have acted: reconcile, never resend blindly
RETRY = "retry"  # refused before anything was sent: safe to send again

# Code -> (class, what it means). Documented API codes of dysmsapi 2017-05-25.
CODES: dict[str, tuple[str, str]] = {
    # Caps that lift in hours or days: the text fails with the reason (see the docstring).
    "isv.BUSINESS_LIMIT_CONTROL": (PERMANENT, "this number got the most texts of this template "
                                              "Alibaba allows in 24 hours (50 by default); not "
                                              "sent, send it again tomorrow if still needed"),
    "isv.DAY_LIMIT_CONTROL": (PERMANENT, "the account's daily sending cap (set in Alibaba's SMS "
                                         "console) is reached; nothing more goes out today "
                                         "unless an administrator raises it"),
    "isv.MONTH_LIMIT_CONTROL": (PERMANENT, "the account's monthly sending cap (set in "
                                           "Alibaba's SMS console) is reached; nothing more "
                                           "goes out this month unless an administrator "
                                           "raises it"),
    # Slow down: the gateway's request rate.
    "Throttling": (THROTTLED, "request rate limited"),
    "Throttling.User": (THROTTLED, "request rate of the account limited"),
    "Throttling.Api": (THROTTLED, "request rate of the API limited"),
    "Throttling.System": (THROTTLED, "Alibaba's request rate limited"),
    # The recipient: never deliverable as it is.
    "isv.MOBILE_NUMBER_ILLEGAL": (PERMANENT, "not a valid mobile number"),
    "isv.MOBILE_COUNT_OVER_LIMIT": (PERMANENT, "too many numbers in one request"),
    "isv.DOMESTIC_NUMBER_NOT_SUPPORTED": (PERMANENT,
                                          "an international template cannot go to a "
                                          "mainland number"),
    # The template, its parameters and the signature.
    "isv.SMS_TEMPLATE_ILLEGAL": (PERMANENT, "template not approved or not this account's"),
    "isv.SMS_SIGNATURE_ILLEGAL": (PERMANENT, "signature not approved or not this account's"),
    "isv.SMS_SIGN_ILLEGAL": (PERMANENT, "signature may not be used"),
    "isv.SIGN_STATE_ILLEGAL": (PERMANENT, "signature is not usable"),
    "isv.SMS_SIGNATURE_SCENE_ILLEGAL": (PERMANENT, "signature and template types differ"),
    "isv.TEMPLATE_MISSING_PARAMETERS": (PERMANENT, "template parameters missing"),
    "isv.TEMPLATE_PARAMS_ILLEGAL": (PERMANENT, "template parameter values not allowed"),
    "isv.PARAM_LENGTH_LIMIT": (PERMANENT, "a template parameter is too long"),
    "isv.PARAM_NOT_SUPPORT_URL": (PERMANENT, "a template parameter may not be a link"),
    "isv.BLACK_KEY_CONTROL_LIMIT": (PERMANENT, "a template parameter holds a banned word"),
    "isv.SMS_CONTENT_ILLEGAL": (PERMANENT, "the text holds content that may not be sent"),
    "isv.INVALID_JSON_PARAM": (PERMANENT, "template parameters are not valid JSON strings"),
    "isv.INVALID_PARAMETERS": (PERMANENT, "request parameters invalid"),
    "isv.EXTEND_CODE_ERROR": (PERMANENT, "extend code used by another signature"),
    # The account: nothing goes until somebody fixes it in the console.
    "isv.OUT_OF_SERVICE": (PERMANENT, "account suspended (balance)"),
    "isv.AMOUNT_NOT_ENOUGH": (PERMANENT, "account balance too low"),
    "isv.PRODUCT_UN_SUBSCRIPT": (PERMANENT, "SMS service not activated for the account"),
    "isv.PRODUCT_UNSUBSCRIBE": (PERMANENT, "product not activated for the account"),
    "isv.ACCOUNT_NOT_EXISTS": (PERMANENT, "account does not exist"),
    "isv.ACCOUNT_ABNORMAL": (PERMANENT, "account abnormal"),
    "isv.DENY_IP_RANGE": (PERMANENT, "requests from this IP region are refused"),
    "isp.RAM_PERMISSION_DENY": (PERMANENT, "the access key lacks SMS permission"),
    "InvalidAccessKeyId.NotFound": (PERMANENT, "access key id unknown"),
    "InvalidAccessKeyId.Inactive": (PERMANENT, "access key disabled"),
    "SignatureDoesNotMatch": (PERMANENT, "request signature refused (wrong access key secret)"),
    "IncompleteSignature": (PERMANENT, "request signature incomplete"),
    "InvalidTimeStamp.Expired": (PERMANENT, "request timestamp out of range (server clock?)"),
    "MissingParameter": (PERMANENT, "a required parameter is missing"),
    "InvalidParameter": (PERMANENT, "a parameter is invalid"),
    # Refused before acting: sending again is safe.
    "SignatureNonceUsed": (RETRY, "request nonce reused"),
    "ServiceUnavailable": (TRANSIENT, "service unavailable"),
    # Alibaba's side failed while handling the request: it may have gone out.
    "isp.SYSTEM_ERROR": (TRANSIENT, "Alibaba system error"),
    "isp.GATEWAY_ERROR": (TRANSIENT, "Alibaba gateway error"),
    "InternalError": (TRANSIENT, "Alibaba internal error"),
}


# isv.BUSINESS_LIMIT_CONTROL's Message names its window: 触发分钟级流控Permits:1, 触发小时级...
LIMIT_WINDOWS = (("分钟", THROTTLED, "this number's per-minute limit for this template; "
                                    "retried shortly"),
                 ("小时", PERMANENT, "this number got the most texts of this template allowed "
                                   "in an hour; not sent, send it again later if still needed"))
# Longest a text on an Alibaba code may be (the row's error message and the timeline).
MAX_TEXT = 240


def classify(code: str, status: int | None = None, message: str = "") -> tuple[str, str]:
    """(class, meaning) of an Alibaba code; unknown codes by their family and HTTP status;
    a per-number limit by the window its `message` names."""
    if code == "isv.BUSINESS_LIMIT_CONTROL":
        for word, kind, meaning in LIMIT_WINDOWS:
            if word in (message or ""):
                return kind, meaning
    if code in CODES:
        return CODES[code]
    if code.startswith("Throttling") or status == 429:
        return THROTTLED, "request rate limited"
    if status is not None and status >= 500:
        return TRANSIENT, f"HTTP {status} from Alibaba"
    if code.startswith("isp."):
        return TRANSIENT, "Alibaba-side error"
    return PERMANENT, "refused by Alibaba"


def from_code(code: str, status: int | None = None, message: str = "") -> ProviderError:
    """The typed error for an Alibaba `Code` (answered in the body or by the gateway); its
    `Message` is read only for a limit's window, never copied into the error's text."""
    kind, meaning = classify(code, status, message)
    text = f"Alibaba {code or 'error'}: {meaning}"[:MAX_TEXT]
    if kind == THROTTLED:
        return Throttled(text)
    if kind == RETRY:
        return TransientFailure(text, maybe_sent=False)
    if kind == TRANSIENT:
        return TransientFailure(text, maybe_sent=True)
    return PermanentFailure(text)


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and everything it was raised from or while handling, innermost last."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop()
        if item is None or any(item is s for s in seen):
            continue
        seen.append(item)
        todo += [item.__cause__, item.__context__, getattr(item, "inner_exception", None)]
    return seen


def from_exception(exc: BaseException) -> ProviderError:
    """The typed error for what the SDK raised: a gateway answer, or a network failure."""
    status = getattr(exc, "status_code", None) or getattr(exc, "statusCode", None)
    code = getattr(exc, "code", None)
    said = str(getattr(exc, "message", "") or "")
    if isinstance(code, str) and code and code != "None" and isinstance(status, int):
        return from_code(code, status, said)
    causes = _causes(exc)
    network = [c for c in causes if isinstance(c, requests.RequestException)]
    if network:
        # Only a refused or timed-out *connection* proves nothing reached Alibaba.
        first = network[0]
        not_sent = isinstance(first, requests.ConnectTimeout) or (
            isinstance(first, requests.ConnectionError)
            and "NewConnectionError" in repr(first) and "timed out" not in repr(first))
        return TransientFailure(f"network error talking to Alibaba ({type(first).__name__})",
                                maybe_sent=not not_sent)
    if isinstance(code, str) and code and code != "None":
        return from_code(code, status if isinstance(status, int) else None, said)
    # Anything else (a malformed answer, an SDK bug): it may have gone, so reconcile.
    return TransientFailure(f"unexpected Alibaba SDK error ({type(exc).__name__})",
                            maybe_sent=True)
