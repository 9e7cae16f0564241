"""Syntax check of Swift sources without a Swift compiler (none installs on Linux CI here).

Parses each file given (or each `.swift` file under each directory given) with the PyPI
`tree-sitter` + `tree-sitter-swift` grammar and fails on any ERROR or MISSING node, except the
grammar's two known false positives on code UniFFI generates (docs/toolchain.md):
`@_documentation(visibility: private)` attributes and `let writeReturn = { () }`.

With `--api GENERATED.swift`, it also checks that every `engine.method(label:` call in the other
files names a method the generated code declares with that first label (no compiler is here to
catch a renamed method or label).

Usage: python check_swift.py [--api Tenths.swift] PATH... ; prints one line per file and exits 1
on any syntax error or unknown call.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Iterator, List, Tuple

import tree_sitter_swift
from tree_sitter import Language, Node, Parser

# Lines on which the grammar reports errors in valid Swift (tree-sitter-swift 0.7.x).
KNOWN_FALSE_POSITIVES = ("@_documentation(", "let writeReturn = { () }")


def problems(node: Node) -> Iterator[Node]:
    """Every ERROR or MISSING node under `node` (not descending into an ERROR)."""
    stack = [node]
    while stack:
        n = stack.pop()
        if n.is_error or n.is_missing:
            yield n
            continue
        if n.has_error:
            stack.extend(reversed(n.children))


def check(parser: Parser, path: Path) -> Tuple[int, List[str]]:
    source = path.read_bytes()
    lines = source.decode("utf-8").splitlines()
    tree = parser.parse(source)
    found: List[str] = []
    ignored = 0
    for n in problems(tree.root_node):
        first, last = n.start_point[0], n.end_point[0]
        span = lines[first : last + 1] or [""]
        # Only a one-line ERROR on such a line is forgiven, so a real error nearby still fails.
        if n.is_error and first == last and any(marker in span[0] for marker in KNOWN_FALSE_POSITIVES):
            ignored += 1
            continue
        kind = "missing " + n.type if n.is_missing else "syntax error"
        found.append(f"{path}:{first + 1}:{n.start_point[1] + 1}: {kind}: {span[0].strip()[:120]}")
    return ignored, found


CALL = re.compile(r"\bengine\.(\w+)\((\w+:|\))")


def unknown_calls(generated: str, path: Path) -> List[str]:
    """`engine.name(label:` calls whose method (with that first label) the generated code lacks."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        for name, label in CALL.findall(line):
            want = f"func {name}({label}" if label != ")" else f"func {name}()"
            if want not in generated:
                out.append(f"{path}:{n}: engine.{name}({label} is not declared by the generated Swift")
    return out


def main(argv: List[str]) -> int:
    api = None
    if len(argv) >= 2 and argv[0] == "--api":
        api = Path(argv[1]).read_text(encoding="utf-8")
        argv = argv[2:]
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    parser = Parser(Language(tree_sitter_swift.language()))
    files: List[Path] = []
    for arg in argv:
        p = Path(arg)
        files.extend(sorted(p.rglob("*.swift")) if p.is_dir() else [p])
    if not files:
        print("no Swift files found", file=sys.stderr)
        return 1
    failed = 0
    for f in files:
        ignored, found = check(parser, f)
        if api is not None and f.name != "Tenths.swift":
            found += unknown_calls(api, f)
        lines = len(f.read_text(encoding="utf-8").splitlines())
        status = "ok" if not found else f"{len(found)} problem(s)"
        print(f"swift parse: {f} ({lines} lines): {status} ({ignored} known false positives ignored)")
        for line in found[:50]:
            print("  " + line)
        failed += bool(found)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
