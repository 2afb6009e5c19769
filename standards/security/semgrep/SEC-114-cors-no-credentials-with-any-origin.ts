import { NestFactory } from '@nestjs/core';
import { cors } from 'hono/cors';

export async function bootstrap(AppModule: unknown) {
  const app = await NestFactory.create(AppModule);
  // ruleid: cors-no-credentials-with-any-origin.typescript
  app.enableCors({ origin: true, credentials: true });
  // ok: cors-no-credentials-with-any-origin.typescript
  app.enableCors({ origin: ['https://app.example.com'], credentials: true });
  return app;
}

// ruleid: cors-no-credentials-with-any-origin.typescript
export const reflecting = cors({ origin: (origin) => origin, credentials: true });

// ok: cors-no-credentials-with-any-origin.typescript
export const publicApi = cors({ origin: '*', allowMethods: ['GET'] });
