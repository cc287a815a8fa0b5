"""The built-in channels, one package each: a handler, its transport and what only it needs.

Nothing in the framework core imports a channel; a channel imports the core.
"""
