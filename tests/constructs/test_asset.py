"""The provider function's asset: what it holds, its hash, and the crhelper it accepts."""

from __future__ import annotations

import importlib.util
import shutil
from importlib.machinery import ModuleSpec
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from cdk_workspace_image import WorkspaceImage, _asset, _crhelper_pins
from tools import pins

MODEL = "models/workspaces/2015-04-08/service-2.json"


@pytest.fixture
def crhelper_copy(tmp_path: Path) -> Path:
    """A copy of the installed crhelper's package, in a folder of its own."""
    root = tmp_path / "site"
    shutil.copytree(_asset.installed_crhelper() / "crhelper", root / "crhelper")
    return root


@pytest.fixture
def runtime_copy(tmp_path: Path) -> Path:
    """A copy of the handler's folder: its modules and the shipped model."""
    copy = tmp_path / "runtime"
    shutil.copytree(_asset.RUNTIME_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def tamper(path: Path) -> None:
    path.write_bytes(path.read_bytes() + b"\n# one more line\n")


def crhelper_found_at(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    """Make ``crhelper`` importable from ``root`` as far as bundling looks for it."""
    real_find_spec = importlib.util.find_spec
    package = root / "crhelper"

    def find_spec(name: str, *args: Any) -> ModuleSpec | None:
        if name == "crhelper":
            return importlib.util.spec_from_file_location(
                name, package / "__init__.py", submodule_search_locations=[str(package)]
            )
        return real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


def synth_one_image(outdir: Path) -> cdk.Stack:
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, "AssetStack")
    WorkspaceImage(stack, "Golden", workspace_id="ws-abcdef123", image_name="golden")
    app.synth()
    return stack


# --- crhelper -----------------------------------------------------------------------


def test_the_pinned_crhelper_files_are_what_the_lock_and_its_wheel_say() -> None:
    # Raising crhelper's pin takes `make pins`, which rewrites both files.
    for path, text in pins.expected().items():
        assert path.read_text() == text, f"run `make pins` ({path.name})"


def test_the_installed_crhelper_is_accepted(crhelper_copy: Path) -> None:
    files = _asset.crhelper_files(crhelper_copy)

    assert sorted(files) == sorted(_crhelper_pins.MODULES)


def test_a_tampered_crhelper_is_refused_with_the_file_and_the_fix(crhelper_copy: Path) -> None:
    tamper(crhelper_copy / "crhelper" / "utils.py")

    with pytest.raises(_asset.CrhelperMismatch) as refused:
        _asset.crhelper_files(crhelper_copy)

    message = str(refused.value)
    assert "crhelper/utils.py differs" in message
    assert f"is not the crhelper {_crhelper_pins.VERSION}" in message
    assert f"pip install --force-reinstall --no-deps crhelper=={_crhelper_pins.VERSION}" in message


def test_a_crhelper_without_one_of_its_modules_is_refused(crhelper_copy: Path) -> None:
    (crhelper_copy / "crhelper" / "log_helper.py").unlink()

    with pytest.raises(_asset.CrhelperMismatch, match=r"crhelper/log_helper\.py is missing"):
        _asset.crhelper_files(crhelper_copy)


def test_a_synth_with_a_tampered_crhelper_fails_before_anything_is_bundled(
    crhelper_copy: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # GIVEN the crhelper that Python would import has one changed byte
    tamper(crhelper_copy / "crhelper" / "resource_helper.py")
    crhelper_found_at(monkeypatch, crhelper_copy)

    # WHEN a stack with an image is synthesized THEN it fails, naming the file
    with pytest.raises(Exception, match=r"crhelper/resource_helper\.py differs"):
        synth_one_image(tmp_path / "cdk.out")
    # AND nothing was staged
    assert not list((tmp_path / "cdk.out").glob("asset.*"))


def test_extra_files_beside_crhelper_stay_out_of_the_asset(
    crhelper_copy: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (crhelper_copy / "crhelper" / "sitecustomize.py").write_text("print('hello')\n")
    crhelper_found_at(monkeypatch, crhelper_copy)

    synth_one_image(tmp_path / "cdk.out")

    (staged,) = (tmp_path / "cdk.out").glob("asset.*")
    assert sorted(p.name for p in (staged / "crhelper").iterdir()) == sorted(
        Path(name).name for name in _crhelper_pins.MODULES
    )


# --- the hash -----------------------------------------------------------------------


def test_the_staged_asset_holds_exactly_the_hashed_files(tmp_path: Path) -> None:
    synth_one_image(tmp_path / "cdk.out")

    (staged,) = (tmp_path / "cdk.out").glob("asset.*")
    files = _asset.asset_files()
    held = {p.relative_to(staged).as_posix() for p in staged.rglob("*") if p.is_file()}
    assert held == set(files)
    assert MODEL in held


@pytest.mark.parametrize("name", ["index.py", MODEL])
def test_the_hash_changes_when_a_byte_of_the_handler_or_its_model_changes(
    runtime_copy: Path, name: str
) -> None:
    before = _asset.asset_hash(_asset.asset_files(runtime_copy))

    tamper(runtime_copy / name)

    assert _asset.asset_hash(_asset.asset_files(runtime_copy)) != before


def test_the_hash_covers_crhelpers_bytes_not_only_its_version(
    crhelper_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _asset.asset_hash(_asset.asset_files(crhelper_root=crhelper_copy))
    utils = crhelper_copy / "crhelper" / "utils.py"
    tamper(utils)
    # Pins that accept the changed file, as another release of crhelper's would.
    pinned = {
        **_crhelper_pins.MODULES,
        "crhelper/utils.py": _asset.record_digest(utils.read_bytes()),
    }
    monkeypatch.setattr(_crhelper_pins, "MODULES", pinned)

    assert _asset.asset_hash(_asset.asset_files(crhelper_root=crhelper_copy)) != before


def test_the_hash_changes_when_a_file_moves(runtime_copy: Path) -> None:
    before = _asset.asset_hash(_asset.asset_files(runtime_copy))
    model = runtime_copy / MODEL
    moved = model.parent.parent / "2099-01-01" / "service-2.json"
    moved.parent.mkdir()
    model.rename(moved)

    assert _asset.asset_hash(_asset.asset_files(runtime_copy)) != before


# --- bundling in Docker --------------------------------------------------------------


def test_docker_bundling_installs_crhelper_only_by_its_pinned_hashes() -> None:
    script = _asset.docker_command()[-1]

    assert "pip install --require-hashes --no-deps" in script
    assert f"-r /asset-input/{_asset.REQUIREMENTS}" in script
    requirements = (_asset.RUNTIME_DIR / _asset.REQUIREMENTS).read_text()
    assert f"crhelper=={_crhelper_pins.VERSION} \\" in requirements
    assert requirements.count("--hash=sha256:") == 2


def test_docker_bundling_copies_the_shipped_model() -> None:
    assert f"cp -r /asset-input/{_asset.MODELS} /asset-output/" in _asset.docker_command()[-1]
