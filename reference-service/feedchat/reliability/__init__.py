"""Distributed reliability: transactional outbox, Redis Streams relay, idempotent workers and dead letters.

The flow is ``outbox`` (MongoDB) → :mod:`~feedchat.reliability.relay` → Redis stream → consumer-group
:mod:`~feedchat.reliability.workers` → effects, or the dead-letter stream (:mod:`~feedchat.reliability.dlq`).
"""
