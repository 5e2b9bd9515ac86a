#!/usr/bin/env python3
"""Rewrite references to the modules issue 21 moved (drs_conformance/X.py -> drs_conformance/<layer>/Y.py), in place.

Usage:
    python3 /work/coord/remap_imports.py [--map restructure-map.json] [--check] PATH [PATH ...]

PATH is a file or a directory (walked for .py .md .toml .ini .cfg .txt .yaml .yml .json and extension-less
scripts such as .ci/run; .git, .venv, *.egg-info, reports/ and node_modules are skipped). What it rewrites:
- `from drs_conformance import X, Y as Z` (also parenthesised over several lines, also `from
  drs_conformance.sandbox import cli_sandbox`): split into one statement per new parent package; a module
  whose leaf name changed keeps its local name (`from drs_conformance.plugin import hooks as plugin`);
- every dotted name `drs_conformance.X[.attr]` anywhere in the text: `import drs_conformance.X`,
  `from drs_conformance.X import ...`, strings such as plugin names (`-p drs_conformance.plugin`),
  monkeypatch targets, `python -m drs_conformance.X`, entry points (`drs_conformance.cli:main`);
- file paths: `drs_conformance/X.py`, `drs_conformance/requirements.yaml`, the moved tests
  (`tests/kit/test_kit_putback.py`), and the directories that moved whole (`tests/spec`, `tests/model`);
- relative imports of a moved module from a file at the package root are reported (none exist on 19dda13).
It is idempotent: a new name never matches an old one (old names that became packages, plugin, selftest and
cli, are left alone when followed by one of their new submodules). After it, run `ruff check --fix --select I .`
and `ruff format .` to sort the rewritten imports. Exit status: 0; with --check, 1 if any file would change.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOP = "drs_conformance"
SUFFIXES = {".py", ".md", ".toml", ".ini", ".cfg", ".txt", ".yaml", ".yml", ".json", ".rst", ".html"}
SKIP_DIRS = {".git", ".venv", ".ci-venv", "node_modules", "reports", "__pycache__"}


def load(path: Path) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return data["modules"], data["files"], data.get("directories", {})


def _new_submodules(modules: dict[str, str]) -> dict[str, set[str]]:
    """For each new package, the names of its new submodules (to tell `plugin.hooks` from the old `plugin`)."""
    subs: dict[str, set[str]] = {}
    for new in modules.values():
        parent, leaf = new.rsplit(".", 1)
        subs.setdefault(parent, set()).add(leaf)
    return subs


FROM_IMPORT = re.compile(
    r"^(?P<indent>[ \t]*)from[ \t]+(?P<pkg>[\w.]+)[ \t]+import[ \t]+"
    r"(?:\((?P<paren>[^)]*)\)|(?P<plain>[^\n#]*?(?:\\\n[^\n#]*?)*))(?P<tail>[ \t]*(?:#[^\n]*)?)$",
    re.MULTILINE,
)


def rewrite_from_imports(text: str, modules: dict[str, str]) -> str:
    """`from PKG import a, b`: names that are moved modules go to their new parent, one statement per parent."""
    parents = {old.rsplit(".", 1)[0] for old in modules}

    def replace(match: re.Match[str]) -> str:
        pkg = match["pkg"]
        if pkg not in parents:
            return match[0]
        raw = match["paren"] if match["paren"] is not None else match["plain"].replace("\\\n", " ")
        if "#" in raw:  # a comment inside the list: leave it to a person
            print(f"warning: comment inside an import list left as is: {match[0]!r}", file=sys.stderr)
            return match[0]
        names = [part.strip() for part in raw.replace("\n", " ").split(",") if part.strip()]
        groups: dict[str, list[str]] = {}
        changed = False
        for name in names:
            bits = name.split()
            original, alias = bits[0], (bits[2] if len(bits) == 3 and bits[1] == "as" else None)
            new = modules.get(f"{pkg}.{original}")
            if new is None:
                groups.setdefault(pkg, []).append(name)
                continue
            changed = True
            parent, leaf = new.rsplit(".", 1)
            local = alias or original
            groups.setdefault(parent, []).append(leaf if leaf == local else f"{leaf} as {local}")
        if not changed:
            return match[0]
        indent = match["indent"]
        lines = [f"{indent}from {parent} import {', '.join(items)}" for parent, items in groups.items()]
        lines[0] += match["tail"] or ""
        return "\n".join(lines)

    return FROM_IMPORT.sub(replace, text)


def rewrite_dotted(text: str, modules: dict[str, str]) -> str:
    """Every dotted name of a moved module, longest first, unless it already names a new submodule."""
    subs = _new_submodules(modules)
    for old in sorted(modules, key=len, reverse=True):
        guard = ""
        if old in subs:  # the old module's name is now a package: `plugin.hooks` and `from plugin import hooks` stay
            alternatives = "|".join(sorted(subs[old]))
            guard = rf"(?!\.(?:{alternatives})\b)(?![ \t]+import[ \t]+\(?\s*(?:{alternatives})\b)"
        pattern = re.compile(rf"(?<![\w.]){re.escape(old)}(?!\w){guard}")
        text = pattern.sub(modules[old], text)
    return text


def rewrite_paths(text: str, files: dict[str, str], directories: dict[str, str]) -> str:
    """File paths of moved files (and whole moved directories not followed by a file name)."""
    for old in sorted(files, key=len, reverse=True):
        text = re.sub(rf"(?<![\w/.-]){re.escape(old)}(?![\w])", files[old], text)
    for old, new in directories.items():
        text = re.sub(rf"(?<![\w/.-]){re.escape(old)}(?![\w/-])", new, text)
    return text


RELATIVE = re.compile(r"^[ \t]*from[ \t]+\.+(\w*)[ \t]+import", re.MULTILINE)


def warn_relative(path: Path, text: str, modules: dict[str, str]) -> None:
    """Relative imports of a moved module from the package root: they would break; say so."""
    if path.suffix != ".py" or path.parent.name != TOP:
        return
    for match in RELATIVE.finditer(text):
        if f"{TOP}.{match[1]}" in modules:
            print(f"warning: {path}: relative import of a moved module: {match[0].strip()!r}", file=sys.stderr)


def rewrite(text: str, modules: dict[str, str], files: dict[str, str], directories: dict[str, str]) -> str:
    text = rewrite_from_imports(text, modules)
    text = rewrite_dotted(text, modules)
    return rewrite_paths(text, files, directories)


def walk(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    seen: set[Path] = set()
    for path in paths:
        if path.is_file():
            if path.resolve() not in seen:
                seen.add(path.resolve())
                found.append(path)
            continue
        for child in sorted(path.rglob("*")):
            parts = set(child.relative_to(path).parts)
            if parts & SKIP_DIRS or any(part.endswith(".egg-info") for part in parts) or not child.is_file():
                continue
            if child.is_symlink():
                continue
            if child.resolve() in seen:  # a file seen through a symbolic link (strategies/, suites/)
                continue
            if child.suffix in SUFFIXES or (child.suffix == "" and child.parent.name == ".ci"):
                seen.add(child.resolve())
                found.append(child)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--map", type=Path, default=HERE / "restructure-map.json")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file would change")
    parser.add_argument("paths", nargs="+", type=Path)
    args = parser.parse_args(argv)
    modules, files, directories = load(args.map)
    changed = []
    for path in walk(args.paths):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        warn_relative(path, text, modules)
        new = rewrite(text, modules, files, directories)
        if new != text:
            changed.append(path)
            if not args.check:
                path.write_text(new, encoding="utf-8")
    for path in changed:
        print(f"{'would rewrite' if args.check else 'rewrote'} {path}")
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
