"""Airflow behind a proxy that routes a path (``[api] base_url = https://host/airflow``) serves its UI and the
odibi plugin below that path, so the "odibi story" link must start with it (it was ``/odibi/stories/...``, a
404 there). The real UI is checked end to end in tests/ui/test_host_uis.py."""

from __future__ import annotations

import pytest

from odibi_provider.airflow.story_roots import plugin_base_url


@pytest.mark.parametrize(("base_url", "expected"), [
    pytest.param("https://host.example/airflow/", "/airflow/odibi/stories/my%20project", id="below a path"),
    pytest.param("http://localhost:8080", "/odibi/stories/my%20project", id="at the root"),
    pytest.param("", "/odibi/stories/my%20project", id="unset"),
])
def test_story_links_start_below_the_api_base_url(monkeypatch: pytest.MonkeyPatch, base_url: str,
                                                  expected: str) -> None:
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", base_url)
    assert plugin_base_url("my project") == expected
