"""The uWSGI backend (:mod:`.backend`) and its parts, each importing only those listed before it:

* :mod:`.spoolfiles`: uWSGI's spool files and spooler, no database (loads before Django is set up);
* :mod:`.rides`: a task's rides: spool, launch, stop, claim, the next ride after a run;
* :mod:`.recovery`: put right what a dead spooler or a lost spool directory left;
* :mod:`.jobs`: what the spooler runs for our spool files (a ride, a resend).

uWSGI's entry point is :mod:`taskmanager.spooler`. Nothing is imported here.
"""
