"""Tuning a policy's (or a scenario's) parameters with optuna under common random numbers:
the search and its honest re-check live in :mod:`.search`; ``ordertwin-tune`` is the command."""
