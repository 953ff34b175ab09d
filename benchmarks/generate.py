"""Generate synthetic odibi projects of any size for benchmarks (bronze -> silver -> gold chains)."""

from __future__ import annotations

from pathlib import Path

NODES_PER_PIPELINE = 50


def write_project(root: Path, nodes: int, *, with_function: bool = True) -> Path:
    """Write a project of ``nodes`` nodes under ``root``: 1/3 bronze reads, 1/3 silver, 1/3 gold."""
    root.mkdir(parents=True, exist_ok=True)
    pipelines = []
    layers = ["bronze", "silver", "gold"]
    per_layer = max(1, nodes // 3)
    made = 0
    for layer_index, layer in enumerate(layers):
        count = per_layer if layer_index < 2 else nodes - 2 * per_layer
        for p in range(0, count, NODES_PER_PIPELINE):
            name = f"{layer}_{p // NODES_PER_PIPELINE}"
            lines = [f"  - pipeline: {name}", f"    layer: {layer}", "    nodes:"]
            for i in range(p, min(p + NODES_PER_PIPELINE, count)):
                lines.extend(_node(layer, i, with_function, per_layer))
                made += 1
            pipelines.append("\n".join(lines))
    header = ["project: generated", "connections:", "  raw: {type: local, base_path: data}",
              "  lake: {type: local, base_path: lake}", "pipelines:"]
    (root / "odibi.yaml").write_text("\n".join(header + pipelines) + "\n", encoding="utf-8")
    if with_function:
        (root / "transforms.py").write_text(
            "from odibi_provider import transform\n\n\n@transform\ndef tag_rows(df, context=None, label='x'):\n"
            "    return df.assign(label=label)\n", encoding="utf-8")
    return root / "odibi.yaml"


def _node(layer: str, i: int, with_function: bool, silver_count: int) -> list[str]:
    if layer == "bronze":
        return [f"      - name: n{i}",
                f"        read: {{connection: raw, format: csv, path: in/t{i}.csv}}",
                f"        write: {{connection: lake, format: parquet, path: bronze/t{i}.parquet}}"]
    if layer == "silver":
        step = "{function: tag_rows, params: {label: s}}" if with_function else "\"SELECT * FROM df\""
        return [f"      - name: n{i}",
                f"        read: {{connection: lake, format: parquet, path: bronze/t{i}.parquet}}",
                "        transformer: deduplicate",
                "        params: {keys: [id]}",
                f"        transform: {{steps: [\"SELECT * FROM df WHERE id IS NOT NULL\", {step}]}}",
                "        validation: {tests: [{type: not_null, columns: [id]}, {type: unique, columns: [id]}]}",
                f"        write: {{connection: lake, format: parquet, path: silver/t{i}.parquet}}"]
    j = i % silver_count
    k = j - 1 if j % NODES_PER_PIPELINE else j
    first, second = f"$silver_{j // NODES_PER_PIPELINE}.n{j}", f"$silver_{k // NODES_PER_PIPELINE}.n{k}"
    lines = [f"      - name: n{i}",
             f"        inputs: {{a: {first}, b: {second}}}",
             "        transform: {steps: [\"SELECT a.id, count(*) AS c FROM a JOIN b USING (id) GROUP BY 1\"]}",
             f"        write: {{connection: lake, format: parquet, path: gold/t{i}.parquet}}"]
    if i % NODES_PER_PIPELINE:
        lines.insert(1, f"        depends_on: [n{i - 1}]")
    return lines
