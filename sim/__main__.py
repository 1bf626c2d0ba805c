"""``python -m sim``: the same as the ``ordertwin`` command."""

from sim.cli.run import main

if __name__ == "__main__":
    main()
