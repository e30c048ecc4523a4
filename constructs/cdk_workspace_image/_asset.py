"""The provider function's code: what goes in the asset, its hash, and its bundling.

The asset holds the handler's modules, the WorkSpaces API model they bring
(lambda/workspace_image/sdk.py) and crhelper's modules. Its hash is taken over
exactly those bytes, each with its path in the asset, so any changed byte
makes a new asset. crhelper is copied from wherever it is installed, but only
when its modules are the bytes of the wheel this library pins
(``_crhelper_pins``); the Docker fallback installs that wheel with
``--require-hashes``.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import shutil
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from cdk_workspace_image import _crhelper_pins, runtime

# The Lambda source: lambda/workspace_image in the repo, the
# cdk_workspace_image.runtime package in an installed wheel.
RUNTIME_DIR = Path(runtime.__file__).resolve().parent
# The shipped API model, as AWS_DATA_PATH expects it (sdk.MODELS_DIR).
MODELS = "models"
# crhelper with its hashes, for the Docker fallback (``make pins`` writes it).
REQUIREMENTS = "requirements.txt"


class CrhelperMismatch(RuntimeError):
    """The installed crhelper is not the one this library pins; nothing is bundled."""


def handler_files(runtime_dir: Path = RUNTIME_DIR) -> dict[str, Path]:
    """The handler's modules and the shipped model, by their path in the asset."""
    modules = [path for path in runtime_dir.glob("*.py") if path.name != "__init__.py"]
    models = [path for path in (runtime_dir / MODELS).rglob("*.json")]
    return {path.relative_to(runtime_dir).as_posix(): path for path in [*modules, *models]}


def installed_crhelper() -> Path:
    """The folder that holds the importable ``crhelper`` package."""
    spec = importlib.util.find_spec("crhelper")
    if spec is None or not spec.submodule_search_locations:
        raise CrhelperMismatch(
            "crhelper is not installed; it is a dependency of cdk-workspace-image "
            f"(pip install crhelper=={_crhelper_pins.VERSION})"
        )
    return Path(next(iter(spec.submodule_search_locations))).parent


def record_digest(data: bytes) -> str:
    """A file's hash as a wheel's RECORD writes it (urlsafe base64, unpadded)."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return f"sha256={digest.decode()}"


def crhelper_files(root: Path | None = None) -> dict[str, Path]:
    """crhelper's modules under ``root`` (the installed one's by default), by their path
    in the asset, once each is checked against the pinned wheel's hashes."""
    root = installed_crhelper() if root is None else root
    differ = []
    for name, expected in _crhelper_pins.MODULES.items():
        path = root / name
        if not path.is_file():
            differ.append(f"{name} is missing")
        elif record_digest(path.read_bytes()) != expected:
            differ.append(f"{name} differs")
    if differ:
        raise CrhelperMismatch(
            f"the crhelper in {root / 'crhelper'} is not the crhelper {_crhelper_pins.VERSION} "
            f"that cdk-workspace-image bundles ({'; '.join(differ)} from its released wheel), "
            "so the provider function was not bundled. Reinstall it from PyPI: "
            f"pip install --force-reinstall --no-deps crhelper=={_crhelper_pins.VERSION}"
        )
    return {name: root / name for name in _crhelper_pins.MODULES}


def asset_files(
    runtime_dir: Path = RUNTIME_DIR, crhelper_root: Path | None = None
) -> dict[str, Path]:
    """Every file the asset holds, by its path in the asset."""
    return {**handler_files(runtime_dir), **crhelper_files(crhelper_root)}


def asset_hash(files: dict[str, Path]) -> str:
    """sha256 over each file's path in the asset, length and bytes, in path order."""
    digest = hashlib.sha256()
    for name in sorted(files):
        data = files[name].read_bytes()
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


@jsii.implements(ILocalBundling)
class LocalBundling:
    """Bundle without Docker: copy exactly the files that the hash covers.

    crhelper is pure Python, so its checked modules are the asset's whatever
    Python runs the synth; boto3 comes with the Lambda runtime (and the
    WorkSpaces model with the handler, sdk.py).
    """

    def try_bundle(self, output_dir: str, *_options: Any, **_keywords: Any) -> bool:
        out = Path(output_dir)
        for name, path in asset_files().items():
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, out / name)
        return True


def handler_code(lambda_runtime: lambda_.Runtime) -> lambda_.Code:
    """The provider function's code, hashed over its bytes and bundled locally when possible."""
    return lambda_.Code.from_asset(
        str(RUNTIME_DIR),
        asset_hash_type=AssetHashType.CUSTOM,
        # Checks crhelper before anything is staged: a mismatch fails the synth.
        asset_hash=asset_hash(asset_files()),
        bundling=BundlingOptions(
            local=LocalBundling(),
            # Only used when local bundling is impossible.
            image=lambda_runtime.bundling_image,
            command=docker_command(),
        ),
    )


def docker_command() -> list[str]:
    """Bundling in the runtime's image: crhelper only from its pinned hashes."""
    return [
        "bash",
        "-c",
        "pip install --require-hashes --no-deps --no-cache-dir --target /asset-output "
        f"-r /asset-input/{REQUIREMENTS} "
        f"&& cp /asset-input/*.py /asset-output/ && cp -r /asset-input/{MODELS} /asset-output/ "
        "&& rm -f /asset-output/__init__.py",
    ]
