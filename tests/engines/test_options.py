"""The one read/write option table: portable names on every engine, Spark's own names, no key ignored."""

from __future__ import annotations

from typing import Any

import pytest

from odibi_provider.engines.options import EMBEDDED, PORTABLE, SPARK
from odibi_provider.errors import ExecutionError


def test_every_portable_option_is_honoured_or_declined_on_spark() -> None:
    """A portable key Spark accepts is renamed, passed through as a Spark option, or applied by odibi."""
    for (kind, fmt), names in PORTABLE.items():
        if fmt not in SPARK.formats[kind]:
            continue
        for name in names & SPARK.accepted(kind, fmt):
            assert name in SPARK.handled or (kind, name) in SPARK.renamed or fmt == "excel" or name in {
                "header", "sep", "quote", "escape", "encoding", "compression"}, (kind, fmt, name)


@pytest.mark.parametrize(("kind", "fmt", "options", "message"), [
    pytest.param("read", "csv", {"skip": 2}, r"the spark engine cannot honour csv read option 'skip' \(Spark's CSV "
                 r"reader cannot skip leading lines\); drop it", id="declined"),
    pytest.param("write", "parquet", {"row_group_size": 10}, "cannot honour parquet write option 'row_group_size'",
                 id="declined write"),
    pytest.param("read", "csv", {"strict_mode": True}, r"cannot honour strict_mode: True \(Spark's CSV parser is "
                 r"never strict\); drop it or set strict_mode: false", id="only one value"),
    pytest.param("write", "json", {"lines": False}, r"cannot honour lines: False \(Spark writes JSON lines only\); drop it or set lines: true",
                 id="json lines only"),
    pytest.param("write", "excel", {}, "the spark engine cannot write format 'excel'; use one of csv, delta",
                 id="format"),
    pytest.param("read", "avro", {}, "unknown read format 'avro'", id="unknown format"),
    pytest.param("read", "csv", {"delimeter": ";"}, r"unknown csv read option\(s\) 'delimeter' \(did you mean "
                 r"'delimiter'\?\); accepted csv read options on spark: all_varchar", id="unknown key"),
])
def test_spark_refuses_what_it_cannot_honour(kind: str, fmt: str, options: dict[str, Any], message: str) -> None:
    with pytest.raises(ExecutionError, match=message):
        SPARK.check(kind, fmt, options, "node x")


def test_embedded_accepts_every_portable_option_and_no_spark_name() -> None:
    assert EMBEDDED.check("read", "csv", {"skip": 1, "strict_mode": True, "watch": True}, "x") == {
        "skip": 1, "strict_mode": True}, "host options are left out"
    with pytest.raises(ExecutionError, match=r"unknown csv read option\(s\) 'inferSchema'; accepted csv read "
                                             r"options: all_varchar, columns"):
        EMBEDDED.check("read", "csv", {"inferSchema": True}, "x")


def test_spark_translates_portable_names() -> None:
    options = SPARK.check("read", "csv", {"delimiter": ";", "null_values": "NA", "header": True, "dtype": "str",
                                          "strict_mode": False, "inferSchema": False, "watch": True}, "x")
    assert SPARK.translate("read", options) == {"sep": ";", "nullValue": "NA", "header": "true",
                                                "inferSchema": "false"}
    assert SPARK.translate("read", {"chunk_size": 500}) == {"fetchsize": "500"}
    assert SPARK.translate("write", {"chunk_size": 500, "keys": ["id"]}) == {"batchsize": "500"}
