import Redis from "ioredis";

const redis = new Redis();

async function consumeBad(messages: [string, string[]][]): Promise<void> {
  for (const [id, fields] of messages) {
    // ruleid: ack-before-processing.typescript
    await redis.xack("events", "workers", id);
    await handle(fields);
  }
}

async function onMessageBad(msg: { ack(): Promise<void>; data: Uint8Array }): Promise<void> {
  // ruleid: ack-before-processing.typescript
  await msg.ack();
  await storeEvent(msg.data);
}

async function consumeOk(messages: [string, string[]][]): Promise<void> {
  for (const [id, fields] of messages) {
    await handle(fields);
    // ok: ack-before-processing.typescript
    await redis.xack("events", "workers", id);
  }
}

async function onMessageOk(msg: { ack(): Promise<void>; data: Uint8Array }): Promise<void> {
  await storeEvent(msg.data);
  // ok: ack-before-processing.typescript
  await msg.ack();
}

async function handle(fields: string[]): Promise<void> {}
async function storeEvent(data: Uint8Array): Promise<void> {}
