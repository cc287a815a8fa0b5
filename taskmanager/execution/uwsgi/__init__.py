"""The uWSGI backend: spool files (:mod:`.spoolfiles`), a task's rides (:mod:`.rides`), the
spooler's jobs (:mod:`.jobs`) and recovery after a crash (:mod:`.recovery`).

Nothing is imported here: :mod:`.spoolfiles` must load before Django is set up.
"""
