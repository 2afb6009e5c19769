async function fetchForever(url: string): Promise<Response> {
  // ruleid: retry-without-backoff.typescript
  while (true) {
    try {
      return await fetch(url, { signal: AbortSignal.timeout(5000) });
    } catch (err) {
      console.warn("retrying", err);
    }
  }
}

async function fetchFiveTimes(url: string): Promise<Response | undefined> {
  // ruleid: retry-without-backoff.typescript
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      return await fetch(url, { signal: AbortSignal.timeout(5000) });
    } catch (err) {
      continue;
    }
  }
  return undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function fetchWithBackoff(url: string): Promise<Response> {
  // ok: retry-without-backoff.typescript
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetch(url, { signal: AbortSignal.timeout(5000) });
    } catch (err) {
      if (attempt >= 5) {
        throw err;
      }
    }
    await sleep(Math.random() * Math.min(10_000, 100 * 2 ** attempt));
  }
}

async function parseFirst(lines: string[]): Promise<number | undefined> {
  // ok: retry-without-backoff.typescript
  for (let i = 0; i < lines.length; i++) {
    try {
      return JSON.parse(lines[i]);
    } catch (err) {
      throw new Error(`line ${i}: ${err}`);
    }
  }
  return undefined;
}

function firstNumber(lines: string[]): number | undefined {
  // ok: retry-without-backoff.typescript
  for (const line of lines) {
    try {
      return JSON.parse(line);
    } catch (err) {
      continue;
    }
  }
  return undefined;
}
