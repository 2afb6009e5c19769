"""Feedchat: the handbook's reference service, a small feed-and-chat API written to ``openapi.yaml``."""

__version__ = "1.0.0"
