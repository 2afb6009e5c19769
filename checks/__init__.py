"""Executable standards of the Backend Engineering Handbook.

The package holds the rule registry loader, the shared findings model, the
check engines, the reporters and the `handbook` command line.
"""

__version__ = "0.1.0"
