import { randomBytes, randomUUID } from 'node:crypto';

export function resetLink(userId: string) {
  // ruleid: secure-randomness-for-secrets.typescript
  const token = Math.random().toString(36).slice(2);
  return `https://app.example.com/reset?user=${userId}&token=${token}`;
}

export function generateOtp() {
  // ruleid: secure-randomness-for-secrets.typescript
  return String(Math.floor(Math.random() * 1_000_000)).padStart(6, '0');
}

export function resetLinkOk(userId: string) {
  // ok: secure-randomness-for-secrets.typescript
  const token = randomBytes(32).toString('base64url');
  return `https://app.example.com/reset?user=${userId}&token=${token}`;
}

export function requestId() {
  // ok: secure-randomness-for-secrets.typescript
  return randomUUID();
}

export function backoff(attempt: number) {
  // ok: secure-randomness-for-secrets.typescript
  return Math.min(30_000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
}
