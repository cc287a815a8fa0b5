"""Where runs happen: a small backend interface and its backends.

* :mod:`.backend`: what a backend offers (launch, stop, recover) and how to write one;
* :mod:`.current`: the backend in use;
* :mod:`.running`: run a task in this process and notify; close a run cut short;
* :mod:`.uwsgi`: the default backend, uWSGI's spooler (the calling process without one).

This package's ``__init__`` imports nothing: uWSGI loads :mod:`.uwsgi.spoolfiles`
before Django is set up.
"""
