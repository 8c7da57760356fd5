"""The final render: cached closed-GOP export segments joined by stream copy (``render``), and
the segments themselves (``segments``)."""

from __future__ import annotations

from core.export.render import ExportOptions, ExportProgress, ExportResult, OutputExistsError, export, export_size

__all__ = ["ExportOptions", "ExportProgress", "ExportResult", "OutputExistsError", "export", "export_size"]
