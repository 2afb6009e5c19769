import Redis from "ioredis";

const redis = new Redis();

async function consumeBad(handle: (fields: string[]) => Promise<void>): Promise<void> {
  const batch = await redis.xreadgroup("GROUP", "workers", "w1", "COUNT", 10, "STREAMS", "events", ">");
  for (const [, messages] of batch as [string, [string, string[]][]][]) {
    for (const [id, fields] of messages) {
      // ruleid: consumer-swallows-exception.typescript
      try {
        await handle(fields);
      } catch (err) {
        console.error("handler failed", err);
      }
      await redis.xack("events", "workers", id);
    }
  }
}

async function consumeOk(
  handle: (fields: string[]) => Promise<void>,
  recordFailure: (id: string, err: unknown) => Promise<void>,
): Promise<void> {
  const batch = await redis.xreadgroup("GROUP", "workers", "w1", "COUNT", 10, "STREAMS", "events", ">");
  for (const [, messages] of batch as [string, [string, string[]][]][]) {
    for (const [id, fields] of messages) {
      // ok: consumer-swallows-exception.typescript
      try {
        await handle(fields);
        await redis.xack("events", "workers", id);
      } catch (err) {
        await recordFailure(id, err);
      }
    }
  }
}

function parseOk(text: string): number {
  // ok: consumer-swallows-exception.typescript
  try {
    return JSON.parse(text);
  } catch (err) {
    console.warn("not JSON", err);
  }
  return 0;
}

async function kafkaBad(consumer: { run(opts: object): Promise<void> }, save: (v: unknown) => Promise<void>) {
  await consumer.run({
    eachMessage: async ({ message }: { message: { value: Buffer } }) => {
      // ruleid: consumer-swallows-exception.typescript
      try {
        await save(JSON.parse(message.value.toString()));
      } catch (err) {}
    },
  });
}
