"""Config schemas, their ConfigStore registration, and the checks run before simulating."""

from sim.config.validate import ConfigError, validate

__all__ = ["ConfigError", "validate"]
