// Projection checkpoints are derived data: the runner and the audit use one only when it matches itself and the log.
import { describe, expect, it } from 'vitest';
import {
  CHECKPOINT_COLLECTION,
  CHECKPOINT_KIND,
  MemoryLog,
  ProjectionRunner,
  createMemoryEventStore,
  encodeState,
  isCorruptEventError,
  openDocument,
  sealDocument,
  standardProjections,
  verifyStoredDocuments,
  type EventStore,
} from '../src/index.js';
import { STREAM, appendBatches, fixtureBatches } from './projections.fixture.js';

const json = (states: unknown): string => JSON.stringify(encodeState(states));
const KEY = `portfolio@${STREAM}`;

async function checkpointed(): Promise<{ log: MemoryLog; store: EventStore; full: string }> {
  const log = new MemoryLog();
  const store = createMemoryEventStore({ log });
  await appendBatches(store, fixtureBatches());
  const first = await new ProjectionRunner(store, standardProjections(), { stream: STREAM }).run();
  return { log, store, full: json(first.states) };
}

/** Rewrites the stored portfolio checkpoint: `edit` changes its stored text. */
async function editCheckpoint(store: EventStore, edit: (text: string) => string): Promise<void> {
  const text = (await store.documents.get(CHECKPOINT_COLLECTION, KEY)) as string;
  await store.documents.put(CHECKPOINT_COLLECTION, KEY, edit(text));
}

/** Re-seals the portfolio checkpoint with a changed body or anchor, as someone who knows the format could. */
async function reseal(store: EventStore, change: (body: { state: { portfolioValue: { $dec: string } } }, anchor: { revision: number; eventHash: string }) => void): Promise<void> {
  const opened = openDocument((await store.documents.get(CHECKPOINT_COLLECTION, KEY)) as string, { kind: CHECKPOINT_KIND });
  if (!opened.ok) throw new Error(opened.reason);
  const body = opened.body as { state: { portfolioValue: { $dec: string } } };
  const anchor = { ...opened.header.anchor };
  change(body, anchor);
  await store.documents.put(CHECKPOINT_COLLECTION, KEY, sealDocument({ ...opened.header, anchor }, body));
}

