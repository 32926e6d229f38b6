"""scripts/typecheck.py, the mypy step of scripts/test: it checks a package spread over folders under its
import names, fails on a type error, and names the file a person edits."""

from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("typecheck", ROOT / "scripts" / "typecheck.py")
assert spec is not None and spec.loader is not None
typecheck = importlib.util.module_from_spec(spec)
spec.loader.exec_module(typecheck)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """wowcard's layout in small: the package `shop` in app/, its subpackage `shop.store` in store/, imported
    relatively across the two folders, and the same [tool.mypy] settings."""
    write(
        tmp_path / "pyproject.toml",
        """
        [tool.setuptools]
        package-dir = { "shop" = "app", "shop.store" = "store" }

        [tool.mypy]
        python_version = "3.11"
        mypy_path = ".mypy_cache/tree"
        packages = ["shop"]
        cache_dir = ".mypy_cache"
        """,
    )
    write(tmp_path / "app" / "__init__.py", "")
    write(tmp_path / "app" / "sell.py", "from .store.stock import count\n\nLEFT: int = count()\n")
    write(tmp_path / "store" / "__init__.py", "")
    write(tmp_path / "store" / "stock.py", "def count() -> int:\n    return 3\n")
    return tmp_path


def test_a_package_spread_over_folders_is_clean(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert typecheck.main([], root=project) == 0
    assert "Success: no issues found in 4 source files" in capsys.readouterr().out


def test_a_type_error_fails_and_is_named_by_the_folder_path(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(project / "store" / "stock.py", 'def count() -> int:\n    return "three"\n')

    assert typecheck.main([], root=project) == 1
    out = capsys.readouterr().out
    assert 'store/stock.py:2: error: Incompatible return value type (got "str", expected "int")' in out
    assert ".mypy_cache" not in out


def test_every_module_of_wowcard_is_in_the_tree_under_its_import_name(tmp_path: Path) -> None:
    """Nothing under cli/ or collector/ escapes the check: each .py file is reachable at its import path."""
    packages = typecheck.package_dirs(ROOT)
    typecheck.link_tree(tmp_path, {name: str(ROOT / folder) for name, folder in packages.items()})
    tree = tmp_path / typecheck.TREE
    for name, folder in packages.items():
        for source in (ROOT / folder).rglob("*.py"):
            linked = tree / name.replace(".", "/") / source.relative_to(ROOT / folder)
            assert linked.resolve() == source.resolve(), f"{source} is not {linked}"
