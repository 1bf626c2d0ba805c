"""Routing policies, one per module."""
