"""The demo's app: four sample commands, one per report result, and the demo's helpers."""
