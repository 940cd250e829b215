"""Who owns what, checked on the source: one writer per collection, declared in
``zenith.contracts``; services never import each other; no import circle."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import zenith.contracts as contracts
from zenith.contracts import COLLECTIONS
from zenith.contracts.services import service_names

ROOT = Path(__file__).resolve().parents[3]
STORE_METHODS = {"insert", "put", "get", "find", "find_one", "count", "update", "update_many",
                 "delete", "ensure_index"}
STORE_NAMES = {"store", "meta", "metadata"}  # how the code names a MetadataStore
BLOB_ROOTS = ("frames/", "thumbs/", "products/", "work/")


def is_store(node: ast.expr) -> bool:
    """``store.find(...)``, ``self.meta.find(...)``: a MetadataStore call."""
    if isinstance(node, ast.Name):
        return node.id in STORE_NAMES
    return (isinstance(node, ast.Attribute) and node.attr in STORE_NAMES
            and isinstance(node.value, ast.Name) and node.value.id == "self")


def packages() -> dict[str, Path]:
    """Top-level package name -> its folder, for the library and each service."""
    found = {"zenith": ROOT / "libs" / "src" / "zenith"}
    for src in sorted((ROOT / "services").glob("*/src/zenith_*")):
        found[src.name] = src
    return found


def modules() -> Iterator[tuple[str, Path]]:
    for folder in packages().values():
        for path in sorted(folder.rglob("*.py")):
            rel = path.relative_to(folder.parent).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts.pop()
            yield ".".join(parts), path


def imports(module: str, path: Path) -> Iterator[str]:
    """Modules imported at any level of ``path`` (relative imports resolved)."""
    tree = ast.parse(path.read_text(), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def test_no_service_imports_another_and_libs_import_none():
    services = {name for name in packages() if name != "zenith"}
    for module, path in modules():
        top = module.split(".")[0]
        for name in imports(module, path):
            target = name.split(".")[0]
            if target in services and target != top:
                raise AssertionError(f"{module} imports {name}: services talk over NATS only")


def test_no_import_circle():
    known = {module for module, _ in modules()}
    graph: dict[str, set[str]] = {}
    for module, path in modules():
        graph[module] = set()
        for name in imports(module, path):
            while name and name not in known:  # "a.b.Class" -> "a.b"
                name = name.rpartition(".")[0]
            if name and name != module:
                graph[module].add(name)
    # a package imports its own submodules by design; a cycle through __init__ is fine
    for module in graph:
        graph[module] = {m for m in graph[module] if not module.startswith(m + ".")}

    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                circle = [*stack[stack.index(nxt):], nxt]
                raise AssertionError("import circle: " + " -> ".join(circle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)


def test_no_collection_name_or_blob_prefix_literal_outside_the_contracts():
    contracts_dir = ROOT / "libs" / "src" / "zenith" / "contracts"
    problems = []
    for module, path in modules():
        if contracts_dir in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in STORE_METHODS and is_store(node.func.value)
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)):
                problems.append(f"{module}:{node.lineno}: collection {node.args[0].value!r}")
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and node.value.startswith(BLOB_ROOTS):
                problems.append(f"{module}:{node.lineno}: blob key {node.value!r}")
            if isinstance(node, ast.JoinedStr) and node.values \
                    and isinstance(node.values[0], ast.Constant) \
                    and str(node.values[0].value).startswith(BLOB_ROOTS):
                problems.append(f"{module}:{node.lineno}: blob key f-string")
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) \
                    and node.value.value in COLLECTIONS \
                    and any(isinstance(t, ast.Name) and ("COLLECTION" in t.id or "INDEX" in t.id)
                            for t in node.targets):
                problems.append(f"{module}:{node.lineno}: collection name "
                                f"{node.value.value!r} assigned")
    assert not problems, "\n".join(problems)


def test_every_collection_has_one_declared_owner():
    assert contracts.COLLECTIONS is COLLECTIONS
    owners = set(service_names())
    for name, collection in COLLECTIONS.items():
        assert collection.owner in owners, f"{name}: owner {collection.owner} is not a service"
        assert collection.document.model_fields, name


def test_the_architecture_note_names_every_collection_stream_and_bucket():
    from zenith.contracts.streams import BUCKETS, STREAMS

    text = (ROOT / "docs" / "architecture.md").read_text()
    names = [*COLLECTIONS, *(s.name for s in STREAMS), *(b.name for b in BUCKETS),
             *service_names()]
    missing = [n for n in names if f"`{n}`" not in text]
    assert not missing, f"docs/architecture.md does not say who owns {missing}"
