// A PostgreSQL server that asks for a password (SCRAM, the default since PostgreSQL 14) of a URL that gives none. The
// test clusters trust every local connection, so a stand-in speaks the protocol's first messages: it asks for
// SCRAM-SHA-256, then answers the client's first SCRAM message, where the client finds it has no password to go on.
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreConfigError } from '../events/errors.js';
import { openEventStore } from '../events/openEventStore.js';
import { runCli } from './fixtures/cliRun.js';

/** One protocol message: its type byte, its length (itself included) and its body. */
function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

function authentication(code: number, rest: Buffer): Buffer {
  const c = Buffer.alloc(4);
  c.writeInt32BE(code);
  return message('R', Buffer.concat([c, rest]));
}

/** Answers the startup message with AuthenticationSASL, and the client's SASLInitialResponse with SASLContinue. */
function scramAsker(socket: Socket): void {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
  let started = false;
  socket.on('error', () => undefined);
  socket.on('data', () => {
    if (!started) {
      started = true;
      socket.write(authentication(10, Buffer.from('SCRAM-SHA-256\0\0', 'latin1')));
    } else {
      socket.write(authentication(11, Buffer.from('r=abc,s=c2FsdA==,i=4096', 'latin1')));
    }
  });
}

const sockets = new Set<Socket>();
let server: Server;
let port = 0;
const savedPassword = process.env.PGPASSWORD;

beforeAll(async () => {
  // pg reads PGPASSWORD when the URL has no password: the case here is neither.
  delete process.env.PGPASSWORD;
  server = createServer(scramAsker);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  if (savedPassword !== undefined) process.env.PGPASSWORD = savedPassword;
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('a PostgreSQL server that asks for a password the URL does not give', () => {
  it('is a StoreConfigError naming the store and saying what is missing, for no password and for an empty one', async () => {
    for (const url of [`postgres://quant@127.0.0.1:${port}/funds`, `postgres://quant:@127.0.0.1:${port}/funds`]) {
      const e = await openEventStore(url).then(
        () => null,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(StoreConfigError);
      const text = (e as Error).message;
      expect(text).toContain(`127.0.0.1:${port}/funds`);
      expect(text).toMatch(/asks for a password/);
      expect(text).toMatch(/PGPASSWORD/);
      expect(text).not.toMatch(/SASL|SCRAM-SERVER/);
    }
  });

  it('ends replay and backtest with exit 2 and one line naming the store, as a wrong password does', async () => {
    const url = `postgres://quant@127.0.0.1:${port}/funds`;
    for (const args of [
      ['replay', '--store', url],
      ['backtest', '--config', 'examples/demo-portfolio.json', '--bars', 'examples/prices.csv', '--store', url],
    ]) {
      const r = await runCli(...args);
      expect(r.code, r.err).toBe(2);
      const lines = r.err.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^stratafolio: event store postgres:\/\/quant@127\.0\.0\.1:\d+\/funds asks for a password/);
    }
  });
});
