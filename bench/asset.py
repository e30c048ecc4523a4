"""Size of the Lambda asset, zipped as the CDK CLI zips it (deflate, zlib's default level)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

TARGET_BYTES = 100 * 1024


@dataclass
class AssetSize:
    zipped_bytes: int
    files: int
    by_part: dict[str, int]

    @property
    def met(self) -> bool:
        return self.zipped_bytes <= TARGET_BYTES


def _part(name: str) -> str:
    if "__pycache__" in name:
        return "__pycache__ (left by a rehearsal)"
    if name.startswith("models/"):
        return "WorkSpaces API model (sdk.py)"
    if name.startswith("crhelper/"):
        code = name.endswith(".py")
        return "crhelper (*.py)" if code else "crhelper (type stubs, py.typed)"
    return "handler (*.py)"


def measure(asset_dir: Path) -> AssetSize:
    """Zip ``asset_dir`` and attribute each entry's compressed size to a part."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(asset_dir.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(asset_dir).as_posix())
        entries = archive.infolist()
    by_part: dict[str, int] = {}
    for entry in entries:
        part = _part(entry.filename)
        by_part[part] = by_part.get(part, 0) + entry.compress_size
    return AssetSize(len(buffer.getvalue()), len(entries), by_part)
