"""Files the commands write: run dirs (:mod:`.run_files`), order logs (:mod:`.order_log`), and
calibration output (:mod:`.calibration_files`), each written under a temporary name and renamed
into place so that an interrupted command never leaves a file that looks finished."""
