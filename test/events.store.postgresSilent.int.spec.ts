// A PostgreSQL URL that reaches something that takes the connection and never answers: another service on that port,
// a frozen server. pg itself waits for its first message without limit, so a command would hang without a word.
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../events/adapters/storeUnavailableError.js';
import { openEventStore } from '../events/openEventStore.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, connectTimeoutMs } from '../events/adapters/postgresStore.js';

const sockets = new Set<Socket>();
let server: Server;
let port = 0;

beforeAll(async () => {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('a PostgreSQL server that takes the connection and never answers', () => {
  it("is given up after the URL's connect_timeout, as StoreUnavailableError naming the store", async () => {
    const url = `postgres://quant@127.0.0.1:${port}/funds?connect_timeout=2`;
    const started = performance.now();
    const e = await openEventStore(url).then(
      () => null,
      (err: unknown) => err,
    );
    const waited = performance.now() - started;
    expect(e).toBeInstanceOf(StoreUnavailableError);
    expect((e as Error).message).toContain(`127.0.0.1:${port}/funds`);
    expect((e as Error).message).toMatch(/no answer within the connect timeout \(connect_timeout in the URL, else 30 s\)/);
    expect(waited).toBeGreaterThanOrEqual(1900);
    expect(waited).toBeLessThan(10_000);
  }, 20_000);

  it('waits 30 s without connect_timeout, as libpq reads it otherwise (seconds, at least 2; 0 or less: no limit)', () => {
    expect(DEFAULT_CONNECT_TIMEOUT_MS).toBe(30_000);
    expect(connectTimeoutMs('postgres://u@h/db')).toBe(30_000);
    expect(connectTimeoutMs('postgres://u@h/db?connect_timeout=10')).toBe(10_000);
    expect(connectTimeoutMs('postgres://u@h/db?connect_timeout=1')).toBe(2_000);
    expect(connectTimeoutMs('postgres://u@h/db?connect_timeout=0')).toBe(0);
    expect(connectTimeoutMs('postgres://u@h/db?connect_timeout=-5')).toBe(0);
  });
});
