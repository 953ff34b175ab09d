"""The @transform registry: decorator forms, engine resolution, conflicts, discovery, listing."""

from __future__ import annotations

import sys
import textwrap

import pytest

from odibi_provider.errors import RegistryError
from odibi_provider.registry import Registry


def test_exact_engine_wins_then_any():
    registry = Registry()

    def clean_any(df):
        return df

    def clean_spark(df):
        return df

    registry.register(clean_any, name="clean")
    registry.register(clean_spark, name="clean", engine="spark")
    assert registry.resolve("clean", "spark").func is clean_spark
    assert registry.resolve("clean", "pandas").func is clean_any


def test_missing_variant_names_what_exists():
    registry = Registry()

    def only_pandas(df):
        return df

    registry.register(only_pandas, engine="pandas")
    with pytest.raises(RegistryError, match=r"no 'spark' or 'any' variant \(it has: pandas\)"):
        registry.resolve("only_pandas", "spark")


def test_unknown_name_suggests():
    registry = Registry()

    def clean_orders(df):
        return df

    registry.register(clean_orders)
    with pytest.raises(RegistryError, match="did you mean 'clean_orders'"):
        registry.resolve("clean_order", "pandas")


def test_two_functions_claiming_one_name_conflict():
    registry = Registry()

    def first(df):
        return df

    def second(df):
        return df

    registry.register(first, name="x")
    with pytest.raises(RegistryError, match="registered twice"):
        registry.register(second, name="x")


def test_signature_params_exclude_frame_and_context():
    registry = Registry()

    def f(df, context=None, *, threshold, label="x", **extra):
        return df

    spec = registry.register(f, tags=["quality"], version="2")
    assert spec.param_names == ("threshold", "label")
    assert spec.required_params == ("threshold",)
    assert spec.accepts_any_params and spec.wants_context


def test_listing_and_search_by_tag():
    registry = Registry()

    def a(df):
        """Drop test orders."""
        return df

    def b(df):
        return df

    registry.register(a, tags=["cleaning"])
    registry.register(b, tags=["finance"], engine="pandas")
    assert [s.name for s in registry.list(tag="cleaning")] == ["a"]
    assert [s.name for s in registry.list(engine="pandas")] == ["b"]
    assert [s.name for s in registry.search("test orders")] == ["a"]
    assert [s.name for s in registry.search("fin")] == ["b"]


def test_function_without_a_frame_parameter_is_refused():
    with pytest.raises(RegistryError, match="first parameter"):
        Registry().register(lambda: None)


def test_entry_point_libraries_are_discovered(tmp_path, monkeypatch):
    """A real installed-distribution layout on sys.path (dist-info with entry_points.txt)."""
    (tmp_path / "acme_transforms.py").write_text(textwrap.dedent("""
        def register(registry):
            def mask_email(df, column="email"):
                return df
            registry.register(mask_email, tags=["pii"])
    """))
    dist = tmp_path / "acme_transforms-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-transforms\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[odibi_provider.transforms]\nacme = acme_transforms:register\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = Registry()
    assert registry.resolve("mask_email", "pandas").tags == ("pii",)
    sys.modules.pop("acme_transforms", None)


def test_two_projects_may_define_the_same_function_name(make_project):
    from odibi_provider.plan import compile_project

    yaml_text = """
    project: p
    connections: {raw: {type: local}}
    pipelines:
      - pipeline: b
        nodes:
          - name: a
            read: {connection: raw, format: csv, path: a.csv}
            transform: {steps: [{function: clean, params: {n: 1}}]}
    """
    code = "from odibi_provider import transform\n@transform\ndef clean(df, n):\n    return df.head({})\n"
    first = compile_project(make_project(yaml_text, files={"transforms.py": code.format(1)}))
    second = compile_project(make_project(yaml_text, files={"transforms.py": code.format(2)}))
    assert first.nodes[0].steps[0].source_hash != second.nodes[0].steps[0].source_hash
