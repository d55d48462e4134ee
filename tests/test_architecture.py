"""The house rules of the code's shape, read from the source with ``ast`` (no import is executed):

- no import cycle between modules of ``app/`` and ``nlp/``, counting imports inside functions too (only
  ``if TYPE_CHECKING:`` blocks are left out: they never run, and two-way ORM relationships need them);
- the one-way seam: features never import ``app.tasks``; tasks import only ``app.queue`` and features'
  ``services``; enqueueing is the queue module's (``rq`` is imported nowhere else but the worker side);
- one way to find a use case: a feature imports only another feature's public modules (``services``,
  ``queries``, ``forms``, the package ``__init__``), and every job name enqueued is a declared task.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "nlp")
NOT_FEATURES = {"models", "tasks", "templates", "static", "translations"}
PUBLIC = {"services", "queries", "forms"}
# Modules that may speak RQ directly: the queue itself and the worker side of it.
RQ_ALLOWED = {"app.queue", "app.workers", "app.cron"}


@dataclass
class Module:
    """One source module: where it is and what it imports (with the line of each import)."""

    name: str
    path: Path
    imports: dict[str, int] = field(default_factory=dict)
    tree: ast.Module | None = None


def _module_names(root: Path) -> dict[str, Path]:
    names = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            names[".".join(parts)] = path
    return names


def _targets(module: str, path: Path, node: ast.Import | ast.ImportFrom, known: dict[str, Path]) -> list[str]:
    """The modules an import statement loads: ``from pkg import name`` is pkg.name when that is a module."""
    if isinstance(node, ast.Import):
        wanted = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
            package = package[: len(package) - node.level + 1]
            base = ".".join([*package, base] if base else package)
        wanted = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
    out = []
    for name in wanted:
        while name and name not in known:  # ``import app.x.y.z`` of a function's module, or a third party
            name = name.rpartition(".")[0]
        if name:
            out.append(name)
    return out


def _is_type_checking(node: ast.AST) -> bool:
    """``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``): imports for annotations only, never executed."""
    if not isinstance(node, ast.If):
        return False
    test = node.test
    return getattr(test, "id", None) == "TYPE_CHECKING" or getattr(test, "attr", None) == "TYPE_CHECKING"


def load_graph(root: Path = ROOT) -> dict[str, Module]:
    """Every module of app/ and nlp/ with the modules it imports anywhere (top level or in functions)."""
    known = _module_names(root)
    modules = {}
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        module = Module(name, path, tree=tree)
        typing_only = {
            id(n)
            for block in ast.walk(tree)
            if _is_type_checking(block)
            for s in block.body
            for n in ast.walk(s)
        }
        for node in ast.walk(tree):  # every import, including those inside functions and methods
            if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in typing_only:
                for target in _targets(name, path, node, known):
                    if target != name:
                        module.imports.setdefault(target, node.lineno)
        modules[name] = module
    return modules


def find_cycles(modules: dict[str, Module]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each as a readable path."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(start: str) -> None:
        work = [(start, iter(sorted(modules[start].imports)))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(modules[child].imports))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))

    for name in sorted(modules):
        if name not in index:
            visit(name)
    return found


def feature_of(name: str) -> str | None:
    """``app.accounts.routes.io`` -> ``accounts``; None outside feature packages."""
    parts = name.split(".")
    if len(parts) < 2 or parts[0] != "app" or parts[1] in NOT_FEATURES:
        return None
    return parts[1] if (ROOT / "app" / parts[1] / "__init__.py").is_file() else None


def is_private(name: str) -> bool:
    """A feature's module other than its services, queries, forms and package ``__init__``."""
    parts = name.split(".")
    return feature_of(name) is not None and len(parts) > 2 and parts[2] not in PUBLIC


def seam_violations(modules: dict[str, Module]) -> list[str]:
    """Every import that crosses the seam the wrong way, as ``module:line -> target (why)``."""
    problems = []
    for module in modules.values():
        feature = feature_of(module.name)
        in_tasks = module.name == "app.tasks" or module.name.startswith("app.tasks.")
        for target, line in sorted(module.imports.items()):
            where = f"{module.name}:{line} -> {target}"
            if target.startswith("app.tasks") and not in_tasks and module.name not in {"app", "app.cron"}:
                problems.append(f"{where} (only app/__init__ and app.cron import app.tasks; enqueue by name)")
            if feature and is_private(target) and feature_of(target) != feature:
                problems.append(f"{where} (another feature's private module: use its services or queries)")
            if in_tasks and not (
                target in {"app.queue", "app.tasks"}
                or target.startswith("app.tasks.")
                or (feature_of(target) and target.split(".")[2:3] == ["services"])
            ):
                problems.append(f"{where} (a task calls feature services and nothing else)")
    return problems


