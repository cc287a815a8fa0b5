"""System checks of the taskmanager app (ids ``taskmanager.E0xx`` / ``W0xx``)."""
