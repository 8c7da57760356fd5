"""The engine: a prioritised, cancellable worker pool (``scheduler``) and the object front ends
drive (``engine``: plan + store + scheduler for one project)."""

from __future__ import annotations

from core.engine.engine import Engine, EngineSnapshot, EngineStats, PlanChanged
from core.engine.scheduler import Scheduler

__all__ = ["Engine", "EngineSnapshot", "EngineStats", "PlanChanged", "Scheduler"]
