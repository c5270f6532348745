"""Short wrk runs on the multi-node stack, for docs/scaling.md (not a test):

    MULTINODE_TESTS=1 .venv/bin/python -m pytest tests/multinode/wrk_figures.py -s -q -p no:cacheprovider

One 220-seat show; 32 connections, WRK_SECONDS (5) per line. Everything —
wrk, nginx, both nodes, both MariaDB servers, Redis — shares this machine's
cores, so two nodes cannot do twice the work of one here; the point is what
each layer costs and what the edge cache absorbs.
"""

import os
import re
import subprocess

from tests.multinode.conftest import EDGE_PORT, NODE_PORTS

LAYOUT = "/".join(
    ["SSSS_SSSSSSSSSS_SSSS"] * 4
    + ["PPPP_PPPPPPPPPP_PPPP"] * 4
    + ["RRRR_RRRRRRRRRR_RRRR"] * 2
    + ["AASS_SSSSSSSSSS_SSAA"]
)
SECONDS = os.environ.get("WRK_SECONDS", "5")


def _wrk(url, headers=()):
    cmd = ["wrk", "-t2", "-c32", f"-d{SECONDS}s", "--latency", *[a for h in headers for a in ("-H", h)], url]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+\w+)", out).group(1)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out).group(1)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, p50, p99, int(non2xx.group(1)) if non2xx else 0


def test_figures(stack):
    data = stack.seed(1, LAYOUT)
    show, token = data["show_id"], data["users"][0]["token"]
    stack.replica_caught_up()
    path = f"/api/v1/shows/{show}/seats"
    auth = (f"Authorization: Bearer {token}",)
    rows = [
        ("one node, anonymous map (replica)", f"http://127.0.0.1:{NODE_PORTS[0]}{path}", ()),
        ("one node, signed-in map (primary)", f"http://127.0.0.1:{NODE_PORTS[0]}{path}", auth),
        ("nginx -> two nodes, signed-in map", f"http://127.0.0.1:{EDGE_PORT}{path}", auth),
        ("nginx micro-cache, anonymous map", f"http://127.0.0.1:{EDGE_PORT}{path}", ()),
    ]
    print()
    print("| scenario | req/s | p50 | p99 | non-2xx |")
    print("| --- | --- | --- | --- | --- |")
    for name, url, headers in rows:
        rps, p50, p99, bad = _wrk(url, headers)
        print(f"| {name} | {rps:.0f} | {p50} | {p99} | {bad} |")
    hits = stack.access_log().count("cache=HIT")
    print(f"edge cache hits logged: {hits}")
