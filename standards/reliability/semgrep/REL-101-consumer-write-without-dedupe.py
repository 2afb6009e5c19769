import json

import redis
from pymongo import MongoClient

r = redis.Redis()
db = MongoClient()["app"]


def consume_bad() -> None:
    for _stream, messages in r.xreadgroup("workers", "w1", {"events": ">"}, count=10, block=1000):
        for message_id, fields in messages:
            event = json.loads(fields[b"event"])
            # ruleid: consumer-write-without-dedupe.python
            db.notifications.insert_one({"user": event["follower"], "post": event["post_id"]})
            r.xack("events", "workers", message_id)


def consume_ok() -> None:
    for _stream, messages in r.xreadgroup("workers", "w1", {"events": ">"}, count=10, block=1000):
        for message_id, fields in messages:
            event = json.loads(fields[b"event"])
            # ok: consumer-write-without-dedupe.python
            db.notifications.insert_one({"_id": f"{event['id']}:{event['follower']}", "post": event["post_id"]})
            r.xack("events", "workers", message_id)


def create_post(title: str) -> None:
    # ok: consumer-write-without-dedupe.python
    db.posts.insert_one({"title": title})
