"""Run one Lambda invocation the way the Python runtime would, in this process.

Usage: python -I lambda_bootstrap.py ASSET_DIR HANDLER INVOCATION_JSON

Only ASSET_DIR (the bundled asset from cdk.out) and the runtime's boto3 are
importable: none of the repo's own code is. The runtime's boto3 is the
interpreter's site-packages, or, when REHEARSAL_RUNTIME_SDK names a folder
(an older boto3 and botocore, see lambda_process.py), that folder alone: the
interpreter then runs with -S, so site-packages is not on the path.

REHEARSAL_CLOCK_OFFSET_SECONDS moves time.time() forward, so tests can pass
hours of polling without sleeping; REHEARSAL_SLEEP_SCALE shortens every time.sleep by that factor.
REHEARSAL_API_LOG names a file where every AWS call the handler makes is
written as an IAM action (``service:Operation``), through botocore's events,
and REHEARSAL_ATTEMPT_LOG one where every HTTP attempt of those calls is
written with its answer (``service:Operation ErrorCode``, ``OK`` if none):
botocore's retries show there. REHEARSAL_TIMING names a file that gets the
invocation's handler time as JSON: its real time, with each sleep counted at
its full (unscaled) length, as the handler would spend it in Lambda.
REHEARSAL_BARRIER names a folder where processes meet to start together
(``lambda_process.Barrier``).

Logging is set up as the Python runtime (awslambdaric) sets it up from the
function's LoggingConfig, which Lambda passes as AWS_LAMBDA_LOG_FORMAT and
AWS_LAMBDA_LOG_LEVEL: one handler on the root logger and, in the JSON format,
one JSON object per record, with every ``extra`` field at the top level.
"""

import importlib
import json
import logging
import os
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

asset_dir, handler_name, invocation_path = sys.argv[1:4]
runtime_sdk = os.environ.get("REHEARSAL_RUNTIME_SDK")
# Lambda's order: the function's code first, then the runtime's libraries.
sys.path[:0] = [asset_dir, runtime_sdk] if runtime_sdk else [asset_dir]

offset = float(os.environ.get("REHEARSAL_CLOCK_OFFSET_SECONDS", "0"))
if offset:
    _real_time = time.time
    time.time = lambda: _real_time() + offset

# Sleeps (retry backoff, waiting for IAM) take a fraction of real time.
scale = float(os.environ.get("REHEARSAL_SLEEP_SCALE", "1"))
slept = {"virtual": 0.0, "real": 0.0}
_real_sleep = time.sleep


def scaled_sleep(seconds: float) -> None:
    started = time.monotonic()
    _real_sleep(seconds * scale)
    slept["virtual"] += seconds
    slept["real"] += time.monotonic() - started


time.sleep = scaled_sleep

invocation = json.loads(Path(invocation_path).read_text())
deadline = time.monotonic() + invocation["timeout_seconds"]


class LambdaContext:
    function_name = invocation["function_name"]
    function_version = "$LATEST"
    invoked_function_arn = invocation.get("invoked_function_arn") or invocation["function_arn"]
    memory_limit_in_mb = invocation["memory_mb"]
    aws_request_id = invocation["aws_request_id"]
    log_group_name = f"/aws/lambda/{function_name}"
    log_stream_name = "rehearsal"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return max(0, int((deadline - time.monotonic()) * 1000))


def timestamp(created: float) -> str:
    return datetime.fromtimestamp(created, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class RuntimeJsonFormatter(logging.Formatter):
    """The runtime's JSON log format: its own keys, then each extra field beside them.

    Its keys are timestamp, level, message, logger and requestId, plus
    errorType, errorMessage, stackTrace and location for a record with an
    exception; keys whose value is None are left out. Like the runtime's, the
    encoder has no fallback for values JSON cannot hold.
    """

    RECORD_KEYS = frozenset(vars(logging.makeLogRecord({}))) | {
        "message",
        "asctime",
        "aws_request_id",
        "tenant_id",
    }

    def format(self, record: logging.LogRecord) -> str:
        document = {
            "timestamp": timestamp(record.created),
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
            "requestId": getattr(record, "aws_request_id", None),
        }
        if record.exc_info and record.exc_info[0] is not None:
            kind, error, trace = record.exc_info
            document["errorType"] = kind.__name__
            document["errorMessage"] = str(error)
            document["stackTrace"] = traceback.format_tb(trace)
            document["location"] = f"{record.pathname}:{record.funcName}:{record.lineno}"
        for key, value in vars(record).items():
            if key not in self.RECORD_KEYS and key not in document:
                document[key] = value
        return json.dumps({k: v for k, v in document.items() if v is not None}, ensure_ascii=False)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = invocation["aws_request_id"]
        return True


json_format = os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON"
log_level = {"TRACE": "DEBUG"}.get(
    os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper(), os.environ.get("AWS_LAMBDA_LOG_LEVEL", "")
).upper()
root_handler = logging.StreamHandler(sys.stdout)
root_handler.setFormatter(
    RuntimeJsonFormatter()
    if json_format
    else logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
        "%Y-%m-%dT%H:%M:%S",
    )
)
root_handler.addFilter(RequestIdFilter())
logging.getLogger().addHandler(root_handler)
if log_level in logging.getLevelNamesMapping():
    logging.getLogger().setLevel(log_level)

