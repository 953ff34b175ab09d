"""``type: http`` + ``format: api``: a run against a JSON API the test serves on 127.0.0.1.

Every pagination style, each auth mode (the server checks the header), retries on 429 and 5xx, a
malformed page, records paths, add_fields, incremental requests from the stored mark, and validate's
located errors for bad options.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from odibi_provider import run_project
from odibi_provider.cli import main
from odibi_provider.errors import ProjectError
from odibi_provider.plan import load_plan
from tests.conftest import ProjectFactory
from tests.fixtures.api_server import ROWS, Api, Reply, offset_route, opts, project, serve_api

SECRET = "s3cr3t-T0ken-value"


@pytest.fixture
def api() -> Iterator[Api]:
    with serve_api() as served:
        yield served


def written(project_file: Path) -> list[dict[str, Any]]:
    return pq.read_table(project_file.parent / "data" / "items.parquet").to_pylist()


def run_ok(project_file: Path) -> list[dict[str, Any]]:
    result = run_project(project_file)
    assert not result.failed, [r.error for r in result.results]
    return written(project_file)


def page_route(query: Mapping[str, str], headers: Any) -> Reply:
    page, size = int(query["page"]), int(query["per_page"])
    return 200, {}, {"data": {"items": ROWS[(page - 1) * size:page * size]}}


def cursor_route(query: Mapping[str, str], headers: Any) -> Reply:
    start = int(query.get("cursor", "0"))
    nxt = start + 3 if start + 3 < len(ROWS) else None
    return 200, {}, {"payload": [{"rows": ROWS[start:start + 3]}], "meta": {"next_cursor": nxt}}


def link_route(api: Api) -> Any:
    def route(query: Mapping[str, str], headers: Any) -> Reply:
        page = int(query.get("p", "1"))
        link = {"Link": f'<{api.base_url}/linked?p={page + 1}&per_page=3>; rel="next"'} if page * 3 < len(ROWS) else {}
        return 200, link, ROWS[(page - 1) * 3:page * 3]
    return route


PAGINATIONS = {
    "offset_limit": ("/items", offset_route, """
        params: {limit: 99}
        pagination: {type: offset_limit, offset_param: skip, limit_param: limit, limit: 3}
        response: {items_path: results}
        """, [{"skip": "0", "limit": "3"}, {"skip": "3", "limit": "3"}, {"skip": "6", "limit": "3"}]),
    "page_number": ("/paged", page_route, """
        pagination: {type: page_number, page_size: 3}
        response: {items_path: data.items}
        """, [{"page": "1", "per_page": "3"}, {"page": "2", "per_page": "3"}, {"page": "3", "per_page": "3"}]),
    "cursor": ("/cursor", cursor_route, """
        pagination: {type: cursor, cursor_param: cursor, cursor_path: meta.next_cursor}
        response: {items_path: "payload[0].rows"}
        """, [{}, {"cursor": "3"}, {"cursor": "6"}]),
    "link_header": ("/linked", None, """
        params: {per_page: 3}
        pagination: {type: link_header}
        """, [{"per_page": "3"}, {"p": "2", "per_page": "3"}, {"p": "3", "per_page": "3"}]),
}


@pytest.mark.parametrize("style", sorted(PAGINATIONS))
def test_every_pagination_style_reads_all_pages(api: Api, make_project: ProjectFactory, style: str) -> None:
    path, route, options, expected = PAGINATIONS[style]
    api.routes[path] = route or link_route(api)
    rows = run_ok(make_project(project(api, opts(options), path=path)))
    assert [r["id"] for r in rows] == [1, 2, 3, 4, 5, 6, 7]
    assert rows[0]["meta_color"] == "red"  # nested objects flattened as parent_child, as Odibi does
    assert api.queries(path) == expected


def test_max_pages_stops_early(api: Api, make_project: ProjectFactory) -> None:
    api.routes["/items"] = offset_route
    rows = run_ok(make_project(project(api, opts("""
        pagination: {type: offset_limit, offset_param: skip, limit_param: limit, limit: 2, max_pages: 2}
        response: {items_path: results}
        """))))
    assert [r["id"] for r in rows] == [1, 2, 3, 4]


AUTHS = {
    "bearer": ("""
            auth:
              mode: bearer
              token: ${env:API_SECRET}""", "Authorization", f"Bearer {SECRET}"),
    "basic": ("""
            auth:
              mode: basic
              username: reader
              password: ${env:API_SECRET}""", "Authorization",
              "Basic " + base64.b64encode(f"reader:{SECRET}".encode()).decode()),
    "api_key": ("""
            auth:
              mode: api_key
              api_key: ${env:API_SECRET}
              header_name: X-API-Key
              value_template: "{token}\"""", "X-API-Key", SECRET),
}


