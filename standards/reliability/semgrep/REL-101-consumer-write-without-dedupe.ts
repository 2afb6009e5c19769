import Redis from "ioredis";
import { Collection } from "mongodb";

const redis = new Redis();

async function consumeBad(notifications: Collection): Promise<void> {
  const batch = await redis.xreadgroup("GROUP", "workers", "w1", "COUNT", 10, "STREAMS", "events", ">");
  for (const [, messages] of batch as [string, [string, string[]][]][]) {
    for (const [id, fields] of messages) {
      const event = JSON.parse(fields[1]);
      // ruleid: consumer-write-without-dedupe.typescript
      await notifications.insertOne({ user: event.follower, post: event.postId });
      await redis.xack("events", "workers", id);
    }
  }
}

async function consumeOk(notifications: Collection): Promise<void> {
  const batch = await redis.xreadgroup("GROUP", "workers", "w1", "COUNT", 10, "STREAMS", "events", ">");
  for (const [, messages] of batch as [string, [string, string[]][]][]) {
    for (const [id, fields] of messages) {
      const event = JSON.parse(fields[1]);
      // ok: consumer-write-without-dedupe.typescript
      await notifications.insertOne({ _id: `${event.id}:${event.follower}`, post: event.postId });
      await redis.xack("events", "workers", id);
    }
  }
}

async function createPost(posts: Collection, title: string): Promise<void> {
  // ok: consumer-write-without-dedupe.typescript
  await posts.insertOne({ title });
}
