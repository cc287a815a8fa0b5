"""The Tasks backend: rides on Django's Tasks framework, any of its backends, many workers.

* :mod:`.compat`: ``django.tasks`` on Django 6.x, the ``django_tasks`` backport on 5.2;
* :mod:`.rides`: a ride's token, enqueue a ride, claim it, the next ride, launch and stop;
* :mod:`.jobs`: the task functions the workers run (a ride, the watchdog);
* :mod:`.recovery`: runs whose heartbeat stopped, the watchdog, ``recover()``;
* :mod:`.backend`: :class:`~.backend.TasksBackend`, what :mod:`taskmanager.execution.current` hands out;
* :mod:`.checks`: what ``manage.py check`` says of its settings.

Importing this package imports nothing: :mod:`.compat` fails without a Tasks framework.
"""
