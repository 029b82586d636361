"""Helpers for apps that talk to a modelplane server."""

from modelplane.client.usage import RecorderStats, UsageRecorder

__all__ = ["RecorderStats", "UsageRecorder"]
