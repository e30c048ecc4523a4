"""`make bench`: measure synth time, poll cost, API calls, detection latency, asset size
and throttling at scale.

Prints the results and writes them to bench/RESULTS.md. BENCH_ROUNDS (synth,
default 5) and BENCH_POLL_ROUNDS (poll processes, default 15) set how many
alternated runs each median is taken over. `python -m bench.run throttling`
(`make bench-throttling`) runs section 6 alone and replaces it in RESULTS.md;
`python -m bench.run poll` (`make bench-poll`) does the same for section 2
and the summary's poll rows.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from bench import asset, calls, poll, report, scale, synth, throttle_model
from bench.rehearsal import Rehearsal, embedded_aws
from tests.rehearsal.conftest import SCALE_TIME_SCALE

RESULTS = Path(__file__).with_name("RESULTS.md")
SYNTH_SIZES = (1, 10, 40)
POLL_INTERVALS_MINUTES = (1, 5)
POLLS_TO_AVAILABLE = 3


def say(text: str) -> None:
    print(f"bench: {text}", file=sys.stderr, flush=True)


def throttling(work: Path) -> report.Throttling:
    """Section 6: the model behind the retry setting, then the scale rehearsal."""
    started = time.monotonic()
    say("throttling: the retry model")
    model = throttle_model.table()
    say("throttling: 40 images and 10 bundles at 1 call/s (a few minutes)")
    run = scale.run(work)
    workspaces, common, contract = (
        scale.handler_module(name) for name in ("workspaces", "common", "contract")
    )
    return report.Throttling(
        run=run,
        model=model,
        total_attempts=workspaces.TOTAL_ATTEMPTS,
        worst_backoff_seconds=scale.retries.worst_backoff_seconds(workspaces.TOTAL_ATTEMPTS),
        worst_call_seconds=workspaces.WORST_CALL_SECONDS,
        last_call_start_seconds=common.LAST_CALL_START_SECONDS,
        function_timeout_seconds=contract.FUNCTION_TIMEOUT_SECONDS,
        time_scale=SCALE_TIME_SCALE,
        seconds=time.monotonic() - started,
    )


def throttling_only() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        section = report.render_throttling(throttling(Path(tmp)))
    RESULTS.write_text(report.splice_throttling(RESULTS.read_text(), section))
    print(section)
    say(f"replaced section 6 of {RESULTS}")
    return 0


def _poll_rounds() -> int:
    return int(os.environ.get("BENCH_POLL_ROUNDS", "15"))


def poll_only() -> int:
    rounds = _poll_rounds()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        cdk_out = work / "cdk.out"
        synth.synth(synth.OURS, 1, cdk_out)
        with embedded_aws(work) as (aws, _log):
            say(f"poll cost, {rounds} alternated rounds")
            cost = poll.measure(Rehearsal.start(aws, cdk_out), work, rounds)
    section = report.render_poll(cost, rounds)
    RESULTS.write_text(
        report.splice_poll(RESULTS.read_text(), section, report.poll_summary_rows(cost))
    )
    print(section)
    say(f"replaced section 2 and the poll rows of the summary of {RESULTS}")
    return 0


def main() -> int:
    if sys.argv[1:] == ["throttling"]:
        return throttling_only()
    if sys.argv[1:] == ["poll"]:
        return poll_only()
    rounds = int(os.environ.get("BENCH_ROUNDS", "5"))
    poll_rounds = _poll_rounds()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        synths = []
        for images in SYNTH_SIZES:
            say(f"synth, {images} image(s), {rounds} alternated rounds")
            synths.append(synth.compare(images, rounds))
        cdk_out = work / "cdk.out"
        synth.synth(synth.OURS, 1, cdk_out)
        with embedded_aws(work) as (aws, log):
            rehearsal = Rehearsal.start(aws, cdk_out)
            asset_dir = rehearsal.cfn.function.asset_dir
            fresh_asset = asset.measure(asset_dir)
            say(f"poll cost, {poll_rounds} alternated rounds")
            poll_cost = poll.measure(rehearsal, work, poll_rounds)
            say("API calls and detection latency")
            lifecycles = [
                calls.create_to_available(
                    aws, log, cdk_out, polls=POLLS_TO_AVAILABLE, interval_minutes=minutes
                )
                for minutes in POLL_INTERVALS_MINUTES
            ]
            rehearsed_asset = asset.measure(asset_dir)
        throttled = throttling(work)
    results = report.Results(
        rounds=rounds,
        poll_rounds=poll_rounds,
        synths=synths,
        poll_cost=poll_cost,
        lifecycles=lifecycles,
        asset=fresh_asset,
        rehearsed_asset=rehearsed_asset,
        seconds=time.monotonic() - started,
        throttling=throttled,
    )
    text = report.render(results)
    RESULTS.write_text(text)
    print(text)
    say(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
