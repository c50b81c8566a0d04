"""How long does a `secdesk` command take to answer, next to `python -c pass`?

secdesk is installed the way users get it — a wheel in a virtual environment
of its own, bytecode compiled at install (`uv pip install --compile-bytecode`,
what `compile-bytecode = true` in pyproject.toml does for `uv sync`) — and run
with this machine's environment, where PYTHONDONTWRITEBYTECODE=1 means nothing
is compiled later. On a SQLite data directory of its own that holds the demo
project (`secdesk serve --demo`'s cases) and a small git repository, it times,
interleaved in the same run so that other load on the machine touches all
alike:

  * `python -c pass` (the interpreter's own start),
  * `secdesk --help` (target 0.15 s),
  * `secdesk case list` (target 0.5 s), and
  * `secdesk --json git affected` on one case,

and prints the median and best of each, and each median as a multiple of
`python -c pass`'s.

    uv run python bench/cli_latency.py [--runs N] [--secdesk PATH]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADMIN = "admin@localhost"
TARGETS = {"secdesk --help": 0.15, "secdesk case list": 0.5}
LOAD_DEMO = """
import os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "secdesk.settings")
import django
django.setup()
from secdesk.demo import load_demo
load_demo()
"""


def install(into: Path) -> Path:
    """secdesk and its dependencies in a new virtual environment, compiled."""
    uv = shutil.which("uv") or sys.exit("bench: needs uv on PATH")
    subprocess.run([uv, "venv", "--quiet", str(into)], check=True)
    python = into / "bin" / "python"
    subprocess.run(
        [uv, "pip", "install", "--quiet", "--compile-bytecode", "--python", str(python), str(ROOT)],
        check=True,
    )
    return into / "bin" / "secdesk"


def environment(data: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SECDESK_", "DJANGO_"))}
    env.pop("DATABASE_URL", None)
    # The demo publishes a case: its site address must be a public one.
    env.update(
        SECDESK_DATA_DIR=str(data),
        SECDESK_SITE_URL="https://secdesk.example.org",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def set_up(secdesk: Path, env: dict, place: Path) -> list[str]:
    """The demo database and a repository with two releases and a fix; the
    arguments of `git affected` on it."""
    for argv in (["migrate"], ["admin", "create", ADMIN]):
        subprocess.run([secdesk, *argv], env=env, check=True, capture_output=True)
    python = secdesk.parent / "python"
    subprocess.run([python, "-c", LOAD_DEMO], env=env, check=True, capture_output=True)
    repo = place / "repo"
    git = ["git", "-C", str(repo), "-c", "user.name=b", "-c", "user.email=b@example.org"]
    subprocess.run(["git", "init", "--quiet", str(repo)], check=True)
    commits = []
    for release in ("v1.0.0", "v1.1.0"):
        subprocess.run([*git, "commit", "--quiet", "--allow-empty", "-m", release], check=True)
        subprocess.run([*git, "tag", release], check=True)
        commits.append(subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True))
    batch = place / "batch.jsonl"
    case = {"id": "1", "introduced": [commits[0].stdout.strip()], "fixed": []}
    batch.write_text(json.dumps(case) + "\n")
    tags = r"^v(\d+)\.(\d+)\.(\d+)$"
    return ["--json", "git", "affected", "--repo", str(repo), "--tags", tags, "--batch", str(batch)]


def measure(commands: dict[str, list], env: dict, runs: int) -> dict[str, list[float]]:
    times = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            started = time.perf_counter()
            done = subprocess.run(argv, env=env, capture_output=True, text=True)
            times[name].append(time.perf_counter() - started)
            if done.returncode != 0:
                sys.exit(f"bench: {name} failed: {done.stderr.strip()}")
    return times


def report(times: dict[str, list[float]]):
    base = statistics.median(times["python -c pass"])
    print(f"{'command':28} {'median':>8} {'best':>8} {'× python':>9}  target")
    for name, runs in times.items():
        median = statistics.median(runs)
        target = TARGETS.get(name)
        verdict = (
            "" if target is None else (f"≤ {target} s " + ("met" if median <= target else "MISSED"))
        )
        print(f"{name:28} {median:8.3f} {min(runs):8.3f} {median / base:9.1f}  {verdict}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each command (default 15)")
    parser.add_argument("--secdesk", type=Path, help="measure this installed command instead")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as temporary:
        place = Path(temporary)
        started = time.perf_counter()
        secdesk = args.secdesk or install(place / "venv")
        print(f"secdesk: {secdesk} (installed in {time.perf_counter() - started:.1f} s)")
        env = environment(place / "data")
        affected = set_up(secdesk, env, place)
        python = secdesk.parent / "python"
        commands = {
            "python -c pass": [python, "-c", "pass"],
            "secdesk --help": [secdesk, "--help"],
            "secdesk case list": [secdesk, "--as", ADMIN, "case", "list"],
            "secdesk git affected": [secdesk, *affected],
        }
        cpus = os.cpu_count()
        print(f"{args.runs} runs each, interleaved; {cpus} CPUs, load {os.getloadavg()[0]:.1f}")
        report(measure(commands, env, args.runs))


if __name__ == "__main__":
    main()
