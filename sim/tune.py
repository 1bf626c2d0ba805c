"""ordertwin-tune (being written)."""


def main() -> None:
    raise SystemExit("ordertwin-tune: not ready")
