"""Monitoring policies, one per module."""
