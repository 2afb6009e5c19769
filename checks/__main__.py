"""The ``handbook`` console script (also ``python -m checks``).

The cyclic garbage collector is paused while the command line's modules load: importing creates
many long-lived objects and no garbage, so collections then would only walk them. What the imports
created is moved out of the collector's way (``gc.freeze``) before the command runs.
"""

from __future__ import annotations

import gc


def main() -> None:
    """Load the command line with the collector paused, then run it."""
    gc.disable()
    from checks.cli import entry

    gc.freeze()
    gc.enable()
    entry()


if __name__ == "__main__":
    main()
