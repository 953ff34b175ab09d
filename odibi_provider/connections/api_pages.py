"""Fetch an HTTP API page by page (standard library ``urllib``): pagination, retries, rate limit, records.

:func:`fetch_pages` yields one :class:`Page` at a time (its records flattened as Odibi's pandas reader
does: nested objects become ``parent_child`` columns), so a caller never holds more than one response.
429 and 5xx (``retry_on_status``) and network errors are retried with exponential backoff, a
``Retry-After`` header taking the place of the computed delay. Errors name the page and its URL with
secret query parameters and registered secrets masked.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..errors import ExecutionError
from .api_options import ApiOptions
from .http import HttpConnection
from .masking import mask_secrets

SENSITIVE_PARAMS = frozenset({"key", "token", "secret", "password", "auth", "api_key", "apikey", "access_token"})
_LINK = re.compile(r'<([^>]+)>;\s*rel="?([^"]+)"?')
_SEGMENT = re.compile(r"^(?P<key>[^\[]*)(?P<idx>(\[-?\d+\])*)$")
_EXPR = re.compile(r"\{([^}:]+)(?::([^}]+))?\}")
_DAYS = re.compile(r"^[+-]?\d+d$")


@dataclass(frozen=True)
class Page:
    number: int
    url: str  # safe to show: secret query parameters and registered secrets masked
    records: list[dict[str, Any]]


@dataclass
class _Request:
    url: str
    params: dict[str, Any]
    body: dict[str, Any] | None


def safe_url(url: str) -> str:
    """``url`` with the values of secret-looking query parameters (Odibi's list) and registered secrets masked."""
    parts = urlsplit(url)
    query = [(k, "***" if k.lower() in SENSITIVE_PARAMS else v) for k, v in parse_qsl(parts.query, True)]
    return mask_secrets(urlunsplit(parts._replace(query=urlencode(query, safe="*+:[]"))))


def fetch_pages(connection: HttpConnection, path: str, options: ApiOptions, where: str, *,
                sleep: Callable[[float], None] = time.sleep) -> Iterator[Page]:
    """The pages of ``path`` on ``connection`` as ``options`` describe, one at a time."""
    now = datetime.now(UTC)
    params, body = dates(dict(options.params), now), dates(options.request_body, now)
    if options.method in ("POST", "PUT", "PATCH") and body is not None:
        body, params = {**body, **params}, {}  # Odibi: params join the JSON body
    paging = options.pagination
    request: _Request | None = _first(_Request(connection.url(path), params, body), options)
    headers = {**connection.headers, **options.headers}
    fields = {k: dates(v, now) for k, v in options.response.add_fields.items()}
    total, number, last_sent = 0, 0, 0.0
    while request is not None:
        number += 1
        if options.requests_per_second and last_sent:
            sleep(max(0.0, 1.0 / options.requests_per_second - (time.monotonic() - last_sent)))
        url = request.url + ("&" if "?" in request.url else "?") + urlencode(request.params, doseq=True, safe="+:[]") \
            if request.params else request.url
        page_where = f"{where}: page {number} ({safe_url(url)})"
        last_sent = time.monotonic()
        status_headers, payload = _send(url, options, headers, request.body, page_where, sleep)
        try:
            document = json.loads(payload) if payload.strip() else {}
        except ValueError as exc:
            raise ExecutionError(f"{page_where}: the response is not JSON ({exc}); check the endpoint and "
                                 f"that the API returns JSON", retryable=False) from None
        items = extract(document, options, page_where)
        yield Page(number, safe_url(url), [{**flatten(item), **fields} for item in items])
        total += len(items)
        if options.requests_per_second is None:
            _honour_rate_headers(status_headers, sleep)
        done = (paging.max_pages is not None and number >= paging.max_pages) or (
            options.max_records is not None and total >= options.max_records)
        request = None if done else _next(request, options, items, document, status_headers)


def _first(base: _Request, options: ApiOptions) -> _Request:
    s = options.pagination.settings
    if options.pagination.type == "offset_limit":
        return _with(base, {s["offset_param"]: s["start_offset"], s["limit_param"]: s["limit"]}, options.method)
    if options.pagination.type == "page_number":
        return _with(base, {s["page_param"]: s["start_page"], s["page_size_param"]: s["page_size"]}, "GET")
    return base


def _with(request: _Request, values: dict[str, Any], method: str) -> _Request:
    """Paging values go into the JSON body of a POST/PUT/PATCH that has one, else into the query."""
    if method in ("POST", "PUT", "PATCH") and request.body is not None:
        return _Request(request.url, request.params, {**request.body, **values})
    return _Request(request.url, {**request.params, **values}, request.body)


def _next(request: _Request, options: ApiOptions, items: list[Any], document: Any,
          headers: Mapping[str, str]) -> _Request | None:
    kind, s = options.pagination.type, options.pagination.settings
    if kind in ("offset_limit", "page_number"):
        size = s["limit"] if kind == "offset_limit" else s["page_size"]
        if (s["stop_on_empty"] and not items) or len(items) < size:
            return None
        if kind == "offset_limit":
            current = (request.body or {}).get(s["offset_param"], request.params.get(s["offset_param"]))
            return _with(request, {s["offset_param"]: int(current or 0) + size}, options.method)
        return _Request(request.url, {**request.params, s["page_param"]: int(request.params[s["page_param"]]) + 1},
                        request.body)
    if kind == "cursor":
        cursor = _cursor(document, s["cursor_path"])
        if not cursor:
            return None if s["stop_when_cursor_missing"] else request
        return _Request(request.url, {**request.params, s["cursor_param"]: cursor}, request.body)
    if kind == "link_header":
        links = {rel: url for url, rel in (m.groups() for m in _LINK.finditer(headers.get("link", "")))}
        target = links.get(s["link_rel"])
        if not target:
            return None
        parts = urlsplit(target)
        return _Request(urlunsplit(parts._replace(query="")), dict(parse_qsl(parts.query, True)), request.body)
    return None


def _cursor(document: Any, path: str) -> str | None:
    value = document
    for key in path.split("."):
        if not isinstance(value, Mapping) or key not in value:
            return None
        value = value[key]
    return str(value) if value else None


def _send(url: str, options: ApiOptions, headers: Mapping[str, str], body: dict[str, Any] | None, where: str,
          sleep: Callable[[float], None]) -> tuple[dict[str, str], bytes]:
    """One request with Odibi's retry policy: (response headers, lower-cased, and the body)."""
    data = None if body is None else json.dumps(body).encode()
    sent = dict(headers)
    if data is not None:
        sent.setdefault("Content-Type", "application/json")
    retry = options.retry
    for attempt in range(1, retry.max_attempts + 1):
        request = urllib.request.Request(url, data=data, headers=sent, method=options.method)
        try:
            with urllib.request.urlopen(request, timeout=options.timeout_s) as response:
                return {k.lower(): v for k, v in response.headers.items()}, response.read()
        except urllib.error.HTTPError as exc:
            status, answer = exc.code, {k.lower(): v for k, v in (exc.headers or {}).items()}
            text = mask_secrets(exc.read(300).decode("utf-8", "replace").strip())
            if status not in retry.retry_on_status:
                raise ExecutionError(f"{where}: HTTP {status} {exc.reason}{': ' + text if text else ''}"
                                     f"{_hint(status)}", retryable=False) from None
            waited = _retry_after(answer)
            problem, delay = f"HTTP {status} {exc.reason}", retry.delay(attempt) if waited is None else waited
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            problem, delay = f"request failed: {mask_secrets(str(reason))}", retry.delay(attempt)
        if attempt < retry.max_attempts:
            sleep(delay)
    raise ExecutionError(f"{where}: {problem} after {retry.max_attempts} attempt(s); the API may be down or "
                         "rate limiting: raise retries (options.http.retries.max_attempts) or try later",
                         retryable=True)


def _hint(status: int) -> str:
    if status in (401, 403):
        return "; check the connection's auth block and that its secret is set"
    return "; check the endpoint path and params" if status in (400, 404, 405) else ""


def _retry_after(headers: Mapping[str, str]) -> float | None:
    try:
        return max(0.0, float(headers["retry-after"]))
    except (KeyError, ValueError):
        return None


def _honour_rate_headers(headers: Mapping[str, str], sleep: Callable[[float], None]) -> None:
    """Odibi's ``rate_limit: auto``: wait for ``Retry-After``, or until ``x-ratelimit-reset`` when none remain."""
    if (wait := _retry_after(headers)) is not None:
        sleep(wait)
    elif headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset"):
        with contextlib.suppress(ValueError):
            sleep(max(0.0, float(headers["x-ratelimit-reset"]) - time.time() + 1))


def extract(document: Any, options: ApiOptions, where: str) -> list[Any]:
    """The records of one response: ``items_path`` (dots, ``[i]`` indexes), ``dict_to_list``, ``wrap_single``
    and ``array_row_fields`` as in Odibi (a path that is not there gives no records)."""
    response = options.response
    found = _resolve(document, response.items_path)
    if isinstance(found, list):
        items = found
    elif isinstance(found, dict) and response.dict_to_list:
        items = [{"_key": k, **v} if isinstance(v, dict) else {"_key": k, "_value": v} for k, v in found.items()]
    elif isinstance(found, dict) and response.wrap_single:
        items = [found]
    else:
        items = []
    names = response.array_row_fields
    if names and items and isinstance(items[0], list):
        items = [dict(zip(names, [*row, *[None] * len(names)], strict=False)) for row in items]
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ExecutionError(f"{where}: record {index} is {type(item).__name__}, not an object; point "
                                 "options.response.items_path at a list of objects (or set array_row_fields)",
                                 retryable=False)
    return items


def _resolve(document: Any, path: str) -> Any:
    value = document
    for segment in path.split(".") if path not in ("", "$", "$root") else ():
        if segment in ("", "$", "$root"):
            continue
        match = _SEGMENT.match(segment)
        if match is None:
            return None
        if key := match.group("key"):
            if not isinstance(value, dict) or key not in value:
                return None
            value = value[key]
        for index in map(int, re.findall(r"-?\d+", match.group("idx") or "")):
            if not isinstance(value, list) or not 0 <= index < len(value):
                return None
            value = value[index]
    return value


def flatten(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects as ``parent_child`` keys (pandas ``json_normalize(sep="_")``, which Odibi uses)."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, f"{name}_") if value else {name: None})
        else:
            out[name] = value
    return out


def dates(value: Any, now: datetime) -> Any:
    """Odibi's API date variables in strings (``$now``, ``$today``, ``$7_days_ago_compact``, ``{-7d:%Y%m%d}``...)."""
    if isinstance(value, dict):
        return {k: dates(v, now) for k, v in value.items()}
    if isinstance(value, list):
        return [dates(v, now) for v in value]
    if not isinstance(value, str) or ("$" not in value and "{" not in value):
        return value
    for name, text in _variables(now).items():
        value = value.replace(name, text)
    return _EXPR.sub(lambda m: _expression(m, now), value)


def _variables(now: datetime) -> dict[str, str]:
    today = now.date()
    days = {"today": today, "yesterday": today - timedelta(days=1), "7_days_ago": today - timedelta(days=7),
            "30_days_ago": today - timedelta(days=30), "90_days_ago": today - timedelta(days=90),
            "start_of_week": today - timedelta(days=today.weekday()), "start_of_month": today.replace(day=1),
            "start_of_year": today.replace(month=1, day=1)}
    compact = {f"${k}_compact": d.strftime("%Y%m%d") for k, d in days.items()}
    # longest names first, so "$today_compact" is not read as "$today" + "_compact"
    found = {**compact, **{f"${k}": d.isoformat() for k, d in days.items()}, "$date": today.isoformat(),
             "$now": now.isoformat()}
    return dict(sorted(found.items(), key=lambda kv: -len(kv[0])))


def _expression(match: re.Match[str], now: datetime) -> str:
    expr, fmt = match.group(1).strip(), match.group(2)
    today = now.date()
    moments: dict[str, date | datetime] = {
        "now": now, "today": today, "date": today, "yesterday": today - timedelta(days=1),
        "start_of_week": today - timedelta(days=today.weekday()), "start_of_month": today.replace(day=1),
        "start_of_year": today.replace(month=1, day=1)}
    if expr in moments:
        moment = moments[expr]
    elif _DAYS.match(expr):
        moment = today + timedelta(days=int(expr[:-1]))
    else:
        return match.group(0)
    return moment.strftime(fmt or ("%Y-%m-%dT%H:%M:%S%z" if expr == "now" else "%Y-%m-%d"))
