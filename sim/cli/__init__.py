"""The ``ordertwin*`` commands, one module each, each a thin argparse or Hydra parser over a
library function: :mod:`.run` (``ordertwin``), :mod:`.report`, :mod:`.calibrate`,
:mod:`.backtest`, :mod:`.train` and :mod:`.tune`; :mod:`.errors` holds the one-line error
printing and the exit codes they share. Nothing here runs at import."""
