"""How much of Odibi's own corpus validates here: every project YAML file (a top-level ``project:`` and
``pipelines:``) and every whole-project ```yaml block of the Markdown under ``examples/`` and ``docs/`` of a
local Odibi checkout, each validated in a temporary copy of its folder.

    git --git-dir=<mirror> archive HEAD | tar -x -C /tmp/odibi
    python -m benchmarks.odibi_corpus /tmp/odibi [--list]

Prints the counts, the rejection reasons grouped by kind (how many projects each stops first, and how many
it appears in at all), and (``--list``) every
project with its verdict. Nothing of Odibi is copied into this repository.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOTS = ("examples", "docs")
FENCE = re.compile(r"^```ya?ml[^\n]*\n(.*?)^```", re.S | re.M)
QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`")


@dataclass(frozen=True)
class Candidate:
    """One project: a YAML file, or the n-th ```yaml block of a Markdown page."""

    source: Path
    text: str
    block: int | None = None

    def label(self, root: Path) -> str:
        where = self.source.relative_to(root).as_posix()
        return where if self.block is None else f"{where}#block{self.block}"


def is_project(text: str) -> bool:
    """A YAML document whose top level has both ``project`` and ``pipelines``."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return False
    return isinstance(data, dict) and "project" in data and "pipelines" in data


def candidates(root: Path) -> list[Candidate]:
    found = []
    for top in ROOTS:
        for path in sorted((root / top).rglob("*")):
            if not path.is_file():
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            if path.suffix in (".yaml", ".yml") and is_project(text):
                found.append(Candidate(path, text))
            elif path.suffix == ".md":
                blocks = [b for b in FENCE.findall(text) if is_project(b)]
                found.extend(Candidate(path, b, i) for i, b in enumerate(blocks, 1))
    return found


def validate(candidate: Candidate, work: Path) -> list[str]:
    """The project's errors as ``path: message`` (empty when it validates)."""
    from odibi_provider.errors import OdibiError
    from odibi_provider.plan.cache import check_project

    folder = work / f"p{abs(hash(candidate.label(Path('/'))))}"
    source_dir = candidate.source.parent
    shutil.copytree(source_dir, folder, ignore=shutil.ignore_patterns("*.md", "*.png", "*.jpg", "*.gif",
                                                                      "*.ipynb", "*.svg"))
    project = folder / (candidate.source.name if candidate.block is None else "odibi_block.yaml")
    project.write_text(candidate.text, encoding="utf-8")
    try:
        check_project(project)
    except OdibiError as exc:
        problems = [p for p in getattr(exc, "problems", ()) if p.severity == "error"]
        return [f"{p.path}: {p.message}" for p in problems] or [str(exc).splitlines()[0]]
    except Exception as exc:  # noqa: BLE001 (a crash is a finding, reported like a rejection)
        return [f"crash: {type(exc).__name__}: {exc}"]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return []


def reason_kind(message: str) -> str:
    """Group ``path: message``: the path's last key, the message with quoted names elided but the first
    kept (the key or name at fault), numbers dropped."""
    path, _, text = message.partition(": ")
    key = re.sub(r"\[\d+\]", "", path).rsplit(".", 1)[-1]
    first = QUOTED.search(text)
    shape = re.sub(r"\d+", "N", QUOTED.sub("…", text.split(";")[0]))
    return f"{key}: {shape}" + (f" [{first.group(0)}]" if first else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("odibi_checkout", type=Path)
    parser.add_argument("--list", action="store_true", help="print every project with its verdict")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    root: Path = args.odibi_checkout.resolve()
    found = candidates(root)
    verdicts: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="odibi-corpus-") as tmp:
        for candidate in found:
            verdicts[candidate.label(root)] = validate(candidate, Path(tmp))
    files = [c for c in found if c.block is None]
    valid = [label for label, errors in verdicts.items() if not errors]
    print(f"projects: {len(found)} ({len(files)} YAML files, {len(found) - len(files)} Markdown blocks)")
    print(f"validate clean: {len(valid)}   rejected: {len(found) - len(valid)}")
    print(f"  YAML files clean: {sum(1 for c in files if not verdicts[c.label(root)])} of {len(files)}")
    first = Counter(reason_kind(errors[0]) for errors in verdicts.values() if errors)
    anywhere = Counter(kind for errors in verdicts.values() for kind in {reason_kind(e) for e in errors})
    print(f"\nrejection reasons by kind (top {args.top}): projects where it is the first error / an error")
    for kind, count in anywhere.most_common(args.top):
        print(f"{first[kind]:5d} {count:5d}  {kind}")
    if args.list:
        print()
        for label, errors in sorted(verdicts.items()):
            print(f"{'NO ' if errors else 'ok '} {label}{'  ' + errors[0] if errors else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
