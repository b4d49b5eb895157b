"""The load curve's picture (bench/load.py --plot): drawn from a stepped run's JSON, without a
server, so a change to the report's shape that breaks the plot shows up in the suite."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")  # the bench extra, which dev brings

ROOT = Path(__file__).resolve().parent.parent


def step(users, rps, p95, *, failed=0, lost=0):
    return {
        "users": users,
        "seconds": 60.0,
        "requests": int(rps * 60),
        "rps": rps,
        "p50_ms": p95 / 3,
        "p95_ms": p95,
        "p99_ms": p95 * 1.5,
        "status_5xx": failed,
        "failed": failed,
        "cpu_busy": 0.5,
        "load_generator_cpu": 0.02,
        "writes": {"acknowledged": 100, "found": 100 - lost, "lost": lost},
    }


@pytest.mark.parametrize("failed,lost", [(0, 0), (3, 1)])
def test_the_curve_is_drawn_from_a_runs_json(tmp_path, failed, lost):
    report = {
        "started_at": "20261206T120000Z",
        "revision": "abc1234",
        "customers_in_database": 100_000,
        "seconds": 60,
        "think_time_s": [1.0, 3.0],
        "workers": 2,
        "target_p95_ms": 100,
        "machine": {"cores": 2},
        "steps": [
            step(10, 6.1, 40),
            step(50, 29.5, 70),
            step(100, 48.0, 180),
            step(200, 52.0, 2400, failed=failed, lost=lost),
        ],
    }
    source = tmp_path / "load.json"
    source.write_text(json.dumps(report))
    png = tmp_path / "curve.png"
    run = subprocess.run(
        [sys.executable, "bench/load.py", "--plot", str(source), "--png", str(png)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (990, 572)


def test_a_run_without_steps_is_refused(tmp_path):
    source = tmp_path / "load.json"
    source.write_text(json.dumps({"totals": {}}))
    run = subprocess.run(
        [sys.executable, "bench/load.py", "--plot", str(source)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1
    assert "not the JSON of a load run with steps" in run.stderr
