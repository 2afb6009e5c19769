import jwt from 'jsonwebtoken';
import { decodeProtectedHeader, jwtVerify } from 'jose';

const verifyOptions = { algorithms: ['RS256'] as jwt.Algorithm[] };

export function defaults(token: string, secret: string) {
  // ruleid: jwt-algorithms-pinned.typescript
  return jwt.verify(token, secret);
}

export function optionsWithoutList(token: string, secret: string) {
  // ruleid: jwt-algorithms-pinned.typescript
  return jwt.verify(token, secret, { audience: 'feedchat' });
}

export function callback(token: string, secret: string) {
  // ruleid: jwt-algorithms-pinned.typescript
  jwt.verify(token, secret, (err, decoded) => console.debug(err, decoded));
}

export function allowsNone(token: string, secret: string) {
  // ruleid: jwt-algorithms-pinned.typescript
  return jwt.verify(token, secret, { algorithms: ['HS256', 'none'] });
}

export function unsigned(claims: object) {
  // ruleid: jwt-algorithms-pinned.typescript
  return jwt.sign(claims, '', { algorithm: 'none' });
}

export async function trustsHeader(token: string, key: CryptoKey) {
  // ruleid: jwt-algorithms-pinned.typescript
  return jwtVerify(token, key, { algorithms: [decodeProtectedHeader(token).alg] });
}

export async function joseDefaults(token: string, key: CryptoKey) {
  // ruleid: jwt-algorithms-pinned.typescript
  return jwtVerify(token, key, { issuer: 'https://id.example.com' });
}

export function pinned(token: string, secret: string) {
  // ok: jwt-algorithms-pinned.typescript
  return jwt.verify(token, secret, { algorithms: ['HS256'], audience: 'feedchat' });
}

export function sharedOptions(token: string, publicKey: string) {
  // ok: jwt-algorithms-pinned.typescript
  return jwt.verify(token, publicKey, verifyOptions);
}

export async function josePinned(token: string, key: CryptoKey) {
  // ok: jwt-algorithms-pinned.typescript
  return jwtVerify(token, key, { algorithms: ['ES256'], issuer: 'https://id.example.com' });
}

export function signs(claims: object, secret: string) {
  // ok: jwt-algorithms-pinned.typescript
  return jwt.sign(claims, secret, { algorithm: 'HS256', expiresIn: '15m' });
}
