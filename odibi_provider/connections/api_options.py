"""The ``options`` of a ``format: api`` read, checked into frozen settings (standard library only).

Names and defaults are Odibi's (``odibi/connections/api_fetcher.py`` and its API guide): ``method``,
``params``, ``request_body`` (or ``json_body``), ``headers``, ``max_records``, ``pagination`` (``offset_limit``,
``page_number``, ``cursor``, ``link_header``, ``none``), ``response`` (``items_path``, ``dict_to_list``,
``wrap_single``, ``array_row_fields``, ``add_fields``), retries as ``retry`` (``max_retries``,
``backoff_factor``, ``retry_codes``) or ``http.retries`` (``max_attempts``, ``backoff``, ``retry_on_status``),
``rate_limit``/``http.rate_limit`` and ``http.timeout_s``. This package adds ``incremental_param``: the request
parameter that receives the stored high-water mark of ``read.incremental``. A key Odibi does not know, or one
that does not apply to the chosen pagination type, is an error naming its path, with did-you-mean.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._suggest import did_you_mean, known
from ..errors import ExecutionError

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
RETRY_ON = (429, 500, 502, 503, 504)
_PAGING_KEYS: dict[str, dict[str, Any]] = {
    "offset_limit": {"offset_param": "offset", "limit_param": "limit", "limit": 100, "start_offset": 0,
                     "stop_on_empty": True},
    "page_number": {"page_param": "page", "page_size_param": "per_page", "page_size": 100, "start_page": 1,
                    "stop_on_empty": True},
    "cursor": {"cursor_param": "cursor", "cursor_path": "next_cursor", "stop_when_cursor_missing": True},
    "link_header": {"link_rel": "next"},
    "none": {},
}
_TOP = ("method", "params", "request_body", "json_body", "headers", "max_records", "pagination", "response",
        "retry", "rate_limit", "http", "incremental_param")


@dataclass(frozen=True)
class Pagination:
    """Odibi's pagination settings; ``settings`` holds the keys of ``type`` with their defaults filled in."""

    type: str = "none"
    max_pages: int | None = 100
    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Response:
    items_path: str = ""
    dict_to_list: bool = False
    wrap_single: bool = False
    array_row_fields: tuple[str, ...] | None = None
    add_fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Retry:
    """``delay(attempt) = min(base_s * exponential_base ** (attempt - 1), max_s)``, or the server's Retry-After."""

    max_attempts: int = 3
    base_s: float = 1.0
    max_s: float = 60.0
    exponential_base: float = 2.0
    retry_on_status: tuple[int, ...] = RETRY_ON

    def delay(self, attempt: int) -> float:
        return min(self.base_s * self.exponential_base ** (attempt - 1), self.max_s)


