"""Write what this library pins of crhelper, which it bundles (``make pins``).

- ``constructs/cdk_workspace_image/_crhelper_pins.py``: the sha256 of each
  crhelper module, as the RECORD of the installed wheel states it. `make
  install` installs that wheel with ``--require-hashes`` from
  requirements-dev.lock, and this script checks each file's bytes against
  the RECORD before writing.
- ``lambda/workspace_image/requirements.txt``: crhelper with the lock's
  hashes, for bundling in Docker (``pip install --require-hashes``).

tests/constructs/test_asset.py fails when either file is not what this
writes, so raising crhelper's pin (pyproject.toml, requirements-dev.in, then
``make upgrade``) takes ``make pins`` too.

Usage: python -m tools.pins
"""

from __future__ import annotations

import importlib.metadata
import re
import sys
from pathlib import Path

from cdk_workspace_image._asset import record_digest

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements-dev.lock"
PINS = ROOT / "constructs" / "cdk_workspace_image" / "_crhelper_pins.py"
REQUIREMENTS = ROOT / "lambda" / "workspace_image" / "requirements.txt"
PACKAGE = "crhelper"


def locked(lock_text: str) -> tuple[str, list[str]]:
    """crhelper's version and hashes in requirements-dev.lock."""
    match = re.search(rf"^{PACKAGE}==(\S+)((?: \\\n\s+--hash=sha256:[0-9a-f]+)+)", lock_text, re.M)
    if match is None:
        raise SystemExit(f"{LOCK.name} pins no {PACKAGE}")
    return match.group(1), re.findall(r"--hash=(sha256:[0-9a-f]+)", match.group(2))


def installed_modules() -> tuple[str, dict[str, str]]:
    """The installed crhelper's version and its modules' RECORD hashes, bytes checked."""
    dist = importlib.metadata.distribution(PACKAGE)
    modules = {}
    for file in dist.files or []:
        name = file.as_posix()
        if not (name.startswith(f"{PACKAGE}/") and name.endswith(".py")):
            continue
        if file.hash is None:
            raise SystemExit(f"the installed {PACKAGE}'s RECORD has no hash for {name}")
        recorded = f"{file.hash.mode}={file.hash.value}"
        if record_digest(file.locate().read_bytes()) != recorded:
            raise SystemExit(f"the installed {name} differs from its RECORD: run make install")
        modules[name] = recorded
    return dist.version, dict(sorted(modules.items()))


def pins_text(version: str, modules: dict[str, str]) -> str:
    lines = "".join(f'    "{name}": "{digest}",\n' for name, digest in modules.items())
    return (
        '"""crhelper as this library bundles it: written by ``make pins`` (tools/pins.py); '
        "do not edit.\n\n"
        "Each module's sha256 as the RECORD of the crhelper wheel that "
        "requirements-dev.lock\npins states it. Bundling copies these files and nothing else, "
        "and refuses a\ncrhelper whose bytes differ.\n"
        '"""\n\n'
        f'VERSION = "{version}"\n'
        f"MODULES = {{\n{lines}}}\n"
    )


def requirements_text(version: str, hashes: list[str]) -> str:
    pinned = "".join(f" \\\n    --hash={value}" for value in hashes)
    return (
        "# crhelper for bundling in Docker (`pip install --require-hashes`): the hashes\n"
        "# of requirements-dev.lock. Written by `make pins` (tools/pins.py); do not edit.\n"
        f"{PACKAGE}=={version}{pinned}\n"
    )


def expected() -> dict[Path, str]:
    """What each pinned file must hold, from the lock and the installed crhelper."""
    lock_version, hashes = locked(LOCK.read_text())
    version, modules = installed_modules()
    if version != lock_version:
        raise SystemExit(f"{PACKAGE} {version} is installed, the lock pins {lock_version}")
    return {PINS: pins_text(version, modules), REQUIREMENTS: requirements_text(version, hashes)}


def main() -> int:
    for path, text in expected().items():
        path.write_text(text)
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
