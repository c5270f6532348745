"""A py-spy profile of the order+pay rush, split by endpoint (not a budget):

    make bench                          # once: it leaves the bench database behind
    .venv/bin/python -m bench.profile_rush

Schedules a fresh rush show on the bench database (bench/dbtool.py prepare),
makes 200 users with tokens in the database, serves the app under
`py-spy record --gil` on BENCH_PROFILE_PORT and runs bench/rush.py's order+pay
rush against it. Writes bench/results/profile-rush-top.txt: the share of the
GIL-holding request samples per endpoint, then the top functions of each.
py-spy slows the server, so read shares, not the rush's latencies.
"""

import json
from collections import Counter

from bench.harness import BIN, PROFILE_PORT, RESULTS, USERS, app_env, log, run
from bench.pyspy import profile_under, summarize

# The API module of each rush request's view, as py-spy names its frames.
ENDPOINTS = {"hold": "booking/api/seats.py", "book": "booking/api/bookings.py", "pay": "booking/api/orders.py"}


def _endpoint(stack: str) -> str:
    for name, marker in ENDPOINTS.items():
        if marker in stack:
            return name
    return "other"


def main() -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    env = app_env()
    py = str(BIN / "python")
    data = json.loads(run([py, "-m", "bench.dbtool", "prepare"], env, capture_output=True).stdout)
    tokens = RESULTS / "profile-rush-tokens.json"
    run([py, "-m", "bench.dbtool", "users", str(USERS), str(tokens)], env, capture_output=True)
    base = f"http://127.0.0.1:{PROFILE_PORT}"
    outcome = {}

    def load() -> None:
        out = run(
            [py, "-m", "bench.rush", "go", base, str(data["rush_show"]), str(tokens), "pay"], env, capture_output=True
        )
        outcome.update(json.loads(out.stdout))

    if profile_under("rush", env, load) is None:
        raise SystemExit("no profile (is py-spy installed?)")
    tokens.unlink(missing_ok=True)
    raw = (RESULTS / "profile-rush.txt").read_text()
    by_endpoint: dict[str, list[str]] = {}
    samples: Counter = Counter()
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if count.isdigit():
            name = _endpoint(stack)
            by_endpoint.setdefault(name, []).append(line)
            samples[name] += int(count)
    total = sum(samples.values())
    parts = [
        f"rush under py-spy: {outcome.get('statuses')}, wall {outcome.get('seconds')} s",
        "samples per endpoint (all threads, GIL held; 'other' includes the workers' start-up"
        " and the rush client's /health warm-up): "
        + ", ".join(f"{k} {100 * n / total:.0f}%" for k, n in samples.most_common()),
    ]
    for name in ENDPOINTS:
        parts.append(f"\n--- {name}\n" + summarize("\n".join(by_endpoint.get(name, [])), lines_kept=45))
    path = RESULTS / "profile-rush-top.txt"
    path.write_text("\n".join(parts))
    log(f"rush profile: {path}")


if __name__ == "__main__":
    main()
