import logging

import redis

log = logging.getLogger(__name__)
r = redis.Redis()


def consume_bad(handle) -> None:
    for _stream, messages in r.xreadgroup("workers", "w1", {"events": ">"}, count=10, block=1000):
        for message_id, fields in messages:
            # ruleid: ack-before-processing.python
            r.xack("events", "workers", message_id)
            handle(fields)


async def on_message_bad(msg) -> None:
    # ruleid: ack-before-processing.python
    await msg.ack()
    await store_event(msg.data)


def consume_ok(handle) -> None:
    for _stream, messages in r.xreadgroup("workers", "w1", {"events": ">"}, count=10, block=1000):
        for message_id, fields in messages:
            handle(fields)
            # ok: ack-before-processing.python
            r.xack("events", "workers", message_id)


async def on_message_ok(msg) -> None:
    await store_event(msg.data)
    # ok: ack-before-processing.python
    await msg.ack()


async def on_message_logged(msg) -> None:
    await store_event(msg.data)
    # ok: ack-before-processing.python
    await msg.ack()
    log.info("acked %s", msg.subject)


async def store_event(data: bytes) -> None:
    pass
