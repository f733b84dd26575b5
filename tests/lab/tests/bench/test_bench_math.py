"""The pure parts of ``mkservice bench``: percentiles, ratios, step verdicts, the results file and
its table. No timing is asserted anywhere: figures depend on the machine."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from rich.console import Console

from mkservice_lab.bench import REQUIRED_KEYS, Summary, derive, percentile, ratio, write_results
from mkservice_lab.bench.dbstats import as_utc
from mkservice_lab.bench.profsummary import package_of
from mkservice_lab.bench.ramp import StepOutcome, judge, lowest_broken_above, refinement, sustained
from mkservice_lab.bench.report import results_table
from mkservice_lab.bench.stats import geometric_rates


def step(rate: float = 10.0, **changes: object) -> StepOutcome:
    values: dict[str, object] = {
        "rate": rate, "sent": 100, "accepted": 100, "errors": 0, "send_rate": rate,
        "confirmed": 100, "finished_in_time": True, "saga_latencies_ms": [10.0] * 100,
    }  # fmt: skip
    values.update(changes)
    return StepOutcome(**values)  # type: ignore[arg-type]


class TestPercentiles:
    def test_interpolates_between_closest_ranks_like_numpy(self) -> None:
        values = [1.0, 2.0, 3.0, 4.0]
        assert percentile(values, 50) == 2.5
        assert percentile(values, 0) == 1.0
        assert percentile(values, 100) == 4.0
        assert percentile(range(1, 101), 99) == pytest.approx(99.01)

    def test_ignores_input_order_and_handles_one_value(self) -> None:
        assert percentile([9.0, 1.0, 5.0], 50) == 5.0
        assert percentile([7.0], 99) == 7.0

    def test_is_none_without_values_and_refuses_a_bad_rank(self) -> None:
        assert percentile([], 50) is None
        with pytest.raises(ValueError):
            percentile([1.0], 101)

    def test_summary_of_an_empty_sample_has_no_figures(self) -> None:
        assert Summary.of([]) == Summary(0, None, None, None)
        assert Summary.of([3.0, 1.0]).max == 3.0


class TestRatiosAndRamp:
    def test_ratio_is_none_when_a_side_is_missing_or_zero(self) -> None:
        assert ratio(30, 120) == 0.25
        assert ratio(None, 120) is None
        assert ratio(30, None) is None
        assert ratio(30, 0) is None

    def test_rates_grow_geometrically_up_to_the_ceiling(self) -> None:
        assert geometric_rates(10, 2, 100) == [10, 20, 40, 80]
        with pytest.raises(ValueError):
            geometric_rates(10, 1, 100)


class TestStepVerdicts:
    def test_a_step_with_every_order_confirmed_quickly_holds(self) -> None:
        assert judge(step(), p99_bound_ms=500) is None

    @pytest.mark.parametrize(
        ("changes", "reason"),
        [
            ({"send_rate": 8.0}, "fell behind"),
            ({"errors": 2}, "failed"),
            ({"finished_in_time": False}, "still running"),
            ({"confirmed": 99}, "CONFIRMED"),
            ({"saga_latencies_ms": [10.0] * 90 + [900.0] * 10}, "p99"),
            ({"saga_latencies_ms": []}, "no saga latency"),
            ({"sent": 0}, "nothing"),
        ],
    )
    def test_a_step_breaks_for_a_stated_reason(self, changes: dict, reason: str) -> None:
        verdict = judge(step(**changes), p99_bound_ms=500)
        assert verdict is not None and reason in verdict

    def test_the_sustained_rate_is_the_highest_that_held(self) -> None:
        steps = [(step(10), None), (step(20), None), (step(13), None), (step(26), "broke")]
        assert sustained(steps) == 20
        assert sustained([(step(10), "broke")]) is None

    def test_the_rate_to_refine_against_is_the_lowest_that_broke_above_the_held_one(self) -> None:
        steps = [(step(10), "broke"), (step(5), None), (step(40), "broke"), (step(20), "broke")]
        assert lowest_broken_above(steps, 5) == 10
        assert lowest_broken_above(steps, None) == 10
        assert lowest_broken_above(steps, 40) is None

    def test_a_refinement_lies_between_held_and_broken_rates(self) -> None:
        assert refinement(20, 40) == pytest.approx(28.3)
        assert refinement(20, 21) is None
        assert refinement(None, 40) is None


class TestResultsFile:
    def test_derives_the_ratios_and_keeps_gaps_as_none(self) -> None:
        figures = {"sagas_per_s": 50.0, "bare_insert_per_s": 400.0, "outbox_drain_per_s": 900.0,
                   "js_publish_per_s": 3000.0, "new_service_s": None}  # fmt: skip
        results = derive(figures, mode="sqlite", cores=2)
        assert results["ratio_sagas_to_bare_insert"] == 0.125
        assert results["ratio_outbox_drain_to_js_publish"] == 0.3
        assert results["new_service_s"] is None
        assert results["saga_p99_ms"] is None
        assert results["cores"] == 2 and results["mode"] == "sqlite"
        assert results["targets"]["ratio_sagas_to_bare_insert >= 0.25"] is False
        assert results["targets"]["new_service_s <= 1"] is None

    def test_a_sagas_cpu_is_counted_in_bare_inserts_of_the_same_run(self) -> None:
        figures = {"cpu_ms_per_saga_with_broker": 30.0, "bare_insert_cpu_ms_per_request": 0.75}
        assert derive(figures, mode="sqlite", cores=2)["saga_cpu_to_bare_insert_cpu"] == 40.0
        missing = derive({"cpu_ms_per_saga_with_broker": 30.0}, mode="sqlite", cores=2)
        assert missing["saga_cpu_to_bare_insert_cpu"] is None

    def test_writes_every_required_key_as_json(self, tmp_path) -> None:  # type: ignore[no-untyped-def]
        path = write_results(derive({}, mode="postgres", cores=2), tmp_path / ".bench" / "r.json")
        written = json.loads(path.read_text())
        assert set(REQUIRED_KEYS) <= set(written)
        assert not list(path.parent.glob(".*.tmp"))

    def test_refuses_results_without_the_required_keys(self, tmp_path) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(ValueError, match="bare_insert_per_s"):
            write_results({"sagas_per_s": 1.0}, tmp_path / "r.json")

    def test_the_table_marks_gaps_and_parts_not_run(self) -> None:
        results = derive({"sagas_per_s": 12.5, "parts": ["checkout"]}, mode="sqlite", cores=2)
        out = io.StringIO()
        Console(file=out, width=140).print(results_table(results))
        text = out.getvalue()
        assert "12.5" in text and "gap" in text and "not run" in text and "2 cores" in text


def test_database_timestamps_come_back_as_aware_utc() -> None:
    expected = datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=UTC)
    assert as_utc("2026-01-02 03:04:05.600000") == expected
    assert as_utc(expected.replace(tzinfo=None)) == expected
    plus_one = timezone(timedelta(hours=1))
    assert as_utc(datetime(2026, 1, 2, 4, 4, 5, 600000, tzinfo=plus_one)) == expected


@pytest.mark.parametrize(
    ("filename", "function", "package"),
    [
        ("/venv/lib/python3.11/site-packages/sqlalchemy/orm/session.py", "execute", "sqlalchemy"),
        ("/work/main/platform/src/chassis/relay.py", "relay_once", "chassis"),
        ("/usr/lib/python3.11/asyncio/base_events.py", "_run_once", "asyncio"),
        ("~", "<method 'poll' of 'select.epoll' objects>", "(idle: waiting in epoll)"),
        ("~", "<method 'put_nowait' of '_queue.SimpleQueue' objects>", "(hand-off"),
        ("~", "<built-in method builtins.isinstance>", "builtins"),
    ],
)
def test_profiled_functions_are_grouped_by_package(
    filename: str, function: str, package: str
) -> None:
    assert package_of(filename, function).startswith(package)