@pytest.mark.parametrize("mode", sorted(AUTHS))
def test_auth_modes_send_the_header_the_server_checks(api: Api, make_project: ProjectFactory,
                                                      monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    block, header, value = AUTHS[mode]

    def guarded(query: Mapping[str, str], headers: Any) -> Reply:
        if headers.get(header) != value:
            return 401, {}, {"error": "unauthorized"}
        return 200, {}, ROWS[:2]

    api.routes["/items"] = guarded
    file = make_project(project(api, opts("response: {items_path: ''}"), auth=block))
    monkeypatch.setenv("API_SECRET", SECRET)
    assert [r["id"] for r in run_ok(file)] == [1, 2]
    assert api.requests[-1][2]["User-Agent"] == "odibi-test"

    monkeypatch.setenv("API_SECRET", "wrong-" + SECRET)
    result = run_project(file)
    error = result.results[0].error or ""
    assert result.failed == ("ingest.items",) and "HTTP 401" in error and "check the connection's auth" in error
    assert SECRET not in error and SECRET not in str(result.results[0].metadata())


def test_429_then_success_honours_retry_after(api: Api, make_project: ProjectFactory) -> None:
    calls: list[int] = []

    def limited(query: Mapping[str, str], headers: Any) -> Reply:
        calls.append(1)
        return (429, {"Retry-After": "0"}, {"error": "slow down"}) if len(calls) == 1 else (200, {}, ROWS[:3])

    api.routes["/items"] = limited
    # a computed backoff of 30 s would make this test slow: Retry-After: 0 takes its place
    rows = run_ok(make_project(project(api, opts("http: {retries: {max_attempts: 3, backoff: {base_s: 30}}}"))))
    assert [r["id"] for r in rows] == [1, 2, 3] and len(calls) == 2


def test_a_500_that_exhausts_retries_fails_the_node_and_writes_nothing(api: Api, make_project: ProjectFactory) -> None:
    def broken(query: Mapping[str, str], headers: Any) -> Reply:
        return (500, {}, {"error": "boom"}) if query["skip"] == "2" else offset_route(query, headers)

    api.routes["/items"] = broken
    file = make_project(project(api, opts("""
        pagination: {type: offset_limit, offset_param: skip, limit_param: limit, limit: 2}
        response: {items_path: results}
        http: {timeout_s: 5, retries: {max_attempts: 3, backoff: {base_s: 0.01}}}
        """)))
    result = run_project(file)
    error = result.results[0].error or ""
    assert result.failed == ("ingest.items",)
    assert "page 2" in error and "HTTP 500" in error and "after 3 attempt(s)" in error
    assert len(api.queries("/items")) == 1 + 3  # page 1, then page 2 three times
    assert not (file.parent / "data" / "items.parquet").exists()


def test_a_malformed_page_names_its_url_without_secret_params(api: Api, make_project: ProjectFactory,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def half_broken(query: Mapping[str, str], headers: Any) -> Reply:
        return (200, {}, b"<html>oops") if query["page"] == "2" else page_route(query, headers)

    api.routes["/paged"] = half_broken
    monkeypatch.setenv("API_QUERY_KEY", SECRET)
    file = make_project(project(api, opts("""
        params: {api_key: "${env:API_QUERY_KEY}", region: eu}
        pagination: {type: page_number, page_size: 3}
        response: {items_path: data.items}
        """), path="/paged"))
    result = run_project(file)
    error = result.results[0].error or ""
    assert "page 2 (" + api.base_url + "/paged?" in error and "api_key=***" in error and "region=eu" in error
    assert "not JSON" in error and SECRET not in error
    assert not (file.parent / "data" / "items.parquet").exists()


def test_records_path_dict_to_list_and_add_fields(api: Api, make_project: ProjectFactory) -> None:
    champions = {"type": "champion", "data": {"Ahri": {"id": "Ahri", "tags": ["Mage"], "info": {"attack": 3}},
                                              "Zed": {"id": "Zed", "tags": ["Assassin"], "info": {"attack": 9}}}}
    api.routes["/champions.json"] = lambda q, h: (200, {}, champions)
    rows = run_ok(make_project(project(api, opts("""
        response:
          items_path: data
          dict_to_list: true
          add_fields: {_source: ddragon, _loaded_on: "$today", _day: "{today:%Y%m%d}"}
        """), path="/champions.json")))
    today = dt.datetime.now(dt.UTC).date()
    assert rows == [{"_key": k, "id": k, "tags": [t], "info_attack": a, "_source": "ddragon",
                     "_loaded_on": today.isoformat(), "_day": today.strftime("%Y%m%d")}
                    for k, t, a in (("Ahri", "Mage", 3), ("Zed", "Assassin", 9))]


def test_pages_with_different_fields_share_one_schema(api: Api, make_project: ProjectFactory) -> None:
    pages = {"1": [{"id": 1, "score": None}], "2": [{"id": 2, "score": 2.5, "extra": "x"}]}
    api.routes["/paged"] = lambda q, h: (200, {}, pages.get(q["page"], []))
    rows = run_ok(make_project(project(api, opts("pagination: {type: page_number, page_size: 1}"), path="/paged")))
    assert rows == [{"id": 1, "score": None, "extra": None}, {"id": 2, "score": 2.5, "extra": "x"}]


def test_incremental_second_run_asks_only_for_new_records(api: Api, make_project: ProjectFactory) -> None:
    events = [{"id": i, "updated_at": f"2024-01-0{i}"} for i in range(1, 4)]

    def since(query: Mapping[str, str], headers: Any) -> Reply:
        return 200, {}, {"events": [e for e in events if e["updated_at"] > query.get("updated_since", "")]}

    api.routes["/events"] = since
    file = make_project(project(api, opts("""
        incremental_param: updated_since
        response: {items_path: events}
        """), path="/events", mode="append", extra_read="""
                  incremental: {column: updated_at}"""))
    assert [r["id"] for r in run_ok(file)] == [1, 2, 3]
    events.extend({"id": i, "updated_at": f"2024-01-0{i}"} for i in (4, 5))
    assert sorted(r["id"] for r in run_ok(file)) == [1, 2, 3, 4, 5]
    assert api.queries("/events") == [{}, {"updated_since": "2024-01-03"}]

    quiet = run_project(file)  # nothing new: the node warns, the target keeps its rows
    assert quiet.results[0].status == "warning" and not quiet.failed
    assert api.queries("/events")[-1] == {"updated_since": "2024-01-05"}
    assert sorted(r["id"] for r in written(file)) == [1, 2, 3, 4, 5]


def test_validate_locates_an_unknown_option_with_did_you_mean(api: Api, make_project: ProjectFactory,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    file = make_project(project(api, opts("""
        pagination: {type: offset_limit, offest_param: skip}
        """)))
    with pytest.raises(ProjectError) as caught:
        load_plan(file)
    problem = next(p for p in caught.value.problems if "offest_param" in p.message)
    assert "unknown api option options.pagination.offest_param (did you mean 'offset_param'" in problem.message
    assert problem.line is not None and problem.node == "ingest.items"
    assert main(["validate", str(file), "--no-color"]) == 1
    printed = capsys.readouterr().err
    assert f"odibi.yaml:{problem.line}" in printed and "offest_param" in printed


@pytest.mark.parametrize(("options", "message"), [
    ("pagination: {type: link_header, limit: 100}", "options.pagination.limit does not apply to pagination type"),
    ("pagination: {type: offset}", "'offset' is not a pagination type; did you mean 'offset_limit'?"),
    ("response: {item_path: results}", "options.response.item_path (did you mean 'items_path'?)"),
    ("retrys: {max_retries: 2}", "unknown api read option(s) 'retrys' (did you mean 'retry'?)"),
])
def test_options_that_would_be_ignored_are_refused(api: Api, make_project: ProjectFactory, options: str,
                                                  message: str) -> None:
    with pytest.raises(ProjectError, match=None) as caught:
        load_plan(make_project(project(api, opts(options))))
    assert any(message in p.message for p in caught.value.problems), [p.message for p in caught.value.problems]


def test_an_api_read_needs_an_http_connection(make_project: ProjectFactory, tmp_path: Path) -> None:
    file = make_project("""
        project: wrong
        connections:
          lake: {type: local, base_path: ./data}
        pipelines:
          - pipeline: p
            nodes:
              - name: n
                read: {connection: lake, format: api, path: /items}
        """)
    with pytest.raises(ProjectError) as caught:
        load_plan(file)
    assert any("format 'api' needs an 'http' connection" in p.message for p in caught.value.problems)


@pytest.mark.parametrize(("read_extra", "message"), [
    ("", "options.incremental_param sends the stored mark of a stateful 'incremental'"),
    ("              incremental: {column: updated_at, mode: rolling_window, lookback: 2}",
     "options.incremental_param sends the stored mark"),
])
def test_incremental_param_without_a_stateful_mark_is_refused(api: Api, make_project: ProjectFactory, read_extra: str,
                                                              message: str) -> None:
    file = make_project(project(api, opts("incremental_param: since"), extra_read="    " + read_extra))
    with pytest.raises(ProjectError) as caught:
        load_plan(file)
    assert any(message in p.message and p.line for p in caught.value.problems), caught.value.problems


def test_a_secret_in_the_read_params_stays_out_of_the_plan(api: Api, make_project: ProjectFactory,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """``params: {api_key: ${env:...}}`` is resolved when the API is called: the Plan (and its cache on disk)
    keep the reference, the request carries the value."""
    api.routes["/items"] = offset_route
    monkeypatch.setenv("API_SECRET", SECRET)
    project_file = make_project(project(api, opts("""
        params: {api_key: "${env:API_SECRET}"}
        pagination: {type: offset_limit, offset_param: skip, limit_param: limit, limit: 5}
        response: {items_path: results}
        """)))
    from odibi_provider.plan.codec import plan_to_json

    assert SECRET not in plan_to_json(load_plan(project_file))
    assert len(run_ok(project_file)) == len(ROWS)
    assert {query.get("api_key") for path, query, _, _ in api.requests if path == "/items"} == {SECRET}
    cached = list((project_file.parent / ".odibi").rglob("*.json"))
    assert cached and not [f for f in cached if SECRET in f.read_text(encoding="utf-8")]
