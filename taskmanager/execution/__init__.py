"""Where runs happen: a small backend interface (:mod:`.backend`) and its backends.

The default backend, :mod:`.uwsgi`, runs tasks on uWSGI's spooler when the process
has one, and in the calling process otherwise (:mod:`.running`). This package's
``__init__`` imports nothing: uWSGI loads :mod:`.uwsgi.spoolfiles` before Django is set up.
"""
