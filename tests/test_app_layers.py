"""The apps depend one way: each imports only the apps below it (memesite/settings.py's INSTALLED_APPS, bottom to
top). A lower app tells a higher one something by a signal it owns (generator.signals.meme_made)."""

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)

# Bottom to top; apps on one floor do not import each other.
FLOORS = [
    ["ml"],  # the models, plain torch and gensim: no Django
    ["memesite"],  # the platform: settings, storage, parsers, live sends, image checks
    ["accounts", "memes"],  # the ground floor: users, templates with their boxes, memes with their tallies
    ["expressions"],  # reading faces, and learning from corrections
    ["captions"],  # the caption corpus, the model's versions, writing captions, the learning loop
    ["generator"],  # making memes: jobs, queueing, rendering, title and photo mode
    ["gallery"],  # votes, rankings, moderation, live counts, user pages
]
# The project's roof: what wires every app together may import any of them.
ROOF = {"memesite.urls", "memesite.routing", "memesite.asgi", "memesite.outages"}


def floor_of(package: str) -> int | None:
    return next((number for number, floor in enumerate(FLOORS) if package in floor), None)


def imported(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every absolute import in a file, those inside functions included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def upward_imports(root: Path) -> list[str]:
    """Each import of an app on the same floor or above, as 'file:line imports module'."""
    wrong = []
    for floor, packages in enumerate(FLOORS):
        for package in packages:
            for path in sorted((root / package).rglob("*.py")):
                module = ".".join(path.relative_to(root).with_suffix("").parts)
                if module in ROOF:
                    continue
                for line, name in imported(path):
                    target = name.split(".")[0]
                    target_floor = floor_of(target)
                    if target != package and target_floor is not None and target_floor >= floor:
                        wrong.append(f"{path.relative_to(root)}:{line} imports {name}")
    return wrong


def test_every_app_is_on_a_floor():
    apps = {name for name in settings.INSTALLED_APPS if (ROOT / name).is_dir()}
    assert apps == {package for floor in FLOORS for package in floor} - {"ml"}


def test_the_floors_are_in_installed_apps_order():
    order = [name for name in settings.INSTALLED_APPS if floor_of(name) is not None]
    assert [floor_of(name) for name in order] == sorted(floor_of(name) for name in order)


def test_no_app_imports_an_app_on_its_floor_or_above():
    assert upward_imports(ROOT) == []


def test_the_check_finds_an_app_that_imports_one_above_it(tmp_path):
    for package in {package for floor in FLOORS for package in floor}:
        (tmp_path / package).mkdir()
    (tmp_path / "memes" / "models.py").write_text("import os\nfrom gallery.services import vote_cast\n")
    (tmp_path / "gallery" / "views.py").write_text("from memes.models import Meme\n")  # downward: fine
    (tmp_path / "captions" / "tasks.py").write_text("def later():\n    from generator import services\n")
    (tmp_path / "accounts" / "views.py").write_text("import memes.selectors\n")  # the same floor
    assert upward_imports(tmp_path) == [
        "accounts/views.py:1 imports memes.selectors",
        "memes/models.py:2 imports gallery.services",
        "captions/tasks.py:2 imports generator",
    ]
