// The hash-chain verifier: an intact stream verifies; the first altered link, gap or foreign id is named by revision and position.
import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, verifyChain, type RecordedEvent, type SealedEvent } from '../events/index.js';
import { genesis, reseal, sealBatch } from './fixtures/sampleEvents.js';

function recorded(events: readonly SealedEvent[], firstPosition = 11): RecordedEvent[] {
  return events.map((e, i) => ({ ...e, stream: 'portfolio-p', position: firstPosition + i * 2 }) as RecordedEvent);
}
const sealed = sealBatch(genesis('p'), 0, 6).events;

describe('verifyChain', () => {
  it('verifies an intact stream and reports its length and head hash', async () => {
    expect(await verifyChain(recorded(sealed))).toEqual({ ok: true, events: 6, headHash: sealed[5]?.metadata.hash });
    expect(await verifyChain([])).toEqual({ ok: true, events: 0, headHash: GENESIS_HASH });
  });

  it('names the first event whose prevHash does not link (an altered, removed or inserted event)', async () => {
    const events = [...sealed];
    events[3] = reseal(sealed[3] as SealedEvent, (e) => (e.metadata['prevHash'] = GENESIS_HASH));
    // A later break must not hide the first one.
    events[5] = reseal(sealed[5] as SealedEvent, (e) => (e.metadata['prevHash'] = GENESIS_HASH));
    const verdict = await verifyChain(recorded(events));
    expect(verdict).toMatchObject({ ok: false, stream: 'portfolio-p', revision: 3, position: 17 });
    expect(verdict.ok ? '' : verdict.reason).toMatch(/prevHash/);
  });

  it('names the event after a gap in revisions', async () => {
    const withGap = recorded([...sealed.slice(0, 2), ...sealed.slice(3)]);
    const verdict = await verifyChain(withGap);
    expect(verdict).toMatchObject({ ok: false, revision: 3, position: 15 });
    expect(verdict.ok ? '' : verdict.reason).toMatch(/revision 3 where 2 was expected/);
  });

  it('names a stream that does not start at the genesis hash', async () => {
    const verdict = await verifyChain(recorded(sealed.slice(1)));
    expect(verdict).toMatchObject({ ok: false, revision: 1, position: 11 });
  });

  it('names an event whose id is not the deterministic one', async () => {
    const events = [...sealed];
    events[2] = reseal(sealed[2] as SealedEvent, (e) => (e.metadata['eventId'] = 'not-a-derived-id'));
    const verdict = await verifyChain(recorded(events));
    expect(verdict).toMatchObject({ ok: false, revision: 2 });
    expect(verdict.ok ? '' : verdict.reason).toMatch(/event id/);
  });
});
