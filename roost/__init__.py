"""Roost: self-hosted X (Twitter) user trackers with a Tweet Binder-compatible API."""

__version__ = "0.1.0"
