import express from 'express';
import { Controller, Get, Query } from '@nestjs/common';
import escapeRegExp from 'lodash/escapeRegExp';

const app = express();

app.get('/v1/users', async (req, res) => {
  // ruleid: mongo-regex-from-input.typescript
  res.json(await users.find({ name: { $regex: req.query.q as string, $options: 'i' } }).limit(20).toArray());
});

app.get('/v1/posts', async (req, res) => {
  // ruleid: mongo-regex-from-input.typescript
  res.json(await posts.find({ title: new RegExp(String(req.query.q)) }).limit(20).toArray());
});

@Controller('v1/users')
export class UsersController {
  @Get()
  async search(@Query('q') q: string) {
    // ruleid: mongo-regex-from-input.typescript
    return users.find({ name: { $regex: `^${q}` } }).limit(20).toArray();
  }

  @Get('prefix')
  async prefix(@Query('q') q: string) {
    // ok: mongo-regex-from-input.typescript
    return users.find({ name: { $regex: `^${escapeRegExp(q)}` } }).limit(20).toArray();
  }
}

app.get('/v1/users/example', async (req, res) => {
  // ok: mongo-regex-from-input.typescript
  res.json(await users.find({ email: { $regex: /@example\.com$/ } }).limit(20).toArray());
});
