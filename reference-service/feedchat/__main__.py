"""``python -m feedchat``: run the service, or print a development token."""

from feedchat.cli import main

main(prog_name="python -m feedchat")
