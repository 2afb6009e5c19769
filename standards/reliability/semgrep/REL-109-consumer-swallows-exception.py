import logging

import redis

log = logging.getLogger(__name__)
r = redis.Redis()


def consume_bad(handle) -> None:
    for _stream, messages in r.xreadgroup("workers", "w1", {"events": ">"}, count=10, block=1000):
        for message_id, fields in messages:
            # ruleid: consumer-swallows-exception.python
            try:
                handle(fields)
            except Exception:
                log.exception("handler failed")
            r.xack("events", "workers", message_id)


def consume_bad_pass(handle) -> None:
    batch = r.xreadgroup("workers", "w1", {"events": ">"}, count=10, block=1000)
    for _stream, messages in batch:
        for message_id, fields in messages:
            # ruleid: consumer-swallows-exception.python
            try:
                handle(fields)
            except ValueError:
                pass
            r.xack("events", "workers", message_id)


def consume_ok(handle, record_failure) -> None:
    for _stream, messages in r.xreadgroup("workers", "w1", {"events": ">"}, count=10, block=1000):
        for message_id, fields in messages:
            # ok: consumer-swallows-exception.python
            try:
                handle(fields)
            except Exception as exc:
                record_failure(message_id, fields, exc)
                continue
            r.xack("events", "workers", message_id)


def parse_ok(text: str) -> int:
    # ok: consumer-swallows-exception.python
    try:
        return int(text)
    except ValueError:
        pass
    return 0
