// The KurrentDB (EventStoreDB) EventStore adapter, with `@kurrent/kurrentdb-client`: one KurrentDB stream per portfolio.
import {
  BACKWARDS,
  END,
  FORWARDS,
  KurrentDBClient,
  NO_STREAM,
  StreamNotFoundError,
  WrongExpectedVersionError,
  binaryEvent,
  excludeSystemEvents,
  jsonEvent,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type ResolvedEvent,
} from '@kurrent/kurrentdb-client';
import { Observable } from 'rxjs';
import { decodeReuse, portfolioStream, type RecordedEvent, type SealedEvent } from '../envelope.js';
import type { AppendOptions, AppendResult, DocumentStore, EventStore, StreamAppend } from '../store.js';
import { appendBatch, encodeBatch, encodeWrites, type AppendTarget, type EncodedEvent, type StoredEventRef, type StreamHead } from './appendRules.js';
import { decodeRow, type StoredRow } from './catchUpSubscription.js';
import {
  claimClash,
  claimStream,
  documentKeyOf,
  documentPrefix,
  documentStream,
  fromPosition,
  fromRevision,
  isInternalStream,
  toReadPosition,
  toStreamState,
  toWrongExpectedRevision,
  type KurrentPosition,
  type RevisionClaim,
} from './kurrentMapping.js';
import { StoreClosedError } from './storeClosedError.js';
import { UNKNOWN_HOLDER, WriterLockedError, currentHolder, holderIsDead, type WriterLock, type WriterLockHolder } from '../writerLock.js';
import { StoreUnavailableError } from './storeUnavailableError.js';
import { StoreConfigError } from '../errors.js';

/** Options of a KurrentDB store. */
export interface KurrentStoreOptions {
  /** The URL reported by `store.url` (password redacted). */
  readonly url: string;
  /** Prefix of every stream of this log (`<namespace>/`); '' for none. */
  readonly namespace: string;
}

const RESUBSCRIBE_DELAY_MS = 500;

/** An event of ours as the client returns it: the canonical body and hash as bytes. */
function storedRow(e: { revision: bigint; data: unknown; metadata: unknown; position?: { commit: bigint; prepare: bigint } }, stream: string): StoredRow {
  return {
    position: e.position ? fromPosition(e.position) : -1,
    stream,
    revision: fromRevision(e.revision),
    body: Buffer.from(e.data as Uint8Array).toString('utf8'),
    hash: Buffer.from(e.metadata as Uint8Array).toString('utf8'),
  };
}

/**
 * Opens a KurrentDB store. Events are stored as binary events whose data are the canonical bytes (so hashes verify)
 * and whose metadata is the hash; event ids are the deterministic ids, so a retried append is idempotent on the
 * server too. Positions are log positions: increasing, not contiguous.
 * Documents live in one stream each (`stratafolio:doc:<collection>:<key>`, last event wins). Which streams hold a
 * portfolio's revisions outside its own stream is kept in `stratafolio:ids:<portfolio>`, so an event id is unique
 * across the store as the port requires.
 * @throws StoreUnavailableError when the server does not answer.
 */
