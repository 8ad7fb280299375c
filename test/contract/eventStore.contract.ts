// The EventStore contract: one suite every adapter runs (memory, SQLite, any future one) through a small harness.
import { firstValueFrom, take, toArray, type Subscription } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  CorruptEventError,
  InvalidEventError,
  StoreClosedError,
  StoreConfigError,
  WrongExpectedRevisionError,
  canonicalJson,
  eventIdFor,
  isCorruptEventError,
  isWrongExpectedRevisionError,
  portfolioStream,
  sealEvents,
  sha256Hex,
  type EventStore,
  type RecordedEvent,
  type SealedEvent,
} from '../../events/index.js';
import { WriterLockedError } from '../../events/writerLock.js';
import { fill, genesis, reseal, sealBatch } from '../fixtures/sampleEvents.js';

/** What the contract needs from an adapter under test. */
export interface EventStoreHarness {
  /** Opens a connection to the store under test; each call is a separate connection to the same data. */
  open(): Promise<EventStore>;
  /**
   * Rewrites what is stored at `position`, behind the store's back, to simulate corruption on disk; null for a store
   * whose stored events cannot be altered at all (KurrentDB), whose corruption tests are then reported as skipped.
   */
  rewrite: ((position: number, change: (stored: { body: string; hash: string }) => { body: string; hash: string }) => Promise<void>) | null;
  /** Removes whatever the harness created. */
  dispose(): Promise<void>;
}

const P = 'pf-1';
const STREAM = portfolioStream(P);

/** Every item of a read, in order. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of iterable) out.push(x);
  return out;
}

/** The events a read delivers before it fails, and its error (null when it ends normally). */
export async function collectUntilError(iterable: AsyncIterable<RecordedEvent>): Promise<{ events: RecordedEvent[]; error: unknown }> {
  const events: RecordedEvent[] = [];
  try {
    for await (const e of iterable) events.push(e);
  } catch (error) {
    return { events, error };
  }
  return { events, error: null };
}

/** Seals `batches` batches of `size` events on portfolio `portfolioId` and returns them with the final head. */
function chain(batches: number, size: number, portfolioId = P): SealedEvent[][] {
  let head = genesis(portfolioId);
  const out: SealedEvent[][] = [];
  for (let b = 0; b < batches; b += 1) {
    const sealed = sealBatch(head, b, size);
    out.push(sealed.events);
    head = sealed.head;
  }
  return out;
}

function at<T>(xs: readonly T[], i: number): T {
  const x = xs[i];
  if (x === undefined) throw new Error(`test setup: no element ${i}`);
  return x;
}

/** Fails fast (instead of at the runner's timeout) when a subscription stops delivering. */
async function within<T>(ms: number, what: () => string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no progress after ${ms} ms: ${what()}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected the promise to reject');
}

