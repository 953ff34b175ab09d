"""Property: whatever a mutated manifest holds, the loader raises only OdibiError (or succeeds)."""

from __future__ import annotations

import contextlib
import copy
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odibi_provider.errors import OdibiError
from odibi_provider.plan import compile_project

VALID = sorted((Path(__file__).parent / "cases" / "valid").glob("*.yaml"))
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=True),
                    st.text(max_size=12), st.sampled_from(["${vars.x}", "${env:NOPE}", "$bronze.a", "a.b",
                                                           "${date:-1d}", "${date:bad}", "csv", "upsert"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                      max_leaves=8)


def _paths(data, prefix=()):
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _paths(value, (*prefix, index))


def _mutate(data, path, action, value):
    if not path:
        return value
    parent = data
    for segment in path[:-1]:
        parent = parent[segment]
    key = path[-1]
    if action == "delete":
        del parent[key]
    elif action == "replace":
        parent[key] = value
    elif isinstance(parent, dict):
        parent[f"{key}x"] = value
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=st.sampled_from(VALID), pick=st.integers(0, 10_000), action=st.sampled_from(["delete", "replace", "add"]),
       value=VALUES)
def test_mutated_manifests_raise_only_odibi_errors(tmp_path_factory, case, pick, action, value):
    data = yaml.safe_load(case.read_text(encoding="utf-8"))
    paths = list(_paths(data))
    mutated = _mutate(copy.deepcopy(data), paths[pick % len(paths)], action, value)
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "odibi.yaml").write_text(yaml.safe_dump(mutated, allow_unicode=True), encoding="utf-8")
    with contextlib.suppress(OdibiError):
        compile_project(folder)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=200))
def test_arbitrary_text_raises_only_odibi_errors(tmp_path_factory, text):
    folder = tmp_path_factory.mktemp("fuzztext")
    (folder / "odibi.yaml").write_text(text, encoding="utf-8")
    with contextlib.suppress(OdibiError):
        compile_project(folder)
