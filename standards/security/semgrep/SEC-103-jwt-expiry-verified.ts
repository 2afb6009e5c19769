import jwt from 'jsonwebtoken';
import { jwtVerify } from 'jose';

export function lenient(token: string, secret: string) {
  // ruleid: jwt-expiry-verified.typescript
  return jwt.verify(token, secret, { algorithms: ['HS256'], ignoreExpiration: true });
}

export async function forever(token: string, key: CryptoKey) {
  // ruleid: jwt-expiry-verified.typescript
  return jwtVerify(token, key, { algorithms: ['ES256'], clockTolerance: Infinity });
}

export function strict(token: string, secret: string) {
  // ok: jwt-expiry-verified.typescript
  return jwt.verify(token, secret, { algorithms: ['HS256'], ignoreExpiration: false });
}

export async function withTolerance(token: string, key: CryptoKey) {
  // ok: jwt-expiry-verified.typescript
  return jwtVerify(token, key, { algorithms: ['ES256'], clockTolerance: 60, requiredClaims: ['exp'] });
}
