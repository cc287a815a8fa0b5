"""Where runs happen: a small backend interface and its backends.

* :mod:`.backend`: what a backend offers (launch, stop, recover) and how to write one;
* :mod:`.current`: the backend in use;
* :mod:`.running`: run a task in this process and notify; close a run cut short;
* :mod:`.checks`: what ``manage.py check`` says of the backend settings;
* :mod:`.uwsgi`: the default backend, uWSGI's spooler (the calling process without one);
* :mod:`.tasks`: Django's Tasks framework, many workers, each ride once;
* :mod:`.inline`: the calling process, now.

This package's ``__init__`` imports nothing: uWSGI loads :mod:`.uwsgi.spoolfiles`
before Django is set up.
"""
