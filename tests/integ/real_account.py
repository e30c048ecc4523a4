"""What the integration tests need from a real account, read from environment variables.

``make integ`` deploys the ``integ_*.py`` apps with the real ids (docs/integ.md).
Without them, as in ``make test`` and ``make integ-snapshots``, fixed placeholders
stand in, so that the synthesized templates, and so the committed snapshots, are
the same on every machine.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import aws_cdk as cdk

ROOT = Path(__file__).resolve().parents[2]

# Required by `make integ`: a prepared WorkSpace, AVAILABLE, not encrypted.
WORKSPACE_ID = "INTEG_WORKSPACE_ID"
# Optional: an account to share the image with (integ_image_bundle.py).
SHARE_ACCOUNT = "INTEG_SHARE_ACCOUNT"
# Set by `make integ` for each run: image and bundle names are unique per
# Region, and a bundle's name cannot be reused for 2 hours after a delete.
RUN = "INTEG_RUN"

PLACEHOLDER_WORKSPACE_ID = "ws-0123456789"
PLACEHOLDER_RUN = "snapshot"
# Every resource of the integration tests carries it (Tags.of), images included.
TAG_KEY = "cdk-workspace-image:integ-test"


def workspace_id() -> str:
    """The source WorkSpace: the real one in ``make integ``, else a placeholder."""
    return os.environ.get(WORKSPACE_ID) or PLACEHOLDER_WORKSPACE_ID


def share_account() -> str | None:
    """The account to share with, if one was given."""
    return os.environ.get(SHARE_ACCOUNT) or None


def name(test: str) -> str:
    """An image or bundle name of this test and this run."""
    return f"cdk-wsi-integ-{test}-{os.environ.get(RUN) or PLACEHOLDER_RUN}"


def new_app() -> cdk.App:
    """An app with cdk.json's feature flags, as `cdk deploy` of the example app has them.

    integ-runner passes its own recommended flags; cdk.json's win, so that the
    tests deploy what users of this repository's settings deploy.
    """
    # Imported here: runner.py reads this module's settings without starting jsii.
    import aws_cdk as cdk

    flags = json.loads((ROOT / "cdk.json").read_text())["context"]
    return cdk.App(post_cli_context=flags)
