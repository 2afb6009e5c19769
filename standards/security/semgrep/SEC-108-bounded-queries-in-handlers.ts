import express from 'express';
import { Controller, Get } from '@nestjs/common';

const app = express();

app.get('/v1/posts', async (req, res) => {
  // ruleid: bounded-queries-in-handlers.typescript
  res.json(await posts.find({ deleted: false }).toArray());
});

app.get('/v1/posts/page', async (req, res) => {
  // ok: bounded-queries-in-handlers.typescript
  res.json(await posts.find({ deleted: false }).sort({ _id: -1 }).limit(50).toArray());
});

app.get('/v1/posts/options', async (req, res) => {
  // ok: bounded-queries-in-handlers.typescript
  res.json(await posts.find({ deleted: false }, { limit: 50 }).toArray());
});

app.get('/v1/users/:id', async (req, res) => {
  // Array.prototype.find is not a query.
  // ok: bounded-queries-in-handlers.typescript
  const user = cache.find((u) => u.id === req.params.id);
  res.json(user);
});

@Controller('v1/users')
export class UsersController {
  @Get()
  async all() {
    // ruleid: bounded-queries-in-handlers.typescript
    return users.find({}).toArray();
  }

  @Get('page')
  async page() {
    // ok: bounded-queries-in-handlers.typescript
    return users.find({}).limit(50).toArray();
  }
}

export async function exportAll() {
  // ok: bounded-queries-in-handlers.typescript
  return users.find({}).toArray();
}
