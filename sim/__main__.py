"""``python -m sim``: the same as the ``ordertwin`` command."""

from sim.cli import main

main()
