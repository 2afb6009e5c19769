"""``python -m feedchat.reliability``: the worker, relay and dlq commands."""

from feedchat.reliability.cli import main

main(prog_name="python -m feedchat.reliability")
