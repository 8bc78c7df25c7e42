"""Sub-commands of ``python -m planning``."""
