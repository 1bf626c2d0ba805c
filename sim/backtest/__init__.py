"""Backtesting a calibrated twin against an order log's history: the holdout comparison
(:mod:`.holdout`) and its report (:mod:`.report`); ``ordertwin-backtest`` is the command."""
