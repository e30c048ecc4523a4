"""Run one Lambda invocation the way the Python runtime would, in this process.

Usage: python -I lambda_bootstrap.py ASSET_DIR HANDLER INVOCATION_JSON

Only ASSET_DIR (the bundled asset from cdk.out) and the interpreter's
site-packages (standing in for the runtime's boto3) are importable: none of
the repo's own code is. REHEARSAL_CLOCK_OFFSET_SECONDS moves time.time()
forward, so tests can pass hours of polling without sleeping;
REHEARSAL_SLEEP_SCALE shortens every time.sleep by that factor.
REHEARSAL_API_LOG names a file where every AWS call the handler makes is
written as an IAM action (``service:Operation``), through botocore's events.
"""

import importlib
import json
import logging
import os
import sys
import time
from pathlib import Path

asset_dir, handler_name, invocation_path = sys.argv[1:4]
sys.path.insert(0, asset_dir)

offset = float(os.environ.get("REHEARSAL_CLOCK_OFFSET_SECONDS", "0"))
if offset:
    _real_time = time.time
    time.time = lambda: _real_time() + offset

# Sleeps (retry backoff, waiting for IAM) take a fraction of real time.
scale = float(os.environ.get("REHEARSAL_SLEEP_SCALE", "1"))
if scale != 1:
    _real_sleep = time.sleep
    time.sleep = lambda seconds: _real_sleep(seconds * scale)

api_log = os.environ.get("REHEARSAL_API_LOG")
if api_log:
    import boto3

    def record_call(model, **_):
        with open(api_log, "a") as log:
            log.write(f"{model.service_model.signing_name}:{model.name}\n")

    # crhelper and the handler make their clients from boto3's default session.
    boto3.setup_default_session()
    boto3.DEFAULT_SESSION.events.register("before-call", record_call)

invocation = json.loads(Path(invocation_path).read_text())
deadline = time.monotonic() + invocation["timeout_seconds"]


class LambdaContext:
    function_name = invocation["function_name"]
    function_version = "$LATEST"
    invoked_function_arn = invocation["function_arn"]
    memory_limit_in_mb = invocation["memory_mb"]
    aws_request_id = invocation["aws_request_id"]
    log_group_name = f"/aws/lambda/{function_name}"
    log_stream_name = "rehearsal"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return max(0, int((deadline - time.monotonic()) * 1000))


# The Python runtime installs one handler on the root logger.
logging.basicConfig(
    stream=sys.stdout,
    format=f"[%(levelname)s]\t%(asctime)s\t{invocation['aws_request_id']}\t%(message)s",
)
module_name, function_name = handler_name.rsplit(".", 1)
module = importlib.import_module(module_name)
for name in ("index", "crhelper"):
    origin = Path(sys.modules[name].__file__).resolve() if name in sys.modules else None
    if origin is not None and Path(asset_dir).resolve() not in origin.parents:
        sys.exit(f"rehearsal: {name} was imported from {origin}, not from the asset")
getattr(module, function_name)(invocation["event"], LambdaContext())
