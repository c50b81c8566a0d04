"""The benchmark's own code, at a size that runs in seconds (the benchmark
itself is run by hand: `uv run python bench/git_affected.py`)."""

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "bench" / "git_affected.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("git_affected_bench", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def test_bench_history_gives_the_same_answers_from_secdesk_and_from_git(tmp_path):
    bench = load_bench()
    synthetic = bench.build(tmp_path / "synthetic.git", commits=2000, tags_per_branch=6, cases=12)
    assert synthetic.tags == 30
    assert synthetic.commits >= 2000
    assert any(len(case.carried_by) > len(case.fixed) for case in synthetic.cases)
    ours, _ = bench.secdesk_answers(synthetic)
    theirs, _, _ = bench.baseline(synthetic)
    assert ours == theirs
