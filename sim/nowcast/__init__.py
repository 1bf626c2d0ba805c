"""Now-casting from a state snapshot: per-order on-time risk over replications, and what-ifs."""
