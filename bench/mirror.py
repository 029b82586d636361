"""How far the tests mirror the modules: the share of source modules with a test module of
the same name beside its path (``src/modelplane/store/unit_of_work.py`` ->
``tests/store/test_unit_of_work.py``).

    uv run python -m bench.mirror            # the share, and the modules without one
    uv run python -m bench.mirror --at REV   # the same for a commit (git ls-tree)

Package ``__init__.py`` files and Alembic revisions are not counted: they are wiring and
data, tested through what they register.
"""

from __future__ import annotations

import argparse
import subprocess
from collections.abc import Iterable
from pathlib import PurePosixPath

SOURCE = PurePosixPath("src/modelplane")


def counted(paths: Iterable[str]) -> list[PurePosixPath]:
    """The source modules that should have a mirroring test module."""
    modules = []
    for raw in paths:
        path = PurePosixPath(raw)
        if path.suffix != ".py" or not path.is_relative_to(SOURCE):
            continue
        if path.name == "__init__.py" or "migrations" in path.parts:
            continue
        modules.append(path)
    return sorted(modules)


def mirror_of(module: PurePosixPath) -> PurePosixPath:
    """``src/modelplane/a/b.py`` -> ``tests/a/test_b.py``."""
    inner = module.relative_to(SOURCE)
    return PurePosixPath("tests", *inner.parts[:-1], f"test_{inner.name}")


def files(at: str | None) -> set[str]:
    if at is None:
        command = ["git", "ls-files", "--cached", "--others", "--exclude-standard"]
    else:
        command = ["git", "ls-tree", "-r", "--name-only", at]
    listed = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return set(listed.split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--at", help="a commit to measure instead of the working tree")
    parser.add_argument("--quiet", action="store_true", help="only the share")
    args = parser.parse_args()
    present = files(args.at)
    modules = counted(present)
    missing = [m for m in modules if str(mirror_of(m)) not in present]
    mirrored = len(modules) - len(missing)
    share = mirrored / len(modules) if modules else 0.0
    print(f"{mirrored} of {len(modules)} modules have a same-name test module ({share:.0%})")
    if not args.quiet:
        for module in missing:
            print(f"  no {mirror_of(module)}  for {module.relative_to(SOURCE)}")


if __name__ == "__main__":
    main()
