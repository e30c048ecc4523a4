"""Run a command and write its wall time and peak RSS as JSON to a file.

Usage: python -I bench/rusage.py RESULT_JSON COMMAND...

A small process of its own does the forking: a child forked from the large
benchmark process would report the parent's RSS as its own peak.
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
peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
Path(result_path).write_text(json.dumps({"seconds": seconds, "max_rss_kb": peak_kb}))
sys.exit(returncode)
