"""Every distribution a bundle carries is named, with a licence that fits an MIT app, in About
and in packaging/README.md. Walks the dependency tree the way pip installed it here."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from coursegen_desktop.gui.about import COMPONENTS

ROOT = Path(__file__).resolve().parents[2]


def _applies(requirement: Requirement) -> bool:
    return requirement.marker is None or requirement.marker.evaluate({"extra": ""})


def bundled_distributions() -> set[str]:
    """pyproject's runtime dependencies and, through the installed metadata, everything they need."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pending = [Requirement(line) for line in declared]
    found: set[str] = set()
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        if name in found or not _applies(requirement):
            continue
        found.add(name)
        try:
            requires = metadata.distribution(requirement.name).requires or []
        except metadata.PackageNotFoundError:
            continue  # not installed here; it is still declared, so it must still be listed
        pending.extend(Requirement(line) for line in requires)
    return found


def fits_mit_app(licence: str) -> bool:
    """Permissive, or LGPL (possibly offered alongside GPL); never GPL or AGPL alone."""
    if "AGPL" in licence.upper():
        return False
    return "GPL" not in licence.upper() or "LGPL" in licence.upper()


def test_every_bundled_distribution_is_listed_with_a_licence_that_fits() -> None:
    listed = {canonicalize_name(name): licence for name, _, licence in COMPONENTS}
    missing = bundled_distributions() - set(listed)
    assert not missing, f"bundled but not in gui/about.py COMPONENTS: {sorted(missing)}"
    unfit = {name: licence for name, licence in listed.items() if not fits_mit_app(licence)}
    assert not unfit, f"licences that do not fit an MIT app: {unfit}"


def test_packaging_readme_lists_the_same_components() -> None:
    readme = (ROOT / "packaging" / "README.md").read_text()
    rows = {canonicalize_name(name): licence.strip() for name, licence in re.findall(r"^\| ([^|]+?) \| [^|]+ \| ([^|]+) \|$", readme, re.M)}
    for name, _, licence in COMPONENTS:
        assert rows.get(canonicalize_name(name)) == licence, f"{name} ({licence}) is not listed in packaging/README.md"


def test_no_code_imports_ebooklib() -> None:
    """EPUB is written with the standard library; EbookLib is AGPL-3.0."""
    sources = [path for path in (ROOT / "coursegen_desktop").rglob("*.py")]
    assert sources
    assert not [path for path in sources if re.search(r"^\s*(from|import)\s+ebooklib", path.read_text(), re.M)]
