"""Dependencies point one way (DESIGN.md, issue 15). Every .py file of the apps is parsed, and
each dependency on another package must point to its own layer or a lower one:

    roper < people < sso < policies < incidents < devices < conduct < reports, bench < transfers

- roper holds what every app shares and depends on no app (nor on bench);
- devices may read incidents (a confiscation belongs to a concern and is concealed with it),
  incidents may not read devices; reports (and the benchmark, bench/) read everything.

A dependency is an `import` (at the top or inside a function), and also what hides one in a
string: `import_module("x")`, `import_string("x.y")`, a dotted path to an app's module
("people.services.f"), `apps.get_model("app", "Model")`, a model label ("people.School",
"people.learner": a ForeignKey, a signal's sender, a table keyed by label) and a URL name
("incidents:detail"). Migrations are generated and exempt. So are the two files where Django
wants the project to name its apps: settings (INSTALLED_APPS, and which app's models roper
uses) and the root URLconf (which includes each app's urls).

Inside roper, and inside the top layer, modules import each other without a cycle."""

import ast
from pathlib import Path

import pytest
from django.apps import apps

from roper.roles import PERMISSIONS

ROOT = Path(__file__).resolve().parents[2]
LAYERS = [
    ["roper"],
    ["people"],
    ["sso"],
    ["policies"],
    ["incidents"],
    ["devices"],
    ["conduct"],
    ["reports", "bench"],
    ["transfers"],
]
LEVEL = {package: level for level, group in enumerate(LAYERS) for package in group}
#: The composition root: Django asks the project to name its apps here.
EXEMPT = {"roper/settings.py", "roper/urls.py"}
URL_NAMESPACES = {p for p in LEVEL if p != "bench"}


def _files(package: str):
    for path in sorted((ROOT / package).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def _module_exists(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _model_labels() -> dict[str, str]:
    """'people.school' -> 'people', for every model of our apps."""
    return {
        m._meta.label_lower: m._meta.app_label
        for m in apps.get_models(include_auto_created=True)
        if m._meta.app_label in LEVEL
    }


def _string_target(value: str, labels: dict[str, str]) -> str | None:
    """The package a string names, when it names one of ours in a way that is a dependency.
    A permission ("devices.desk", "reports.commentary") is roper's own vocabulary
    (roper/roles.py), whatever it happens to share a name with."""
    if value in PERMISSIONS:
        return None
    if value.lower() in labels:
        return labels[value.lower()]
    head, sep, _ = value.partition(":")
    if sep and head in URL_NAMESPACES and value.replace(":", "").replace("_", "").isalnum():
        return head
    first = value.split(".")[0]
    if first in LEVEL and "." in value and " " not in value:
        # A dotted path: a module, or a function of a module ("people.services.f").
        parent = value.rsplit(".", 1)[0]
        if _module_exists(value) or ("." in parent and _module_exists(parent)):
            return first
    return None


def dependencies(path: Path, labels: dict[str, str]):
    """(line, package, what) for every dependency of a file on one of our packages."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0], f"import {alias.name}"
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.split(".")[0], f"from {node.module} import …"
        elif isinstance(node, ast.Call):
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name == "get_model" and node.args and isinstance(node.args[0], ast.Constant):
                target = str(node.args[0].value).split(".")[0]
                yield node.lineno, target, f"get_model({node.args[0].value!r}, …)"
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            target = _string_target(node.value, labels)
            if target:
                yield node.lineno, target, repr(node.value)


def test_every_dependency_points_to_its_own_layer_or_a_lower_one():
    labels = _model_labels()
    wrong = []
    for package, level in LEVEL.items():
        for path in _files(package):
            relative = path.relative_to(ROOT).as_posix()
            if relative in EXEMPT:
                continue
            for line, target, what in dependencies(path, labels):
                if target in LEVEL and LEVEL[target] > level:
                    wrong.append(f"{relative}:{line}: {package} depends on {target} ({what})")
    assert not wrong, "Dependencies against the layers:\n" + "\n".join(wrong)


def _module_graph(packages: list[str]) -> dict[str, set[str]]:
    """The modules of `packages` -> those of their modules they import (at the top or in a
    function)."""
    graph = {}
    for path in (p for package in packages for p in _files(package)):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        graph[module] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            graph[module].update(
                n for n in names if n.split(".")[0] in packages and _module_exists(n)
            )
        graph[module].discard(module)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(node):
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


@pytest.mark.parametrize("layer", [["roper"], LAYERS[-1]], ids=["roper", "reports-bench"])
def test_the_modules_of_a_layer_import_each_other_without_a_cycle(layer):
    """Inside roper; and in the top layer, where two packages may use each other (bench seeds
    through reports' seed_volume command, and measures reports' pages)."""
    cycle = find_cycle(_module_graph(layer))
    assert cycle is None, "A cycle of imports: " + " → ".join(cycle)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from devices.models import Confiscation\n", "devices"),
        ("def f():\n    from reports import figures\n", "reports"),
        ("x = import_string('people.services.role_requests_waiting_count')\n", "people"),
        ("School = apps.get_model('people', 'School')\n", "people"),
        ("school = ForeignKey('people.School')\n", "people"),
        ("url = reverse('incidents:detail', args=[1])\n", "incidents"),
    ],
)
def test_the_checker_sees_a_dependency_however_it_is_written(tmp_path, source, expected):
    path = tmp_path / "m.py"
    path.write_text(source)
    assert expected in {target for _, target, _ in dependencies(path, _model_labels())}


def test_the_checker_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
