"""Calibration: from a company's order log to a scenario that reproduces it.

Reading the log strictly (:mod:`.order_log`), dropping rows that cannot be real orders
(:mod:`.quality`), putting it on the engine's clock (:mod:`.clock`), fitting demand, mixes, the
network and durations (:mod:`.demand`, :mod:`.mix`, :mod:`.network`, :mod:`.durations`,
:mod:`.shipping`), and assembling a validated scenario with its fit report (:mod:`.calibrate`,
:mod:`.report`). Plain data in and out: nothing here imports ``sim`` or Hydra.
"""