module_name, function_name = handler_name.rsplit(".", 1)
module = importlib.import_module(module_name)
origins = dict.fromkeys(("index", "crhelper"), asset_dir)
if runtime_sdk:
    origins.update(dict.fromkeys(("boto3", "botocore"), runtime_sdk))
for name, folder in origins.items():
    origin = Path(sys.modules[name].__file__).resolve() if name in sys.modules else None
    if origin is not None and Path(folder).resolve() not in origin.parents:
        sys.exit(f"rehearsal: {name} was imported from {origin}, not from {folder}")

api_log = os.environ.get("REHEARSAL_API_LOG")
if api_log:
    import boto3

    def record_call(model, **_):
        with open(api_log, "a") as log:
            log.write(f"{model.service_model.signing_name}:{model.name}\n")

    # crhelper and the handler make their clients from boto3's default session.
    # It is made only now, after the handler's import, as in Lambda, where
    # nothing makes one first: the handler sets AWS_DATA_PATH (sdk.py) before
    # any session exists, and a session reads it once.
    boto3._get_default_session().events.register("before-call", record_call)

attempt_log = os.environ.get("REHEARSAL_ATTEMPT_LOG")
if attempt_log:
    import boto3

    def record_attempt(response, operation, caught_exception=None, **_):
        # needs-retry follows every attempt; returning None leaves the decision to botocore.
        if response is not None:
            answer = response[1].get("Error", {}).get("Code") or "OK"
        else:
            answer = type(caught_exception).__name__
        with open(attempt_log, "a") as log:
            log.write(f"{operation.service_model.signing_name}:{operation.name} {answer}\n")

    boto3._get_default_session().events.register("needs-retry", record_attempt)

# REHEARSAL_BARRIER: start the handler together with the other processes of a
# level. Each Lambda execution environment has a CPU of its own; here dozens
# of processes share two cores, and their start-up (the imports, loading the
# service models) would otherwise spread their first calls over many seconds.
barrier = os.environ.get("REHEARSAL_BARRIER")
if barrier:
    import boto3

    for service in ("workspaces", "events", "ssm", "lambda"):
        # Loads each model into the session's cache, as a warm process has it.
        boto3._get_default_session().client(service)
    Path(barrier, f"{os.getpid()}.ready").touch()
    while not Path(barrier, "go").exists():
        _real_sleep(0.005)

timing = os.environ.get("REHEARSAL_TIMING")
handler_started = time.monotonic()
slept_before = dict(slept)


def write_timing() -> None:
    if not timing:
        return
    real = time.monotonic() - handler_started
    virtual = slept["virtual"] - slept_before["virtual"]
    real_slept = slept["real"] - slept_before["real"]
    Path(timing).write_text(
        json.dumps({"handler_seconds": real - real_slept + virtual, "slept_seconds": virtual})
    )


try:
    getattr(module, function_name)(invocation["event"], LambdaContext())
    write_timing()
except Exception as error:
    write_timing()
    if not json_format:
        raise
    # The runtime reports an unhandled error as one JSON object, too.
    print(
        json.dumps(
            {
                "timestamp": timestamp(time.time()),
                "level": "ERROR",
                "errorMessage": str(error),
                "errorType": type(error).__name__,
                "requestId": invocation["aws_request_id"],
                "stackTrace": traceback.format_tb(error.__traceback__),
            }
        )
    )
    sys.exit(1)