/** Registers the contract suite for one adapter; `createHarness` gives each test a fresh, empty store. */
export function eventStoreContract(
  adapter: string,
  createHarness: () => Promise<EventStoreHarness>,
  traits: {
    readonly immutableEvents?: boolean;
    /** False for a store whose appendMany appends stream by stream (KurrentDB): a failed write keeps those before it. */
    readonly atomicAppendMany?: boolean;
  } = {},
): void {
  const atomicAppendMany = traits.atomicAppendMany ?? true;
  describe(`EventStore contract: ${adapter}`, () => {
    async function withStore(body: (store: EventStore, h: EventStoreHarness) => Promise<void>): Promise<void> {
      const h = await createHarness();
      const store = await h.open();
      try {
        await body(store, h);
      } finally {
        await store.close();
        await h.dispose();
      }
    }

    describe('append and read', () => {
      it('stores batches in order: revisions from 0 per stream, positions increasing across streams', () =>
        withStore(async (store) => {
          const [a0, a1] = chain(2, 3, 'a');
          const [b0] = chain(1, 2, 'b');
          const r1 = await store.append('portfolio-a', a0 ?? [], { expectedRevision: 'no_stream' });
          const r2 = await store.append('portfolio-b', b0 ?? [], { expectedRevision: 'no_stream' });
          const r3 = await store.append('portfolio-a', a1 ?? [], { expectedRevision: 2 });
          expect(r1.nextExpectedRevision).toBe(2);
          expect(r2.nextExpectedRevision).toBe(1);
          expect(r3.nextExpectedRevision).toBe(5);

          const all = await collect(store.readAll());
          expect(all.map((e) => `${e.stream}#${e.metadata.revision}`)).toEqual([
            'portfolio-a#0', 'portfolio-a#1', 'portfolio-a#2', 'portfolio-b#0', 'portfolio-b#1',
            'portfolio-a#3', 'portfolio-a#4', 'portfolio-a#5',
          ]);
          for (let i = 1; i < all.length; i += 1) expect(at(all, i).position).toBeGreaterThan(at(all, i - 1).position);
          // Each result names the global position of the batch's last event.
          expect([r1.position, r2.position, r3.position]).toEqual([at(all, 2).position, at(all, 4).position, at(all, 7).position]);

          const a = await collect(store.readStream('portfolio-a'));
          expect(a.map((e) => e.metadata.revision)).toEqual([0, 1, 2, 3, 4, 5]);
          expect(a.map((e) => e.data)).toEqual([...(a0 ?? []), ...(a1 ?? [])].map((e) => e.data));
          expect(a.map((e) => e.metadata.hash)).toEqual([...(a0 ?? []), ...(a1 ?? [])].map((e) => e.metadata.hash));
          expect(await store.streamRevision('portfolio-a')).toBe(5);
          expect(await store.streamRevision('portfolio-b')).toBe(1);
          expect(await store.streamRevision('portfolio-none')).toBe('no_stream');
          expect(await store.listStreams()).toEqual(['portfolio-a', 'portfolio-b']);
          expect(await collect(store.readStream('portfolio-none'))).toEqual([]);
        }));

      it('maintain, called at any point, on an empty store or between appends, changes no read and no later append', () =>
        withStore(async (store, h) => {
          await store.maintain?.();
          const batches = chain(40, 2);
          for (const [i, batch] of batches.entries()) {
            await store.append(STREAM, batch, { expectedRevision: i === 0 ? 'no_stream' : 2 * i - 1 });
            if (i % 7 === 3) await store.maintain?.();
          }
          await store.maintain?.();
          await store.maintain?.();
          const other = await h.open();
          try {
            const read = await collect(other.readStream(STREAM));
            expect(read.map((e) => e.metadata.hash)).toEqual(batches.flat().map((e) => e.metadata.hash));
            expect(await store.streamRevision(STREAM)).toBe(79);
          } finally {
            await other.close();
          }
          const [more] = chain(1, 1, 'after');
          await store.append('portfolio-after', more ?? [], { expectedRevision: 'no_stream' });
          expect((await collect(store.readAll())).length).toBe(81);
        }));

      it('lists streams in ascending string order (UTF-16 code units, as Array.prototype.sort), whatever the script', () =>
        withStore(async (store) => {
          // UTF-8 bytes would order these the other way round: U+FF5E is EF BD 9E, U+1F600 is F0 9F 98 80.
          const names = ['portfolio-\uff5e', 'portfolio-\u{1F600}', 'portfolio-a'];
          for (const [i, name] of names.entries()) {
            const [batch] = chain(1, 1, `s${i}`);
            await store.append(name, batch ?? [], { expectedRevision: 'no_stream' });
          }
          expect(await store.listStreams()).toEqual(['portfolio-a', 'portfolio-\u{1F600}', 'portfolio-\uff5e']);
        }));

      it("accepts 'any' and an exact revision, and refuses a stale or premature expectation with WrongExpectedRevisionError", () =>
        withStore(async (store) => {
          const [b0, b1, b2] = chain(3, 2);
          await store.append(STREAM, b0 ?? [], { expectedRevision: 'no_stream' });
          const e1 = await rejectionOf(store.append(STREAM, b1 ?? [], { expectedRevision: 'no_stream' }));
          expect(e1).toBeInstanceOf(WrongExpectedRevisionError);
          expect(e1).toMatchObject({ stream: STREAM, expected: 'no_stream', actual: 1 });
          const e2 = await rejectionOf(store.append(STREAM, b1 ?? [], { expectedRevision: 0 }));
          expect(isWrongExpectedRevisionError(e2)).toBe(true);
          expect(e2).toMatchObject({ expected: 0, actual: 1 });
          const e3 = await rejectionOf(store.append('portfolio-other', chain(1, 1, 'other')[0] ?? [], { expectedRevision: 4 }));
          expect(e3).toMatchObject({ stream: 'portfolio-other', expected: 4, actual: 'no_stream' });
          expect((e3 as Error).message).toContain('portfolio-other');

          await store.append(STREAM, b1 ?? [], { expectedRevision: 1 });
          await store.append(STREAM, b2 ?? [], { expectedRevision: 'any' });
          expect(await store.streamRevision(STREAM)).toBe(5);
          expect(await store.streamRevision('portfolio-other')).toBe('no_stream');
        }));

      it("refuses a stale batch under 'any' as a conflict, since its sealed revisions are already taken", () =>
        withStore(async (store) => {
          const [b0] = chain(1, 2);
          const rival = sealEvents(genesis(P), [{ event: fill(9, 0, '-3'), barTime: null }]).events;
          await store.append(STREAM, b0 ?? [], { expectedRevision: 'any' });
          const e = await rejectionOf(store.append(STREAM, rival, { expectedRevision: 'any' }));
          expect(e).toBeInstanceOf(WrongExpectedRevisionError);
          expect(e).toMatchObject({ expected: 'no_stream', actual: 1 });
        }));

      it('an empty append only checks the expected revision', () =>
        withStore(async (store) => {
          expect(await store.append(STREAM, [], { expectedRevision: 'no_stream' })).toEqual({ nextExpectedRevision: -1, position: -1 });
          const r = await store.append(STREAM, chain(1, 2)[0] ?? [], { expectedRevision: 'no_stream' });
          expect(await store.append(STREAM, [], { expectedRevision: 1 })).toEqual(r);
          await expect(store.append(STREAM, [], { expectedRevision: 0 })).rejects.toBeInstanceOf(WrongExpectedRevisionError);
        }));

      it('reads from the middle: readStream fromRevision, readAll fromPosition (inclusive), across page boundaries', () =>
        withStore(async (store) => {
          // 2 600 events cross the adapters' read pages (1 000 rows), so paging must neither skip nor repeat.
          const batches = chain(13, 200);
          let expected: number | 'no_stream' = 'no_stream';
          for (const b of batches) {
            const r = await store.append(STREAM, b, { expectedRevision: expected });
            expected = r.nextExpectedRevision;
          }
          const all = await collect(store.readAll());
          expect(all.map((e) => e.metadata.revision)).toEqual(Array.from({ length: 2600 }, (_, i) => i));
          const fromRev = await collect(store.readStream(STREAM, { fromRevision: 999 }));
          expect(fromRev.map((e) => e.metadata.revision)).toEqual(Array.from({ length: 1601 }, (_, i) => i + 999));
          const middle = at(all, 1500).position;
          const fromPos = await collect(store.readAll({ fromPosition: middle }));
          expect(fromPos.map((e) => e.position)).toEqual(all.slice(1500).map((e) => e.position));
          expect(await collect(store.readAll({ fromPosition: at(all, 2599).position + 1 }))).toEqual([]);
          expect(await collect(store.readStream(STREAM, { fromRevision: 2600 }))).toEqual([]);
        }));

      it('returned events are copies: mutating one does not change the log', () =>
        withStore(async (store) => {
          const batch = chain(1, 1)[0] ?? [];
          await store.append(STREAM, batch, { expectedRevision: 'no_stream' });
          const [first] = await collect(store.readAll());
          (first?.data as Record<string, unknown>)['symbol'] = 'TAMPERED';
          const [again] = await collect(store.readAll());
          expect(again?.data).toEqual(at(batch, 0).data);
        }));
    });

    describe('concurrency and retries', () => {
      it('two writers racing on one stream through two connections: exactly one wins', () =>
        withStore(async (first, h) => {
          const second = await h.open();
          try {
            const [b0] = chain(1, 2);
            await first.append(STREAM, b0 ?? [], { expectedRevision: 'no_stream' });
            const head = { portfolioId: P, nextRevision: 2, prevHash: at(b0 ?? [], 1).metadata.hash };
            const mine = sealEvents(head, [{ event: fill(1, 0, '5'), barTime: null }]).events;
            const theirs = sealEvents(head, [{ event: fill(1, 0, '-7'), barTime: null }, { event: fill(1, 1), barTime: null }]).events;
            const results = await Promise.allSettled([
              first.append(STREAM, mine, { expectedRevision: 1 }),
              second.append(STREAM, theirs, { expectedRevision: 1 }),
            ]);
            const won = results.filter((r) => r.status === 'fulfilled');
            const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
            expect(won).toHaveLength(1);
            expect(lost).toHaveLength(1);
            expect(lost[0]?.reason).toBeInstanceOf(WrongExpectedRevisionError);
            const winner = results[0]?.status === 'fulfilled' ? mine : theirs;
            const stored = await collect(second.readStream(STREAM, { fromRevision: 2 }));
            expect(stored.map((e) => e.metadata.hash)).toEqual(winner.map((e) => e.metadata.hash));
          } finally {
            await second.close();
          }
        }));

      it("two writers both creating a stream with 'no_stream': exactly one wins", () =>
        withStore(async (first, h) => {
          const second = await h.open();
          try {
            const a = sealEvents(genesis(P), [{ event: fill(0, 0, '1'), barTime: null }]).events;
            const b = sealEvents(genesis(P), [{ event: fill(0, 0, '2'), barTime: null }]).events;
            const results = await Promise.allSettled([
              first.append(STREAM, a, { expectedRevision: 'no_stream' }),
              second.append(STREAM, b, { expectedRevision: 'no_stream' }),
            ]);
            expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
            const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
            expect(lost?.reason).toBeInstanceOf(WrongExpectedRevisionError);
            expect(await first.streamRevision(STREAM)).toBe(0);
          } finally {
            await second.close();
          }
        }));

      it('an idempotent retry returns the original result without duplicating, even after later appends', () =>
        withStore(async (store) => {
          const [b0, b1] = chain(2, 3);
          const original = await store.append(STREAM, b0 ?? [], { expectedRevision: 'no_stream' });
          expect(await store.append(STREAM, b0 ?? [], { expectedRevision: 'no_stream' })).toEqual(original);
          await store.append(STREAM, b1 ?? [], { expectedRevision: 2 });
          expect(await store.append(STREAM, b0 ?? [], { expectedRevision: 'no_stream' })).toEqual(original);
          expect(await store.append(STREAM, b0 ?? [], { expectedRevision: 'any' })).toEqual(original);
          expect((await collect(store.readAll())).length).toBe(6);
          expect(await store.streamRevision(STREAM)).toBe(5);
        }));

      it('a different batch at already used revisions is a conflict, not a retry', () =>
        withStore(async (store) => {
          const [b0] = chain(1, 2);
          await store.append(STREAM, b0 ?? [], { expectedRevision: 'no_stream' });
          // Same deterministic ids (same portfolio and revisions), different content.
          const other = sealEvents(genesis(P), [{ event: fill(5, 0, '-1'), barTime: null }, { event: fill(5, 1), barTime: null }]).events;
          expect(other.map((e) => e.metadata.eventId)).toEqual((b0 ?? []).map((e) => e.metadata.eventId));
          await expect(store.append(STREAM, other, { expectedRevision: 'no_stream' })).rejects.toBeInstanceOf(WrongExpectedRevisionError);
          // Re-sending a prefix of a stored batch is recognised too: every event in it is stored exactly as sent.
          await expect(store.append(STREAM, [at(b0 ?? [], 0)], { expectedRevision: 'no_stream' })).resolves.toMatchObject({
            nextExpectedRevision: 0,
          });
          expect((await collect(store.readAll())).length).toBe(2);
        }));
    });

    describe('appendMany: several streams in one append', () => {
      const FEED = 'feed-pf-1';
      /** A portfolio's batches and its feed record's, as a live session writes them (the feed's owner is its own). */
      const live = (): { portfolio: SealedEvent[][]; feed: SealedEvent[][] } => ({ portfolio: chain(2, 3), feed: chain(2, 1, `${P}#feed`) });

      it('commits the writes together in the order given, a stream coming more than once, one result per write', () =>
        withStore(async (store, h) => {
          const { portfolio, feed } = live();
          const seen = h.open();
          const results = await store.appendMany([
            { stream: FEED, events: at(feed, 0), expectedRevision: 'no_stream' },
            { stream: STREAM, events: at(portfolio, 0), expectedRevision: 'no_stream' },
            { stream: FEED, events: at(feed, 1), expectedRevision: 0 },
            { stream: STREAM, events: at(portfolio, 1), expectedRevision: 2 },
          ]);
          const all = await collect(store.readAll());
          expect(all.map((e) => `${e.stream}#${e.metadata.revision}`)).toEqual([
            'feed-pf-1#0', 'portfolio-pf-1#0', 'portfolio-pf-1#1', 'portfolio-pf-1#2', 'feed-pf-1#1', 'portfolio-pf-1#3', 'portfolio-pf-1#4', 'portfolio-pf-1#5',
          ]);
          expect(results.map((r) => r.nextExpectedRevision)).toEqual([0, 2, 1, 5]);
          expect(results.map((r) => r.position)).toEqual([at(all, 0).position, at(all, 3).position, at(all, 4).position, at(all, 7).position]);
          // Another connection sees the same log.
          const other = await seen;
          try {
            expect((await collect(other.readStream(STREAM))).map((e) => e.metadata.hash)).toEqual([...at(portfolio, 0), ...at(portfolio, 1)].map((e) => e.metadata.hash));
            expect(await other.streamRevision(FEED)).toBe(1);
          } finally {
            await other.close();
          }
          expect(await store.appendMany([])).toEqual([]);
        }));

      it('a retry of a committed appendMany returns the original results and writes nothing', () =>
        withStore(async (store) => {
          const { portfolio, feed } = live();
          const writes = [
            { stream: FEED, events: at(feed, 0), expectedRevision: 'no_stream' as const },
            { stream: STREAM, events: at(portfolio, 0), expectedRevision: 'no_stream' as const },
          ];
          const original = await store.appendMany(writes);
          expect(await store.appendMany(writes)).toEqual(original);
          expect((await collect(store.readAll())).length).toBe(4);
        }));

      it(`a conflict on the first write writes nothing; on a later one ${atomicAppendMany ? 'nothing either' : 'the writes before it stay (no transaction across streams)'}`, () =>
        withStore(async (store, h) => {
          const { portfolio, feed } = live();
          // Another connection appended the portfolio's first batch: both writes below that expect no stream are stale.
          const other = await h.open();
          try {
            await other.append(STREAM, at(portfolio, 0), { expectedRevision: 'no_stream' });
          } finally {
            await other.close();
          }
          const portfolioFirst = store.appendMany([
            { stream: STREAM, events: at(portfolio, 1), expectedRevision: 'no_stream' },
            { stream: FEED, events: at(feed, 0), expectedRevision: 'no_stream' },
          ]);
          await expect(portfolioFirst).rejects.toBeInstanceOf(WrongExpectedRevisionError);
          expect(await store.streamRevision(FEED)).toBe('no_stream');
          expect(await store.streamRevision(STREAM)).toBe(2);

          const feedFirst = store.appendMany([
            { stream: FEED, events: at(feed, 0), expectedRevision: 'no_stream' },
            { stream: STREAM, events: at(portfolio, 1), expectedRevision: 5 },
          ]);
          const error = await rejectionOf(feedFirst);
          expect(error).toBeInstanceOf(WrongExpectedRevisionError);
          expect((error as WrongExpectedRevisionError).stream).toBe(STREAM);
          expect(await store.streamRevision(FEED)).toBe(atomicAppendMany ? 'no_stream' : 0);
          expect(await store.streamRevision(STREAM)).toBe(2);
          expect((await collect(store.readAll())).length).toBe(atomicAppendMany ? 3 : 4);
        }));

      it('an invalid event in any write, or an id two writes share, writes nothing', () =>
        withStore(async (store) => {
          const { portfolio, feed } = live();
          const broken = reseal(at(at(portfolio, 0), 1), (e) => {
            e.data['quantity'] = 10;
          });
          await expect(
            store.appendMany([
              { stream: FEED, events: at(feed, 0), expectedRevision: 'no_stream' },
              { stream: STREAM, events: [at(at(portfolio, 0), 0), broken, at(at(portfolio, 0), 2)], expectedRevision: 'no_stream' },
            ]),
          ).rejects.toBeInstanceOf(InvalidEventError);
          // The same events (so the same ids) in two streams: the second write clashes with the first.
          await expect(
            store.appendMany([
              { stream: FEED, events: at(feed, 0), expectedRevision: 'no_stream' },
              { stream: 'feed-copy', events: at(feed, 0), expectedRevision: 'no_stream' },
            ]),
          ).rejects.toThrow(atomicAppendMany ? /already stored at stream "feed-pf-1"/ : /./);
          expect(await store.listStreams()).toEqual(atomicAppendMany ? [] : [FEED]);
        }));
    });

    describe('validation and atomicity (nothing is written when any event is invalid)', () => {
      const cases: { name: string; batch: () => SealedEvent[]; expected?: 'no_stream' | 'any' }[] = [
        {
          name: 'content changed after sealing (hash mismatch)',
          batch: () => {
            const [a, b, c] = chain(1, 3)[0] ?? [];
            const bad = { ...b, data: { ...(b?.data ?? {}), quantity: '11' } } as SealedEvent;
            return [a, bad, c].filter((e): e is SealedEvent => e !== undefined);
          },
        },
        {
          name: 'payload that violates its schema (hash recomputed)',
          batch: () => {
            const [a, b] = chain(1, 2)[0] ?? [];
            return [at([a], 0) as SealedEvent, reseal(b as SealedEvent, (e) => (e.data['portfolioValue'] = 'lots'))];
          },
        },
        {
          name: 'unknown event type',
          batch: () => [reseal(at(chain(1, 1)[0] ?? [], 0), (e) => (e.type = 'FillRecordedd'))],
        },
        {
          name: 'an id that is not the deterministic one',
          batch: () => [reseal(at(chain(1, 1)[0] ?? [], 0), (e) => (e.metadata['eventId'] = eventIdFor(P, 7)))],
        },
        {
          name: 'a gap in revisions inside the batch',
          batch: () => {
            const [b0, b1] = chain(2, 2);
            return [at(b0 ?? [], 0), at(b1 ?? [], 0)];
          },
        },
        {
          name: 'a broken prevHash link inside the batch',
          batch: () => {
            const [a, b] = chain(1, 2)[0] ?? [];
            return [a as SealedEvent, reseal(b as SealedEvent, (e) => (e.metadata['prevHash'] = sha256Hex('elsewhere')))];
          },
        },
        {
          name: 'events of two portfolios in one batch',
          batch: () => {
            const mine = at(chain(1, 1)[0] ?? [], 0);
            const foreign = sealEvents({ portfolioId: 'pf-2', nextRevision: 1, prevHash: mine.metadata.hash }, [{ event: fill(0, 1), barTime: null }]).events;
            return [mine, at(foreign, 0)];
          },
        },
        {
          name: 'a first event that does not start at revision 0 of a new stream',
          batch: () => chain(2, 2)[1] ?? [],
          expected: 'no_stream',
        },
        {
          name: 'a first event whose prevHash is not the genesis hash',
          batch: () => sealEvents({ portfolioId: P, nextRevision: 0, prevHash: sha256Hex('x') }, [{ event: fill(0, 0), barTime: null }]).events,
        },
      ];
      for (const c of cases) {
        it(`rejects ${c.name} with InvalidEventError`, () =>
          withStore(async (store) => {
            const e = await rejectionOf(store.append(STREAM, c.batch(), { expectedRevision: c.expected ?? 'no_stream' }));
            expect(e).toBeInstanceOf(InvalidEventError);
            expect((e as Error).message).toContain('revision');
            expect(await store.streamRevision(STREAM)).toBe('no_stream');
            expect(await collect(store.readAll())).toEqual([]);
          }));
      }

      it('rejects a batch that does not continue the stream head (revision or prevHash), leaving the stream as it was', () =>
        withStore(async (store) => {
          const [b0, b1] = chain(2, 2);
          await store.append(STREAM, b0 ?? [], { expectedRevision: 'no_stream' });
          // Revisions 0..1 again while the expectation (1) is right: sealed from the wrong head.
          const restart = sealEvents({ portfolioId: P, nextRevision: 2, prevHash: sha256Hex('not the head') }, [{ event: fill(1, 0), barTime: null }]).events;
          await expect(store.append(STREAM, restart, { expectedRevision: 1 })).rejects.toBeInstanceOf(InvalidEventError);
          const tooFar = sealEvents({ portfolioId: P, nextRevision: 3, prevHash: at(b0 ?? [], 1).metadata.hash }, [{ event: fill(1, 0), barTime: null }]).events;
          await expect(store.append(STREAM, tooFar, { expectedRevision: 1 })).rejects.toThrow(/next revision is 2/);
          expect(await store.streamRevision(STREAM)).toBe(1);
          await store.append(STREAM, b1 ?? [], { expectedRevision: 1 });
          expect(await store.streamRevision(STREAM)).toBe(3);
        }));

      it('rejects an event id already stored in another stream', () =>
        withStore(async (store) => {
          const batch = chain(1, 1)[0] ?? [];
          await store.append('stream-one', batch, { expectedRevision: 'no_stream' });
          await expect(store.append('stream-two', batch, { expectedRevision: 'no_stream' })).rejects.toThrow(/already stored at stream "stream-one"/);
          expect(await store.listStreams()).toEqual(['stream-one']);
        }));

      it('rejects a large batch whose id clash comes late in it, writing none of it', () =>
        withStore(async (store) => {
          // Stream X: portfolio q's revisions 0..34, then portfolio P's revisions 35..36 (a stream may change portfolio).
          const [q] = chain(1, 35, 'q');
          await store.append('stream-x', q ?? [], { expectedRevision: 'no_stream' });
          const tail = sealEvents({ portfolioId: P, nextRevision: 35, prevHash: at(q ?? [], 34).metadata.hash }, [
            { event: fill(0, 35), barTime: null },
            { event: fill(0, 36), barTime: null },
          ]).events;
          await store.append('stream-x', tail, { expectedRevision: 34 });
          // P's first 40 events: the ids of revisions 35 and 36 are taken, past the first rows an adapter may write.
          const [mine] = chain(1, 40);
          await expect(store.append(STREAM, mine ?? [], { expectedRevision: 'no_stream' })).rejects.toThrow(
            /event id \S+ is already stored at stream "stream-x", revision 35/,
          );
          expect(await store.streamRevision(STREAM)).toBe('no_stream');
          expect((await collect(store.readAll())).length).toBe(37);
        }));

      it('rejects an expectedRevision that is not no_stream, any or a non-negative integer with StoreConfigError', () =>
        withStore(async (store) => {
          const batch = chain(1, 1)[0] ?? [];
          for (const bad of [-1, 1.5, Number.NaN]) {
            await expect(store.append(STREAM, batch, { expectedRevision: bad })).rejects.toBeInstanceOf(StoreConfigError);
          }
          expect(await store.streamRevision(STREAM)).toBe('no_stream');
        }));
    });

    describe('subscriptions', () => {
      it('catches up from the log, then delivers live appends (from any connection) in order, without gap or duplicate', () =>
        withStore(async (store, h) => {
          const writer = await h.open();
          try {
            const batches = chain(30, 4);
            for (const [i, b] of batches.slice(0, 10).entries()) await store.append(STREAM, b, { expectedRevision: i === 0 ? 'no_stream' : i * 4 - 1 });
            // Two subscriptions on one connection: each must see every append, whoever wrote it.
            const listen = (): { received: RecordedEvent[]; done: Promise<void> } => {
              const received: RecordedEvent[] = [];
              const done = new Promise<void>((resolve, reject) => {
                const sub = store.subscribe().subscribe({
                  next: (e) => {
                    received.push(e);
                    if (received.length === 120) {
                      sub.unsubscribe();
                      resolve();
                    }
                  },
                  error: reject,
                });
              });
              return { received, done };
            };
            const one = listen();
            const two = listen();
            // Append while the subscription is still catching up and after it has gone live.
            for (const [i, b] of batches.slice(10).entries()) {
              // Mostly the other connection, so SQLite subscriptions depend on their poll of data_version.
              const conn = i % 5 === 0 ? store : writer;
              await conn.append(STREAM, b, { expectedRevision: (i + 10) * 4 - 1 });
              if (i % 5 === 0) await new Promise((r) => setTimeout(r, 5));
            }
            await within(10_000, () => `received ${one.received.length} and ${two.received.length} of 120`, Promise.all([one.done, two.done]));
            const all = await collect(store.readAll());
            for (const { received } of [one, two]) {
              expect(received.map((e) => e.metadata.revision)).toEqual(Array.from({ length: 120 }, (_, i) => i));
              expect(received.map((e) => e.position)).toEqual(all.map((e) => e.position));
            }
          } finally {
            await writer.close();
          }
        }));

      it('starts from a given position (inclusive)', () =>
        withStore(async (store) => {
          const [b0, b1] = chain(2, 3);
          await store.append(STREAM, b0 ?? [], { expectedRevision: 'no_stream' });
          await store.append(STREAM, b1 ?? [], { expectedRevision: 2 });
          const all = await collect(store.readAll());
          const from = at(all, 4).position;
          const got = await firstValueFrom(store.subscribe({ fromPosition: from }).pipe(take(2), toArray()));
          expect(got.map((e) => e.metadata.revision)).toEqual([4, 5]);
        }));

      it('delivers nothing after unsubscribe, and close() completes live subscriptions', () =>
        withStore(async (store, h) => {
          const [b0, b1] = chain(2, 2);
          await store.append(STREAM, b0 ?? [], { expectedRevision: 'no_stream' });
          const seen: number[] = [];
          let sub: Subscription | undefined;
          await new Promise<void>((resolve) => {
            sub = store.subscribe().subscribe((e) => {
              seen.push(e.metadata.revision);
              if (seen.length === 2) resolve();
            });
          });
          sub?.unsubscribe();
          await store.append(STREAM, b1 ?? [], { expectedRevision: 1 });
          await new Promise((r) => setTimeout(r, 100));
          expect(seen).toEqual([0, 1]);

          const other = await h.open();
          const completed = new Promise<number[]>((resolve, reject) => {
            const got: number[] = [];
            other.subscribe().subscribe({ next: (e) => got.push(e.metadata.revision), error: reject, complete: () => resolve(got) });
          });
          await new Promise((r) => setTimeout(r, 50));
          await other.close();
          expect(await completed).toEqual([0, 1, 2, 3]);
        }));
    });

    describe('writer lock', () => {
      it('one holder per key: a second connection is refused naming the holder; another key is free; release and close free it', () =>
        withStore(async (store, h) => {
          const lock = await store.acquireWriterLock('pf-1');
          expect(lock.holder.pid).toBe(process.pid);
          const second = await h.open();
          try {
            const refused = await second.acquireWriterLock('pf-1').then(
              () => null,
              (e: unknown) => e,
            );
            expect(refused).toBeInstanceOf(WriterLockedError);
            expect((refused as WriterLockedError).holder).toEqual(lock.holder);
            expect((refused as Error).message).toMatch(new RegExp(`being written by process ${process.pid} on .* since ${lock.holder.since}`));
            const other = await second.acquireWriterLock('pf-2');
            await other.release();
            await lock.release();
            await lock.release(); // releasing twice is harmless
            const again = await second.acquireWriterLock('pf-1');
            await second.close();
            const third = await h.open();
            try {
              // Closing the store that held it released it.
              await (await third.acquireWriterLock('pf-1')).release();
            } finally {
              await third.close();
            }
            expect(again.key).toBe('pf-1');
          } finally {
            await second.close();
          }
        }));

      it('writerLockHolder names the live holder to another connection, null when free or released, and takes nothing', () =>
        withStore(async (store, h) => {
          const other = await h.open();
          try {
            expect(await other.writerLockHolder('pf-1')).toBeNull();
            // Looking took nothing: the lock is still free to take.
            const lock = await store.acquireWriterLock('pf-1');
            expect(await other.writerLockHolder('pf-1')).toEqual(lock.holder);
            expect(await other.writerLockHolder('pf-2')).toBeNull();
            await lock.release();
            expect(await other.writerLockHolder('pf-1')).toBeNull();
          } finally {
            await other.close();
          }
        }));
    });

    describe('lifetime and documents', () => {
      it('close and reopen keeps events, revisions, streams and documents; a closed store refuses work', () =>
        withStore(async (store, h) => {
          const [b0, b1] = chain(2, 3);
          await store.append(STREAM, b0 ?? [], { expectedRevision: 'no_stream' });
          await store.documents.put('checkpoints', 'performance', '{"position":3}');
          const before = await collect(store.readAll());
          await store.close();
          await expect(store.append(STREAM, b1 ?? [], { expectedRevision: 2 })).rejects.toBeInstanceOf(StoreClosedError);
          await expect(collect(store.readAll())).rejects.toBeInstanceOf(StoreClosedError);
          await store.close(); // closing twice is harmless

          const reopened = await h.open();
          try {
            expect(await collect(reopened.readAll())).toEqual(before);
            expect(await reopened.streamRevision(STREAM)).toBe(2);
            expect(await reopened.listStreams()).toEqual([STREAM]);
            expect(await reopened.documents.get('checkpoints', 'performance')).toBe('{"position":3}');
            await reopened.append(STREAM, b1 ?? [], { expectedRevision: 2 });
            expect(await reopened.streamRevision(STREAM)).toBe(5);
          } finally {
            await reopened.close();
          }
        }));

      it('documents: get of a missing key is null, put replaces, delete removes, collections are separate', () =>
        withStore(async (store) => {
          const docs = store.documents;
          expect(await docs.get('snapshots', 'pf-1')).toBeNull();
          await docs.put('snapshots', 'pf-1', 'v1');
          await docs.put('checkpoints', 'pf-1', 'other');
          await docs.put('snapshots', 'pf-1', 'v2');
          expect(await docs.get('snapshots', 'pf-1')).toBe('v2');
          expect(await docs.get('checkpoints', 'pf-1')).toBe('other');
          await docs.delete('snapshots', 'pf-1');
          await docs.delete('snapshots', 'never-there');
          expect(await docs.get('snapshots', 'pf-1')).toBeNull();
          expect(await docs.get('checkpoints', 'pf-1')).toBe('other');
        }));

      it('documents: list gives a collection\'s keys in JavaScript string order, and only that collection\'s', () =>
        withStore(async (store) => {
          const docs = store.documents;
          expect(await docs.list('checkpoints')).toEqual([]);
          for (const key of ['b@pf', 'a@pf', '\u{1F600}', '\uFFFF', 'a@pf-2']) await docs.put('checkpoints', key, 'x');
          await docs.put('snapshots', 'pf', 'y');
          expect(await docs.list('checkpoints')).toEqual(['a@pf', 'a@pf-2', 'b@pf', '\u{1F600}', '\uFFFF']);
          expect(await docs.list('snapshots')).toEqual(['pf']);
          await docs.delete('checkpoints', 'a@pf');
          expect(await docs.list('checkpoints')).toEqual(['a@pf-2', 'b@pf', '\u{1F600}', '\uFFFF']);
        }));
    });

    describe('corrupt rows raise CorruptEventError at that row, and reading stops there', () => {
      async function seeded(store: EventStore): Promise<RecordedEvent[]> {
        const [b0, b1] = chain(2, 3);
        await store.append(STREAM, b0 ?? [], { expectedRevision: 'no_stream' });
        await store.append(STREAM, b1 ?? [], { expectedRevision: 2 });
        return collect(store.readAll());
      }
      const rewrites: { name: string; change: (s: { body: string; hash: string }) => { body: string; hash: string }; reason: RegExp }[] = [
        {
          name: 'one byte of the body altered',
          change: (s) => ({ body: s.body.replace('187.25', '187.26'), hash: s.hash }),
          reason: /hash mismatch/,
        },
        {
          name: 'unparseable JSON with a matching hash',
          change: (s) => ({ body: s.body.slice(0, -7), hash: sha256Hex(s.body.slice(0, -7)) }),
          reason: /unparseable JSON/,
        },
        {
          // Reads validate what they upcast (no write validated it); a current-version payload is checked by audit --verify.
          name: 'an old-version payload that violates its schema once upcast, with a matching hash',
          change: (s) => {
            const parsed = JSON.parse(s.body) as { data: Record<string, unknown>; metadata: Record<string, unknown> };
            parsed.metadata['schemaVersion'] = 1;
            parsed.data['quantity'] = 10;
            const body = canonicalJson(parsed);
            return { body, hash: sha256Hex(body) };
          },
          reason: /FillRecorded violates its schema: quantity/,
        },
        {
          name: "envelope metadata that disagrees with the row's revision, with a matching hash",
          change: (s) => {
            const body = s.body.replace('"revision":3,', '"revision":4,');
            return { body, hash: sha256Hex(body) };
          },
          reason: /malformed metadata/,
        },
      ];
      for (const r of rewrites) {
        (traits.immutableEvents ? it.skip : it)(`${r.name}: readAll, readStream and subscribe deliver the rows before it, then fail naming stream, revision and position`, () =>
          withStore(async (store, h) => {
            const before = await seeded(store);
            const bad = at(before, 3);
            await h.rewrite?.(bad.position, r.change);

            const all = await collectUntilError(store.readAll());
            expect(all.events.map((e) => e.metadata.revision)).toEqual([0, 1, 2]);
            expect(isCorruptEventError(all.error)).toBe(true);
            expect((all.error as CorruptEventError).location).toEqual({ stream: STREAM, revision: 3, position: bad.position });
            expect((all.error as Error).message).toMatch(r.reason);
            expect((all.error as Error).message).toContain(`revision 3, position ${bad.position}`);

            const fromStream = await collectUntilError(store.readStream(STREAM, { fromRevision: 1 }));
            expect(fromStream.events.map((e) => e.metadata.revision)).toEqual([1, 2]);
            expect(fromStream.error).toBeInstanceOf(CorruptEventError);

            const delivered: number[] = [];
            const failure = await new Promise<unknown>((resolve) => {
              store.subscribe().subscribe({ next: (e) => delivered.push(e.metadata.revision), error: resolve, complete: () => resolve(null) });
            });
            expect(delivered).toEqual([0, 1, 2]);
            expect(failure).toBeInstanceOf(CorruptEventError);

            // Reading past the bad row still works.
            const after = await collect(store.readAll({ fromPosition: bad.position + 1 }));
            expect(after.map((e) => e.metadata.revision)).toEqual([4, 5]);
          }));
      }
    });
  });
}