@dataclass(frozen=True)
class ApiOptions:
    method: str = "GET"
    params: Mapping[str, Any] = field(default_factory=dict)
    request_body: Mapping[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    max_records: int | None = None
    incremental_param: str | None = None
    pagination: Pagination = field(default_factory=Pagination)
    response: Response = field(default_factory=Response)
    retry: Retry = field(default_factory=Retry)
    requests_per_second: float | None = None  # None: "auto" (honour Retry-After / x-ratelimit-* headers)
    timeout_s: float = 30.0


def parse_api_options(options: Mapping[str, Any], where: str) -> ApiOptions:
    """``options`` checked into :class:`ApiOptions`; raise naming the bad key's path (``options.pagination.x``)."""
    o = _block(options, _TOP, "options", where)
    method = str(o.get("method", "GET")).upper()
    if method not in METHODS:
        raise ExecutionError(f"{where}: options.method '{o['method']}' is not one of {', '.join(METHODS)}")
    if "request_body" in o and "json_body" in o:
        raise ExecutionError(f"{where}: give options.request_body or options.json_body (the same thing), not both")
    body = o.get("request_body", o.get("json_body"))
    http = _block(o.get("http"), ("timeout_s", "retries", "rate_limit"), "options.http", where)
    return ApiOptions(
        method=method,
        params=_mapping(o.get("params"), "options.params", where),
        request_body=None if body is None else _mapping(body, "options.request_body", where),
        headers={str(k): str(v) for k, v in _mapping(o.get("headers"), "options.headers", where).items()},
        max_records=_number(o.get("max_records"), "options.max_records", where, int, minimum=1),
        incremental_param=None if o.get("incremental_param") is None else str(o["incremental_param"]),
        pagination=_pagination(o.get("pagination"), where),
        response=_response(o.get("response"), where),
        retry=_retry(o.get("retry"), http.get("retries"), where),
        requests_per_second=_rate(o.get("rate_limit"), http.get("rate_limit"), where),
        timeout_s=_number(http.get("timeout_s", 30.0), "options.http.timeout_s", where, float, minimum=0.001) or 30.0,
    )


def _pagination(raw: Any, where: str) -> Pagination:
    if raw is None:
        return Pagination()
    kind = raw.get("type", "none") if isinstance(raw, Mapping) else None
    if kind not in _PAGING_KEYS:
        hint = did_you_mean(str(kind), _PAGING_KEYS) or f"use one of {known(_PAGING_KEYS)}"
        raise ExecutionError(f"{where}: options.pagination.type '{kind}' is not a pagination type; {hint}")
    defaults = _PAGING_KEYS[kind]
    others = {k for keys in _PAGING_KEYS.values() for k in keys} - set(defaults)
    if misplaced := sorted(set(raw) & others):
        raise ExecutionError(f"{where}: options.pagination.{misplaced[0]} does not apply to pagination type "
                             f"'{kind}' (its keys: {known([*defaults, 'max_pages'])}); drop it")
    block = _block(raw, ("type", "max_pages", *defaults), "options.pagination", where)
    settings = {k: block.get(k, default) for k, default in defaults.items()}
    for key, default in defaults.items():
        if isinstance(default, bool) and not isinstance(settings[key], bool):
            raise ExecutionError(f"{where}: options.pagination.{key} must be true or false")
        if isinstance(default, int) and not isinstance(default, bool):
            settings[key] = _number(settings[key], f"options.pagination.{key}", where, int,
                                    minimum=1 if key in ("limit", "page_size") else 0)
        elif isinstance(default, str):
            settings[key] = str(settings[key])
    max_pages = _number(block.get("max_pages", 100), "options.pagination.max_pages", where, int, minimum=1)
    return Pagination(kind, max_pages, settings)


def _response(raw: Any, where: str) -> Response:
    block = _block(raw, ("items_path", "dict_to_list", "wrap_single", "array_row_fields", "add_fields"),
                   "options.response", where)
    fields = block.get("array_row_fields")
    if fields is not None and not (_is_list(fields) and all(isinstance(f, str) for f in fields)):
        raise ExecutionError(f"{where}: options.response.array_row_fields must be a list of field names")
    for key in ("dict_to_list", "wrap_single"):
        if not isinstance(block.get(key, False), bool):
            raise ExecutionError(f"{where}: options.response.{key} must be true or false")
    return Response(str(block.get("items_path") or ""), block.get("dict_to_list", False),
                    block.get("wrap_single", False), None if fields is None else tuple(fields),
                    _mapping(block.get("add_fields"), "options.response.add_fields", where))


def _retry(odibi_schema: Any, http: Any, where: str) -> Retry:
    if odibi_schema is not None and http is not None:
        raise ExecutionError(f"{where}: give options.retry or options.http.retries, not both")
    if http is not None:
        block = _block(http, ("max_attempts", "backoff", "retry_on_status"), "options.http.retries", where)
        backoff = _block(block.get("backoff"), ("base_s", "max_s", "exponential_base"),
                         "options.http.retries.backoff", where)
        path, attempts, codes = "options.http.retries", block.get("max_attempts", 3), block.get("retry_on_status")
    else:
        block = _block(odibi_schema, ("max_retries", "backoff_factor", "retry_codes"), "options.retry", where)
        backoff = {"exponential_base": block.get("backoff_factor", 2.0)}
        path, attempts, codes = "options.retry", block.get("max_retries", 3), block.get("retry_codes")
    if codes is not None and not (_is_list(codes) and all(isinstance(c, int) for c in codes)):
        raise ExecutionError(f"{where}: {path} status codes must be a list of HTTP status numbers")
    return Retry(_number(attempts, f"{path} attempts", where, int, minimum=1) or 3,
                 _number(backoff.get("base_s", 1.0), f"{path}.backoff.base_s", where, float, minimum=0) or 0.0,
                 _number(backoff.get("max_s", 60.0), f"{path}.backoff.max_s", where, float, minimum=0) or 0.0,
                 _number(backoff.get("exponential_base", 2.0), f"{path} backoff base", where, float, minimum=1) or 2.0,
                 RETRY_ON if codes is None else tuple(codes))


def _rate(odibi_schema: Any, http: Any, where: str) -> float | None:
    if odibi_schema is not None and http is not None:
        raise ExecutionError(f"{where}: give options.rate_limit or options.http.rate_limit, not both")
    if http is not None:
        block = _block(http, ("type", "requests_per_second"), "options.http.rate_limit", where)
        kind = block.get("type", "fixed" if block.get("requests_per_second") else "auto")
        if kind not in ("auto", "fixed"):
            raise ExecutionError(f"{where}: options.http.rate_limit.type '{kind}' is not auto or fixed")
        if kind == "auto" and block.get("requests_per_second") is not None:
            raise ExecutionError(f"{where}: options.http.rate_limit.requests_per_second needs type: fixed")
        if kind == "fixed" and block.get("requests_per_second") is None:
            raise ExecutionError(f"{where}: options.http.rate_limit type fixed needs requests_per_second")
        return _number(block.get("requests_per_second"), "options.http.rate_limit.requests_per_second", where,
                       float, minimum=0.001)
    block = _block(odibi_schema, ("requests_per_second",), "options.rate_limit", where)
    return _number(block.get("requests_per_second"), "options.rate_limit.requests_per_second", where, float,
                   minimum=0.001)


def _block(raw: Any, keys: tuple[str, ...], path: str, where: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ExecutionError(f"{where}: {path} must be a mapping of options (got {type(raw).__name__})")
    if unknown := sorted(set(map(str, raw)) - set(keys)):
        hint = did_you_mean(unknown[0], keys)
        raise ExecutionError(f"{where}: unknown api option {path}.{unknown[0]}"
                             f"{' (' + hint + ')' if hint else ''}; accepted under {path}: {known(keys)}")
    return dict(raw)


def _is_list(raw: Any) -> bool:
    return isinstance(raw, Sequence) and not isinstance(raw, str)  # a YAML list (a tuple once in the Plan)


def _mapping(raw: Any, path: str, where: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ExecutionError(f"{where}: {path} must be a mapping (got {type(raw).__name__})")
    return {str(k): v for k, v in raw.items()}


def _number(raw: Any, path: str, where: str, kind: type, *, minimum: float) -> Any:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or (kind is int and not isinstance(raw, int)):
        raise ExecutionError(f"{where}: {path} must be a {'whole ' if kind is int else ''}number (got {raw!r})")
    if raw < minimum:
        raise ExecutionError(f"{where}: {path} must be at least {minimum} (got {raw!r})")
    return kind(raw)
