"""Template-driven notifications: a handler pairs a transport with per-level templates."""
