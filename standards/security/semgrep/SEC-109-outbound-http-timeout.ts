import axios from 'axios';

export async function profile(id: string) {
  // ruleid: outbound-http-timeout.typescript
  const res = await fetch(`https://profiles.internal/v1/users/${id}`);
  return res.json();
}

export async function notify(payload: object) {
  // ruleid: outbound-http-timeout.typescript
  await fetch('https://hooks.internal/v1/events', { method: 'POST', body: JSON.stringify(payload) });
}

export async function legacy(id: string) {
  // ruleid: outbound-http-timeout.typescript
  return (await axios.get(`https://profiles.internal/v1/users/${id}`)).data;
}

// ruleid: outbound-http-timeout.typescript
export const client = axios.create({ baseURL: 'https://profiles.internal' });

export async function profileOk(id: string) {
  // ok: outbound-http-timeout.typescript
  const res = await fetch(`https://profiles.internal/v1/users/${id}`, { signal: AbortSignal.timeout(5000) });
  return res.json();
}

export async function legacyOk(id: string) {
  // ok: outbound-http-timeout.typescript
  return (await axios.get(`https://profiles.internal/v1/users/${id}`, { timeout: 5000 })).data;
}

// ok: outbound-http-timeout.typescript
export const clientOk = axios.create({ baseURL: 'https://profiles.internal', timeout: 5000 });
