import { describe, expect, it } from 'vitest';
import { documentAnchorMatches, openDocument, sealDocument, type DocumentHeader } from '../events/sealedDocument.js';
import { GENESIS_HASH, portfolioStream } from '../events/envelope.js';
import { createMemoryEventStore } from '../events/adapters/memoryStore.js';
import { genesis, sealBatch } from './fixtures/sampleEvents.js';

const header: DocumentHeader = { kind: 'checkpoint', version: 3, anchor: { stream: 'portfolio-p1', revision: 4, eventHash: 'a'.repeat(64) } };

describe('sealed documents', () => {
  it('open returns the sealed header and body', () => {
    const opened = openDocument(sealDocument(header, { reserve: '12.50', list: [1, 2] }), { kind: 'checkpoint', version: 3 });
    expect(opened).toEqual({ ok: true, header, body: { reserve: '12.50', list: [1, 2] } });
  });

  it('one changed digit in the body, or in the anchor, is detected', () => {
    const text = sealDocument(header, { reserve: '12609937.90' });
    expect(openDocument(text.replace('12609937.90', '912609937.90'), { kind: 'checkpoint' })).toEqual({
      ok: false,
      reason: 'content hash mismatch: the document was altered',
    });
    expect(openDocument(text.replace('"revision":4', '"revision":5'), { kind: 'checkpoint' })).toMatchObject({ ok: false, reason: /content hash mismatch/ });
  });

  it('refuses text that is not a sealed document, another kind, or another version', () => {
    expect(openDocument('abc', { kind: 'checkpoint' })).toEqual({ ok: false, reason: 'not JSON' });
    expect(openDocument('{"revision":3}', { kind: 'checkpoint' })).toMatchObject({ ok: false, reason: /not a sealed document/ });
    expect(openDocument(sealDocument(header, {}), { kind: 'snapshot' })).toMatchObject({ ok: false, reason: /a checkpoint document where a snapshot/ });
    expect(openDocument(sealDocument(header, {}), { kind: 'checkpoint', version: 4 })).toMatchObject({ ok: false, reason: /version 3 where 4/ });
  });

  it('an anchor matches only the event of the log at its revision with its hash', async () => {
    const store = createMemoryEventStore();
    const stream = portfolioStream('p1');
    await store.append(stream, sealBatch(genesis('p1'), 0, 3).events, { expectedRevision: 'no_stream' });
    const events = [];
    for await (const e of store.readStream(stream)) events.push(e);
    const at = (revision: number, eventHash: string) => documentAnchorMatches(store, { stream, revision, eventHash }, GENESIS_HASH);
    expect(await at(1, events[1]?.metadata.hash ?? '')).toBeNull();
    expect(await at(1, events[2]?.metadata.hash ?? '')).toMatch(/hash in the log differs/);
    expect(await at(7, 'x')).toMatch(/which the log does not have/);
    expect(await at(-1, GENESIS_HASH)).toBeNull();
    await store.close();
  });
});
