"""Which scenario a convergence step is in, as the core detects it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional

from . import _codec
from .errors import Diagnostic
from .legacy import plain


@dataclass(frozen=True)
class BatchAggregationScenario:
    """The convergence step's scenario (upstream's names): ``no_batches`` when the batchable
    step's outcome says so, even though its ``_000`` placeholder worker ran; otherwise
    ``with_batches`` with every dependency named ``{worker_prefix}...`` as a worker.

    ``batchable_result`` and ``batch_results`` are the results exactly as given (a
    ``{"result": ...}`` wrapper is kept; the core's aggregation unwraps it).
    """

    is_no_batches: bool
    batchable_result: Any
    batch_results: Dict[str, Any]
    worker_count: int
    scenario: str = "with_batches"
    batchable_step_name: str = ""
    outcome: Optional[Dict[str, Any]] = None
    worker_names: List[str] = field(default_factory=list)
    warnings: List[Diagnostic] = field(default_factory=list)

    @classmethod
    def detect(
        cls, dependency_results: Mapping[str, Any], batchable_step_name: str, worker_prefix: str
    ) -> "BatchAggregationScenario":
        """Detects the scenario. Raises :class:`~tasker_batch.ValidationError` when the
        batchable step is missing (``Missing batchable step dependency: analyze_csv``) or a
        ``create_batches`` outcome has no worker results."""
        request = {
            "dependency_results": {name: plain(result) for name, result in dependency_results.items()},
            "batchable_step_name": batchable_step_name,
            "worker_prefix": worker_prefix,
        }
        value, warnings = _codec.call_value(b"detect_scenario", request)
        return cls(
            is_no_batches=value["scenario"] == "no_batches",
            batchable_result=value["batchable_result"],
            batch_results=value["batch_results"],
            worker_count=value["worker_count"],
            scenario=value["scenario"],
            batchable_step_name=value["batchable_step_name"],
            outcome=value["outcome"],
            worker_names=value["worker_names"],
            warnings=warnings,
        )

    def no_batches(self) -> bool:
        """True in the ``no_batches`` scenario (Ruby's ``no_batches?``)."""
        return self.is_no_batches

    def with_batches(self) -> bool:
        """True in the ``with_batches`` scenario (Ruby's ``with_batches?``)."""
        return not self.is_no_batches
