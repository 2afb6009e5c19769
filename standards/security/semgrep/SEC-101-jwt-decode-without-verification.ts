import jwt from 'jsonwebtoken';
import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';

export function userOf(token: string) {
  // ruleid: jwt-decode-without-verification.typescript
  const claims = jwt.decode(token) as { sub: string };
  return claims.sub;
}

export function subjectOf(header: string) {
  // ruleid: jwt-decode-without-verification.typescript
  return decodeJwt(header.slice(7)).sub;
}

export function verifiedUser(token: string, secret: string) {
  // ok: jwt-decode-without-verification.typescript
  return jwt.verify(token, secret, { algorithms: ['HS256'] });
}

export async function verifiedSubject(token: string, key: CryptoKey) {
  // ok: jwt-decode-without-verification.typescript
  const { payload } = await jwtVerify(token, key, { algorithms: ['ES256'] });
  return payload.sub;
}

export async function subjectAndExpiry(token: string, key: CryptoKey) {
  await jwtVerify(token, key, { algorithms: ['ES256'] });
  // The signature was verified above in this function.
  // ok: jwt-decode-without-verification.typescript
  return decodeJwt(token).exp;
}

export function kidOf(token: string) {
  // ok: jwt-decode-without-verification.typescript
  return decodeProtectedHeader(token).kid;
}
