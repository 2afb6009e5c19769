import { Logger } from '@nestjs/common';
import type { Request } from 'express';

const logger = new Logger('auth');

export function onRequest(req: Request) {
  // ruleid: no-secrets-in-logs.typescript
  console.log('incoming', req.method, req.headers);
  // ruleid: no-secrets-in-logs.typescript
  logger.debug(`auth header ${req.headers.authorization}`);
}

export function login(username: string, password: string) {
  // ruleid: no-secrets-in-logs.typescript
  logger.warn(`login failed for ${username} with ${password}`);
}

export function onRequestOk(req: Request, userId: string) {
  // ok: no-secrets-in-logs.typescript
  logger.log(`${req.method} ${req.path} by ${userId}`);
}

export function refreshed(userId: string, tokenId: string) {
  // ok: no-secrets-in-logs.typescript
  console.info('token refreshed', { userId, tokenId });
}