export async function openKurrentEventStore(connectionString: string, options: KurrentStoreOptions): Promise<EventStore> {
  const { url } = options;
  const names = streamNames(options.namespace);
  let client: KurrentDBClient;
  try {
    client = KurrentDBClient.connectionString(connectionString);
  } catch (e) {
    // The client's parser names the value it cannot read and where (`Unexpected "flase" at position 28, expected true or false`).
    throw new StoreConfigError(`event store ${url}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  // Only this log's streams, filtered on the server: a namespace's prefix, or everything but system streams.
  const logFilter = (): ReturnType<typeof excludeSystemEvents> | ReturnType<typeof streamNameFilter> =>
    options.namespace === '' ? excludeSystemEvents() : streamNameFilter({ prefixes: [names.prefix] });
  let closed = false;
  const ensureOpen = (): void => {
    if (closed) throw new StoreClosedError(url);
  };
  const live = new Set<() => void>();
  const translate = (e: unknown): unknown => {
    if (!(e instanceof Error)) return e;
    const name = e.constructor.name;
    if (name === 'UnavailableError' || name === 'DeadlineExceededError' || name === 'TimeoutError' || /ECONNREFUSED|failed to connect|UNAVAILABLE/i.test(e.message)) {
      return new StoreUnavailableError(url, e.message);
    }
    return e;
  };
  const call = async <T>(run: () => Promise<T>): Promise<T> => {
    ensureOpen();
    try {
      return await run();
    } catch (e) {
      throw translate(e);
    }
  };
  /** Every event of a stream from `from`, or [] when it does not exist. */
  const readEvents = async (stream: string, from: bigint, maxCount?: number, backwards = false): Promise<ResolvedEvent[]> => {
    const out: ResolvedEvent[] = [];
    try {
      for await (const r of client.readStream(stream, {
        fromRevision: backwards ? END : from,
        direction: backwards ? BACKWARDS : FORWARDS,
        ...(maxCount !== undefined ? { maxCount } : {}),
      })) {
        out.push(r);
      }
    } catch (e) {
      if (e instanceof StreamNotFoundError) return [];
      throw e;
    }
    return out;
  };

  // Claims of revisions stored outside a portfolio's own stream, refreshed from the claim stream before each check.
  const claimCache = new Map<string, { claims: RevisionClaim[]; next: bigint }>();
  const claimsOf = async (portfolioId: string): Promise<RevisionClaim[]> => {
    const cached = claimCache.get(portfolioId) ?? { claims: [], next: 0n };
    for (const r of await readEvents(names.server(claimStream(portfolioId)), cached.next)) {
      if (!r.event) continue;
      cached.claims.push(r.event.data as unknown as RevisionClaim);
      cached.next = r.event.revision + 1n;
    }
    claimCache.set(portfolioId, cached);
    return cached.claims;
  };

  const headOf = async (stream: string): Promise<StreamHead | null> => {
    const [last] = await readEvents(names.server(stream), 0n, 1, true);
    if (!last?.event) return null;
    const row = storedRow(last.event, stream);
    return { revision: row.revision, hash: row.hash, position: row.position };
  };

  const documents: DocumentStore = {
    get: (collection, key) =>
      call(async () => {
        const [last] = await readEvents(names.server(documentStream(collection, key)), 0n, 1, true);
        if (!last?.event || last.event.type !== 'DocumentSaved') return null;
        return Buffer.from(last.event.data as Uint8Array).toString('utf8');
      }),
    put: (collection, key, value) =>
      call(async () => {
        await client.appendToStream(names.server(documentStream(collection, key)), binaryEvent({ type: 'DocumentSaved', data: Buffer.from(value, 'utf8') }));
      }),
    // A tombstone event rather than a stream deletion, so the key can be saved again and list() can tell.
    delete: (collection, key) =>
      call(async () => {
        const stream = names.server(documentStream(collection, key));
        const [last] = await readEvents(stream, 0n, 1, true);
        if (!last?.event || last.event.type !== 'DocumentSaved') return;
        await client.appendToStream(stream, binaryEvent({ type: 'DocumentDeleted', data: new Uint8Array() }));
      }),
    list: (collection) =>
      call(async () => {
        // $all filtered by the collection's stream prefix on the server; each key counts once, as its last event says.
        const latest = new Map<string, string>();
        for await (const r of client.readAll({ filter: streamNameFilter({ prefixes: [names.server(documentPrefix(collection))] }) })) {
          if (!r.event) continue;
          const key = documentKeyOf(collection, r.event.streamId.slice(names.prefix.length));
          if (key !== null) latest.set(key, r.event.type);
        }
        return [...latest].filter(([, type]) => type === 'DocumentSaved').map(([k]) => k).sort(byCodeUnits);
      }),
  };

  const allEvents = (fromPositionInclusive: number): AsyncIterable<RecordedEvent> => {
    const reuse = decodeReuse();
    return {
      async *[Symbol.asyncIterator]() {
        ensureOpen();
        try {
          for await (const r of client.readAll({ fromPosition: toReadPosition(fromPositionInclusive), filter: logFilter() })) {
            const e = r.event;
            const stream = e ? names.port(e.streamId) : null;
            if (!e || stream === null) continue;
            const row = storedRow(e, stream);
            if (row.position < fromPositionInclusive) continue;
            yield decodeRow(row, reuse);
          }
        } catch (e) {
          throw translate(e);
        }
      },
    };
  };

  // KurrentDB has no locks: a writer lock is the last event of a stream of its own, appended with the expected revision,
  // so of two writers starting at once exactly one succeeds. A holder that died is taken over only from its own host
  // (its pid can be checked there); on another host, release it by stopping that process (or, if it died, by hand).
  const heldLocks = new Set<() => Promise<void>>();
  const acquireWriterLock = (key: string): Promise<WriterLock> =>
    call(async () => {
      ensureOpen();
      const stream = names.server(documentStream('writer-locks', key));
      const holder = currentHolder();
      const [last] = await readEvents(stream, 0n, 1, true);
      if (last?.event?.type === 'WriterLockAcquired') {
        const other = last.event.data as unknown as WriterLockHolder;
        if (!holderIsDead(other)) throw new WriterLockedError(key, other, url);
      }
      let taken: bigint;
      try {
        const written = await client.appendToStream(stream, jsonEvent({ type: 'WriterLockAcquired', data: { ...holder } }), {
          streamState: last?.event ? last.event.revision : NO_STREAM,
        });
        taken = written.nextExpectedRevision;
      } catch (e) {
        if (!(e instanceof WrongExpectedVersionError)) throw e;
        const [now] = await readEvents(stream, 0n, 1, true);
        throw new WriterLockedError(key, (now?.event?.data as unknown as WriterLockHolder | undefined) ?? UNKNOWN_HOLDER, url);
      }
      let released = false;
      const release = async (): Promise<void> => {
        if (released) return;
        released = true;
        heldLocks.delete(release);
        await client.appendToStream(stream, jsonEvent({ type: 'WriterLockReleased', data: { ...holder } }), { streamState: taken }).catch(() => undefined);
      };
      heldLocks.add(release);
      return { key, holder, release };
    });

  const writerLockHolder = (key: string): Promise<WriterLockHolder | null> =>
    call(async () => {
      ensureOpen();
      const [last] = await readEvents(names.server(documentStream('writer-locks', key)), 0n, 1, true);
      if (last?.event?.type !== 'WriterLockAcquired') return null;
      const holder = last.event.data as unknown as WriterLockHolder;
      return holderIsDead(holder) ? null : holder;
    });

  const append = async (stream: string, events: readonly SealedEvent[], opts: AppendOptions): Promise<AppendResult> => {
    ensureOpen();
    const rows = encodeBatch(stream, events);
    const first = events[0];
    return call(async () => {
      const head = await headOf(stream);
      const byId = new Map<string, StoredEventRef>();
      const firstRow = rows[0];
      const lastRow = rows[rows.length - 1];
      if (first && firstRow && lastRow) {
        // A retry: the stored events at the batch's revisions, for the idempotency check.
        if (head && firstRow.revision <= head.revision) {
          for (const r of await readEvents(names.server(stream), BigInt(firstRow.revision), rows.length)) {
            if (!r.event) continue;
            const row = storedRow(r.event, stream);
            const mine = rows[row.revision - firstRow.revision];
            if (mine && r.event.id === mine.eventId) byId.set(mine.eventId, { stream, revision: row.revision, hash: row.hash, position: row.position });
          }
        }
        const clash = claimClash(await claimsOf(first.metadata.portfolioId), stream, firstRow.revision, lastRow.revision);
        const clashing = clash ? rows[clash.revision - firstRow.revision] : undefined;
        if (clash && clashing) byId.set(clashing.eventId, { stream: clash.claim.stream, revision: clash.revision, hash: '', position: -1 });
      }
      let pending: readonly EncodedEvent[] | null = null;
      const target: AppendTarget = {
        eventById: (id) => byId.get(id) ?? null,
        streamHead: () => head,
        insert: (_stream, encoded) => {
          if (encoded.some((e) => byId.get(e.eventId)?.stream !== undefined && byId.get(e.eventId)?.stream !== stream)) return null;
          pending = encoded;
          return -1;
        },
      };
      const decided = appendBatch(target, stream, rows, opts.expectedRevision);
      const toAppend = pending as readonly EncodedEvent[] | null;
      if (!toAppend || toAppend.length === 0) return decided;
      let written;
      try {
        written = await client.appendToStream(
          names.server(stream),
          toAppend.map((e) => binaryEvent({ id: e.eventId, type: e.type, data: Buffer.from(e.body, 'utf8'), metadata: Buffer.from(e.hash, 'utf8') })),
          { streamState: head ? toStreamState(head.revision) : NO_STREAM },
        );
      } catch (e) {
        if (e instanceof WrongExpectedVersionError) throw toWrongExpectedRevision(stream, opts.expectedRevision, e.actualState);
        throw e;
      }
      if (first && stream !== portfolioStream(first.metadata.portfolioId)) {
        const claim: RevisionClaim = { stream, from: toAppend[0]?.revision ?? 0, to: toAppend[toAppend.length - 1]?.revision ?? 0 };
        await client.appendToStream(names.server(claimStream(first.metadata.portfolioId)), jsonEvent({ type: 'RevisionsClaimed', data: { ...claim } }));
      }
      // The result's position is the commit's; the last event's own log position is read back to report it exactly.
      const [last] = await readEvents(names.server(stream), 0n, 1, true);
      const position = last?.event?.position ? fromPosition(last.event.position) : written.position ? fromPosition(written.position) : -1;
      return { nextExpectedRevision: decided.nextExpectedRevision, position };
    });
  };

  return {
    url,
    offThreadAppends: true,
    documents,
    acquireWriterLock,
    writerLockHolder,
    append,
    async appendMany(writes: readonly StreamAppend[]): Promise<AppendResult[]> {
      // No transaction spans streams here: every write is checked first, then they are appended in order, so a failure
      // keeps only writes that came before it (see the port).
      encodeWrites(writes);
      const results: AppendResult[] = [];
      for (const w of writes) results.push(await append(w.stream, w.events, { expectedRevision: w.expectedRevision }));
      return results;
    },
    readStream(stream: string, opts: { readonly fromRevision?: number } = {}): AsyncIterable<RecordedEvent> {
      const reuse = decodeReuse();
      const from = BigInt(Math.max(0, opts.fromRevision ?? 0));
      return {
        async *[Symbol.asyncIterator]() {
          ensureOpen();
          try {
            for await (const r of client.readStream(names.server(stream), { fromRevision: from, direction: FORWARDS })) {
              if (r.event) yield decodeRow(storedRow(r.event, stream), reuse);
            }
          } catch (e) {
            if (e instanceof StreamNotFoundError) return;
            throw translate(e);
          }
        },
      };
    },
    readAll(opts: { readonly fromPosition?: number } = {}): AsyncIterable<RecordedEvent> {
      return allEvents(opts.fromPosition ?? 1);
    },
    subscribe(opts: { readonly fromPosition?: number } = {}): Observable<RecordedEvent> {
      ensureOpen();
      return new Observable<RecordedEvent>((subscriber) => {
        const reuse = decodeReuse();
        const from = Math.max(1, opts.fromPosition ?? 1);
        // The server position of the last delivered event: live delivery and any resubscription start after it.
        let last: KurrentPosition | null = null;
        let stopped = false;
        let current: { unsubscribe(): Promise<void> } | null = null;
        let retry: ReturnType<typeof setTimeout> | null = null;
        const stop = (): void => {
          stopped = true;
          if (retry) clearTimeout(retry);
          live.delete(complete);
          void current?.unsubscribe().catch(() => undefined);
        };
        const complete = (): void => {
          stop();
          subscriber.complete();
        };
        const deliver = (e: AllStreamResolvedEvent['event']): void => {
          const stream = e ? names.port(e.streamId) : null;
          if (!e || stream === null) return;
          const row = storedRow(e, stream);
          // A resubscription may repeat the events at its start; positions only grow, so they are dropped here.
          if (row.position < from || (last !== null && row.position <= fromPosition(last))) return;
          const event = decodeRow(row, reuse);
          last = e.position;
          subscriber.next(event);
        };
        const run = async (): Promise<void> => {
          // Catch-up reads $all from the requested position (inclusive); the live part subscribes after the last event
          // read, a position the server knows, since a subscription starts after the position it is given.
          if (last === null) {
            for await (const r of client.readAll({ fromPosition: toReadPosition(from), filter: logFilter() })) {
              if (stopped) return;
              deliver(r.event);
            }
          }
          const subscription = client.subscribeToAll({ fromPosition: last ?? toReadPosition(from), filter: logFilter() });
          current = subscription;
          for await (const r of subscription as AsyncIterable<AllStreamResolvedEvent>) {
            if (stopped) return;
            deliver(r.event);
          }
        };
        const start = (): void => {
          retry = null;
          if (stopped) return;
          run().catch((e: unknown) => {
            if (stopped) return;
            const error = translate(e);
            if (error instanceof StoreUnavailableError) {
              retry = setTimeout(start, RESUBSCRIBE_DELAY_MS);
              return;
            }
            stop();
            subscriber.error(error);
          });
        };
        live.add(complete);
        start();
        return stop;
      });
    },
    async streamRevision(stream: string): Promise<number | 'no_stream'> {
      return call(async () => {
        const head = await headOf(stream);
        return head ? head.revision : 'no_stream';
      });
    },
    async listStreams(): Promise<string[]> {
      return call(async () => {
        // KurrentDB keeps no cheap list of streams without system projections; $all is scanned once, filtered on the server.
        const found = new Set<string>();
        for await (const r of client.readAll({ filter: logFilter() })) {
          const stream = r.event ? names.port(r.event.streamId) : null;
          if (stream !== null) found.add(stream);
        }
        return [...found].sort(byCodeUnits);
      });
    },
    /** The server does its own upkeep (scavenges are an operator's task). */
    async maintain(): Promise<void> {},
    async close(): Promise<void> {
      if (closed) return;
      for (const complete of [...live]) complete();
      for (const release of [...heldLocks]) await release();
      closed = true;
      await client.dispose();
    },
  };
}

/** Where the streams of a log (in a namespace or not) live in KurrentDB. */
function streamNames(namespace: string): { prefix: string; server(stream: string): string; port(serverStream: string): string | null } {
  const prefix = namespace === '' ? '' : `${namespace}/`;
  return {
    prefix,
    server: (stream) => `${prefix}${stream}`,
    port: (serverStream) => (serverStream.startsWith(prefix) && !isInternalStream(serverStream.slice(prefix.length)) ? serverStream.slice(prefix.length) : null),
  };
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
