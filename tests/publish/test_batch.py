"""run_jobs: many jobs on worker processes, results in job order, jobs drawn only a few chunks ahead."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from feeds.errors import PublishError
from feeds.publish import batch
from feeds.publish.batch import Done, Options, run_jobs
from tests.publish.articles import BASE_URL

OPTIONS = Options(Path("/nonexistent"), BASE_URL, None, None, f"{BASE_URL}feed.xsl")


def echo(job: int, options: Options) -> Done:
    """A job that writes nothing and says which job it was."""
    if job < 0:
        raise PublishError(f"job {job} failed")
    return Done(changed=[str(job)])


def test_jobs_run_on_worker_processes_are_drawn_a_few_chunks_ahead_and_come_back_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(batch, "_cpus", lambda: 2)
    drawn: list[int] = []

    def jobs() -> Iterator[int]:
        for n in range(200):
            drawn.append(n)
            yield n

    results = run_jobs(echo, jobs(), 200, OPTIONS)
    first = next(results)
    assert first.changed == ["0"]
    assert len(drawn) <= (2 * batch.IN_FLIGHT + 1) * batch.CHUNK < 200  # never the whole batch at once
    assert [done.changed[0] for done in [first, *results]] == [str(n) for n in range(200)]


def test_a_failing_job_on_a_worker_process_raises_its_error_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "_cpus", lambda: 2)
    jobs = [*range(40), -1, *range(41, 80)]
    with pytest.raises(PublishError, match="job -1 failed"):
        list(run_jobs(echo, jobs, len(jobs), OPTIONS))


def test_a_small_batch_runs_in_this_process_in_order() -> None:
    assert [done.changed for done in run_jobs(echo, iter([3, 1, 2]), 3, OPTIONS)] == [["3"], ["1"], ["2"]]
