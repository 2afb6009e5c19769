import jwt from 'jsonwebtoken';
import { SignJWT } from 'jose';
import { JwtModule } from '@nestjs/jwt';

// ruleid: no-hardcoded-signing-keys.typescript
const JWT_SECRET = 'super-secret-signing-key';
// ok: no-hardcoded-signing-keys.typescript
const JWT_SECRET_VAR = 'JWT_SECRET';
// ok: no-hardcoded-signing-keys.typescript
const apiKey = process.env.API_KEY ?? '';

export function mint(sub: string) {
  // ruleid: no-hardcoded-signing-keys.typescript
  return jwt.sign({ sub }, 'dev-secret', { algorithm: 'HS256', expiresIn: '15m' });
}

export async function mintJose(sub: string) {
  // ruleid: no-hardcoded-signing-keys.typescript
  const key = new TextEncoder().encode('a-shared-hmac-secret');
  return new SignJWT({ sub }).setProtectedHeader({ alg: 'HS256' }).sign(key);
}

export const auth = JwtModule.register({
  // ruleid: no-hardcoded-signing-keys.typescript
  secret: 'nest-secret-value',
  signOptions: { expiresIn: '15m' },
});

export const authFromEnv = JwtModule.register({
  // ok: no-hardcoded-signing-keys.typescript
  secret: process.env.JWT_SECRET,
  signOptions: { expiresIn: '15m' },
});

export function mintFromEnv(sub: string) {
  // ok: no-hardcoded-signing-keys.typescript
  return jwt.sign({ sub }, process.env.JWT_SECRET as string, { algorithm: 'HS256', expiresIn: '15m' });
}

export function encodeText(text: string) {
  // ok: no-hardcoded-signing-keys.typescript
  return new TextEncoder().encode(text);
}

export { JWT_SECRET, JWT_SECRET_VAR, apiKey };
