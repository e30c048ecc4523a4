"""Run a command and write its wall time, CPU time and peak RSS as JSON to a file.

Usage: python -I bench/rusage.py RESULT_JSON COMMAND...

A small process of its own does the forking: a child forked from the large
benchmark process would report the parent's RSS as its own peak. CPU time
(user + system, the child's own children included once reaped, such as
jsii's node) is less disturbed than wall time by other work on the machine.
"""

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

result_path, command = sys.argv[1], sys.argv[2:]
started = time.perf_counter()
returncode = subprocess.run(command, check=False).returncode
seconds = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
Path(result_path).write_text(
    json.dumps(
        {
            "seconds": seconds,
            "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "max_rss_kb": usage.ru_maxrss,
        }
    )
)
sys.exit(returncode)