describe('checkpoint integrity', () => {
  it('a checkpoint with one digit changed is ignored, reported, rebuilt from the log and saved again', async () => {
    const { store, full } = await checkpointed();
    await editCheckpoint(store, (t) => t.replace('\\"portfolioValue\\":{\\"$dec\\":\\"1053\\"}', '\\"portfolioValue\\":{\\"$dec\\":\\"9053\\"}'));
    expect(await store.documents.get(CHECKPOINT_COLLECTION, KEY)).toContain('9053');
    const again = await new ProjectionRunner(store, standardProjections(), { stream: STREAM }).run();
    expect(again.rejectedCheckpoints).toEqual([{ projection: 'portfolio', reason: 'content hash mismatch: the document was altered' }]);
    expect(again.states.portfolio.portfolioValue.toString()).toBe('1053');
    expect(json(again.states)).toBe(full);
    expect(again.resumed).not.toContain('portfolio');
    const third = await new ProjectionRunner(store, standardProjections(), { stream: STREAM }).run();
    expect(third.rejectedCheckpoints).toEqual([]);
    expect(third.resumed).toContain('portfolio');
  });

  it('a checkpoint whose state does not decode (a Decimal "abc", re-sealed) is ignored and reported, never a DecimalError', async () => {
    const { store, full } = await checkpointed();
    await reseal(store, (body) => {
      body.state.portfolioValue.$dec = 'abc';
    });
    const again = await new ProjectionRunner(store, standardProjections(), { stream: STREAM }).run();
    expect(again.rejectedCheckpoints).toHaveLength(1);
    expect(again.rejectedCheckpoints[0]?.reason).toMatch(/its state does not decode/);
    expect(json(again.states)).toBe(full);
  });

  it('a checkpoint anchored at an event hash the log does not have is ignored and reported', async () => {
    const { store, full } = await checkpointed();
    await reseal(store, (_body, anchor) => {
      anchor.eventHash = 'e'.repeat(64);
    });
    const again = await new ProjectionRunner(store, standardProjections(), { stream: STREAM }).run();
    expect(again.rejectedCheckpoints[0]?.reason).toMatch(/whose hash in the log differs/);
    expect(json(again.states)).toBe(full);
  });

  it('a checkpoint built at a revision the log no longer has (the log was cut or replaced) is ignored and reported', async () => {
    const { store } = await checkpointed();
    const shorter = createMemoryEventStore({ log: new MemoryLog() });
    await appendBatches(shorter, fixtureBatches().slice(0, 3));
    await shorter.documents.put(CHECKPOINT_COLLECTION, KEY, (await store.documents.get(CHECKPOINT_COLLECTION, KEY)) as string);
    const r = await new ProjectionRunner(shorter, { portfolio: standardProjections().portfolio }, { stream: STREAM }).run();
    expect(r.rejectedCheckpoints[0]?.reason).toMatch(/which the log does not have/);
    expect(r.revision).toBe(11);
  });

  it('an event after the checkpoint that does not link to the one before it stops the fold with a CorruptEventError', async () => {
    const log = new MemoryLog();
    const store = createMemoryEventStore({ log });
    const batches = fixtureBatches();
    const head = await appendBatches(store, batches.slice(0, 3));
    await new ProjectionRunner(store, standardProjections(), { stream: STREAM }).run();
    await appendBatches(store, batches.slice(3), head);
    // Splice in a validly sealed event from another chain at revision 12: its own hash holds, the link of 13 does not.
    const otherLog = new MemoryLog();
    const alt = fixtureBatches();
    const decided = (alt[3] as { event: { data: { reason: string } } }[])[0] as { event: { data: { reason: string } } };
    decided.event.data.reason = 'another chain';
    await appendBatches(createMemoryEventStore({ log: otherLog }), alt);
    const row = log.rows[12] as { body: string; hash: string };
    const forged = otherLog.rows[12] as { body: string; hash: string };
    row.body = forged.body;
    row.hash = forged.hash;
    const failure = await new ProjectionRunner(store, standardProjections(), { stream: STREAM }).run().catch((e: unknown) => e);
    expect(isCorruptEventError(failure)).toBe(true);
    expect((failure as Error).message).toMatch(/revision 13, position 14: prevHash does not match/);
  });
});

describe('audit of stored checkpoints', () => {
  it('proves sound checkpoints by content, anchor and a refold of the log', async () => {
    const { store } = await checkpointed();
    const checks = await verifyStoredDocuments(store, STREAM, standardProjections());
    expect(checks).toHaveLength(9);
    expect(checks.every((c) => c.status === 'sound' && c.refolded && c.revision === 15)).toBe(true);
  });

  it('catches a re-sealed checkpoint whose content hash and anchor hold but whose state is not the log’s', async () => {
    const { store } = await checkpointed();
    await reseal(store, (body) => {
      body.state.portfolioValue.$dec = '9053';
    });
    const checks = await verifyStoredDocuments(store, STREAM, standardProjections());
    const bad = checks.filter((c) => c.status !== 'sound');
    expect(bad).toEqual([
      expect.objectContaining({ key: KEY, status: 'broken', refolded: true, reason: expect.stringMatching(/differs from the portfolio projection refolded from the log to revision 15/) }),
    ]);
  });

  it('reports an altered checkpoint as broken and an unsealed one as unsealed', async () => {
    const { store } = await checkpointed();
    await editCheckpoint(store, (t) => t.replace('1053', '1054'));
    await store.documents.put(CHECKPOINT_COLLECTION, `positions@${STREAM}`, JSON.stringify({ name: 'positions', version: 1 }));
    const checks = await verifyStoredDocuments(store, STREAM, standardProjections());
    expect(checks.find((c) => c.key === KEY)).toMatchObject({ status: 'broken', reason: 'content hash mismatch: the document was altered' });
    expect(checks.find((c) => c.key === `positions@${STREAM}`)).toMatchObject({ status: 'unsealed' });
  });
});