def _rq_imports(module: Module) -> list[int]:
    assert module.tree is not None
    lines = []
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "rq" for a in node.names):
            lines.append(node.lineno)
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "rq" and not node.level:
            lines.append(node.lineno)
    return lines


def _enqueued_names(module: Module) -> list[tuple[str, int]]:
    """Job names given as literals to ``queue.enqueue*`` (or a bare ``enqueue*``) in a module."""
    assert module.tree is not None
    found = []
    for node in ast.walk(module.tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        first = node.args[0]
        if called.startswith("enqueue") and isinstance(first, ast.Constant) and isinstance(first.value, str):
            found.append((first.value, node.lineno))
    return found


# --- The tests ----------------------------------------------------------------------------------------------


def test_there_is_no_import_cycle_in_app_or_nlp():
    cycles = find_cycles(load_graph())
    assert not cycles, "import cycles (imports inside functions count too):\n" + "\n".join(
        " <-> ".join(c) for c in cycles
    )


def test_features_reach_jobs_only_through_the_queue_and_each_other_only_through_public_modules():
    problems = seam_violations(load_graph())
    assert not problems, "seam violations:\n" + "\n".join(problems)


def test_no_route_module_imports_the_tasks_or_the_queue():
    """Routes never enqueue: they call a service (which enqueues after its commit)."""
    for module in load_graph().values():
        parts = module.name.split(".")
        if feature_of(module.name) and len(parts) > 2 and parts[2] == "routes":
            bad = [t for t in module.imports if t.startswith("app.tasks") or t == "app.queue"]
            assert not bad, f"{module.name} imports {bad}: call a service instead"


def test_only_the_queue_and_the_worker_speak_rq():
    offenders = {
        m.name: lines for m in load_graph().values() if m.name not in RQ_ALLOWED and (lines := _rq_imports(m))
    }
    # tagging.py names RQ's timeout exception so it never swallows it while isolating a bad comment.
    offenders.pop("app.analysis.tagging", None)
    assert not offenders, f"import rq only in {sorted(RQ_ALLOWED)}; found in {offenders}"


def test_every_enqueued_name_is_a_declared_task(app):
    from app import queue

    declared = {spec.name for spec in queue.all_tasks()}
    used = [
        (module.name, line, name)
        for module in load_graph().values()
        for name, line in _enqueued_names(module)
    ]
    assert used, "no enqueue by name found: the check reads the wrong modules"
    unknown = [f"{m}:{line} {name}" for m, line, name in used if name not in declared]
    assert not unknown, f"enqueued names without an @task: {unknown}"


def test_every_task_is_a_thin_function_of_its_area_module(app):
    from app import queue

    for spec in queue.all_tasks():
        area, _, function = spec.name.partition(".")
        assert (ROOT / "app" / "tasks" / f"{area}.py").is_file(), spec.name
        assert spec.path == f"app.tasks.{area}.{function}"
        assert spec.queue in queue.QUEUES


def test_the_checks_see_what_they_must(tmp_path):
    """The graph finds a cycle hidden in a function and a cross-feature private import (the checks bite)."""
    (tmp_path / "nlp").mkdir()
    (tmp_path / "nlp" / "__init__.py").write_text("")
    (tmp_path / "nlp" / "a.py").write_text("from nlp import b\n")
    (tmp_path / "nlp" / "b.py").write_text("def f():\n    from nlp.a import x\n")
    for feature in ("one", "two"):
        (tmp_path / "app" / feature).mkdir(parents=True)
        (tmp_path / "app" / feature / "__init__.py").write_text("")
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "one" / "services.py").write_text("from app.two.helpers import y\n")
    (tmp_path / "app" / "two" / "helpers.py").write_text("")
    graph = load_graph(tmp_path)
    assert find_cycles(graph) == [["nlp.a", "nlp.b"]]
    assert graph["app.one.services"].imports == {"app.two.helpers": 1}
    assert is_private("app.accounts.routes.io") and not is_private("app.accounts.services")
