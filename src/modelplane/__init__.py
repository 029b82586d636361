"""modelplane: a control plane for LLM model catalogues and auto-router dials."""

__version__ = "0.1.0"
