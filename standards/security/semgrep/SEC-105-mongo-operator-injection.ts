import { Body, Controller, Post, Query } from '@nestjs/common';
import { Hono } from 'hono';
import express from 'express';
import { ObjectId } from 'mongodb';
import { z } from 'zod';

const app = express();
const hono = new Hono();
const Search = z.object({ name: z.string() });

app.post('/v1/search', async (req, res) => {
  // ruleid: mongo-operator-injection.typescript
  res.json(await users.find(req.body).limit(20).toArray());
});

app.post('/v1/login', async (req, res) => {
  // ruleid: mongo-operator-injection.typescript
  const user = await users.findOne({ name: req.body.name, password: req.body.password });
  res.json({ ok: user !== null });
});

app.get('/v1/users', async (req, res) => {
  // ruleid: mongo-operator-injection.typescript
  res.json(await users.find({ team: req.query.team }).limit(20).toArray());
});

hono.post('/v1/search', async (c) => {
  const body = await c.req.json();
  // ruleid: mongo-operator-injection.typescript
  return c.json(await users.find({ name: body.name }).limit(20).toArray());
});

@Controller('v1/users')
export class UsersController {
  @Post('search')
  async search(@Body() body: any) {
    // ruleid: mongo-operator-injection.typescript
    return users.find(body).limit(20).toArray();
  }

  @Post('count')
  async count(@Query() query: Record<string, string>) {
    // ruleid: mongo-operator-injection.typescript
    return users.countDocuments(query);
  }

  @Post('safe')
  async safe(@Body() body: any) {
    // ok: mongo-operator-injection.typescript
    return users.find({ name: String(body.name) }).limit(20).toArray();
  }
}

app.post('/v1/login/safe', async (req, res) => {
  // ok: mongo-operator-injection.typescript
  const user = await users.findOne({ name: { $eq: req.body.name } });
  res.json({ ok: user !== null });
});

hono.post('/v1/search/validated', async (c) => {
  const search = Search.parse(await c.req.json());
  // ok: mongo-operator-injection.typescript
  return c.json(await users.find({ name: search.name }).limit(20).toArray());
});

hono.get('/v1/posts/:id', async (c) => {
  // ok: mongo-operator-injection.typescript
  return c.json(await posts.findOne({ _id: new ObjectId(c.req.param('id')) }));
});
