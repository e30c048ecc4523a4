"""Run one integration test app for integ-runner (its ``--app``).

integ-runner 2.197.10, the newest the npm registry serves here, reads cloud
assemblies up to schema version 53; aws-cdk-lib 2.275.0 writes version 55
("Cloud assembly schema version mismatch: Maximum schema version supported is
53.x.x, but found 55.0.0"). The two revisions between them add only metadata
entry forms (PropertyMutation, tags as strings) and integ.json's
``allowDeleteFailures``; the stack, asset and integ-test fields that
integ-runner reads are unchanged (compared: cloud-assembly-schema 53.11.0 and
55.4.0). So after the app has synthesized, this stamps the version integ-runner
reads. Remove it, and run the apps directly, once an integ-runner that reads
version 55 is published.
"""

from __future__ import annotations

import json
import os
import runpy
import sys
from pathlib import Path

READABLE_VERSION = "53.0.0"


def stamp(outdir: Path) -> None:
    """Give the assembly's manifests the schema version integ-runner reads."""
    for manifest in [
        outdir / "manifest.json",
        outdir / "integ.json",
        *outdir.glob("*.assets.json"),
    ]:
        if manifest.exists():
            content = json.loads(manifest.read_text())
            content["version"] = READABLE_VERSION
            manifest.write_text(json.dumps(content, indent=2) + "\n")


if __name__ == "__main__":
    app_file = sys.argv[1]
    sys.argv = [app_file]
    runpy.run_path(app_file, run_name="__main__")
    stamp(Path(os.environ["CDK_OUTDIR"]))
