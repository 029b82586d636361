"""Flags, percentage rollout and experiments."""
