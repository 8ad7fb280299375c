// Sealing and decoding events: deterministic ids, canonical JSON, hashes, typed corruption, and the FillRecorded v1→v2 upcaster.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CURRENT_VERSION,
  CorruptEventError,
  GENESIS_HASH,
  InvalidEventError,
  canonicalJson,
  decodeStored,
  domainEvent,
  encodeForStore,
  eventBody,
  eventIdFor,
  sealEvents,
  sha256Hex,
} from '../events/index.js';
import { fill, genesis, reseal } from './fixtures/sampleEvents.js';

const at = { stream: 'portfolio-p', revision: 0, position: 7 };

describe('canonical JSON', () => {
  it('sorts keys at every depth, keeps array order, drops undefined members and has no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' }, u: undefined })).toBe('{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it('refuses values JSON cannot hold', () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(/\$\.a is NaN/);
    expect(() => canonicalJson({ a: [1, () => 1] })).toThrow(TypeError);
  });

  it('is independent of key insertion order and parses back to the same value (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        const reparsed = JSON.parse(text) as unknown;
        // Re-serialising what was parsed (keys now in sorted insertion order) gives the same bytes.
        expect(canonicalJson(reparsed)).toBe(text);
        expect(canonicalJson(JSON.parse(JSON.stringify(value)))).toBe(text);
      }),
      { numRuns: 200 },
    );
  });
});

describe('sealEvents', () => {
  it('assigns revisions from the head, deterministic ids, schema versions, and links each hash to the next', () => {
    const head = { portfolioId: 'p', nextRevision: 3, prevHash: sha256Hex('before') };
    const { events, head: next } = sealEvents(head, [
      { event: fill(0, 0), barTime: '2024-01-02T14:30:00.000Z' },
      { event: domainEvent('StrategyLifecycleChanged', { strategyId: 's', from: 'running', to: 'paused', reason: 'fault' }), barTime: null },
    ]);
    const [a, b] = events;
    expect(a?.metadata).toMatchObject({ revision: 3, eventId: eventIdFor('p', 3), prevHash: sha256Hex('before'), schemaVersion: 2 });
    expect(b?.metadata).toMatchObject({ revision: 4, eventId: eventIdFor('p', 4), prevHash: a?.metadata.hash, schemaVersion: 1, barTime: null });
    expect(next).toEqual({ portfolioId: 'p', nextRevision: 5, prevHash: b?.metadata.hash });
    expect(CURRENT_VERSION.FillRecorded).toBe(2);
  });

  it('hashes the canonical body written out by hand', () => {
    const { events } = sealEvents(genesis('p'), [
      { event: domainEvent('StrategyLifecycleChanged', { strategyId: 's', from: 'running', to: 'paused', reason: 'r' }), barTime: null },
    ]);
    const expectedBody =
      '{"data":{"from":"running","reason":"r","strategyId":"s","to":"paused"},' +
      `"metadata":{"barTime":null,"eventId":"${eventIdFor('p', 0)}","portfolioId":"p","prevHash":"${GENESIS_HASH}","revision":0,"schemaVersion":1},` +
      '"type":"StrategyLifecycleChanged"}';
    expect(events[0] && eventBody(events[0])).toBe(expectedBody);
    expect(events[0]?.metadata.hash).toBe(sha256Hex(expectedBody));
  });

  it('is deterministic: the same input seals to the same bytes, whatever the key order of the payload', () => {
    const data = { orderId: 'o', strategyId: 's', symbol: 'X', quantity: '1', price: '2', commission: '0', slippage: '0' };
    const shuffled = { slippage: '0', price: '2', symbol: 'X', commission: '0', quantity: '1', orderId: 'o', strategyId: 's' };
    const one = sealEvents(genesis('p'), [{ event: domainEvent('FillRecorded', data), barTime: null }]).events;
    const two = sealEvents(genesis('p'), [{ event: domainEvent('FillRecorded', shuffled), barTime: null }]).events;
    expect(one[0]?.metadata.hash).toBe(two[0]?.metadata.hash);
    expect(one[0]?.metadata.eventId).toBe(two[0]?.metadata.eventId);
  });

  it('refuses an invalid payload with InvalidEventError naming the type and revision', () => {
    const bad = domainEvent('FillRecorded', { ...(fill(0, 0).data as { orderId: string }), price: '1e3' } as never);
    expect(() => sealEvents({ portfolioId: 'p', nextRevision: 9, prevHash: GENESIS_HASH }, [{ event: bad, barTime: null }])).toThrow(
      /FillRecorded \(revision 9\) is invalid: price/,
    );
  });
});

describe('eventIdFor', () => {
  it('is a UUID determined by portfolio and revision only', () => {
    const id = eventIdFor('p', 0);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(eventIdFor('p', 0)).toBe(id);
    expect(new Set([id, eventIdFor('p', 1), eventIdFor('q', 0), eventIdFor('p1', 0)]).size).toBe(4);
  });
});

describe('encodeForStore and decodeStored', () => {
  const [event] = sealEvents(genesis('p'), [{ event: fill(0, 0), barTime: null }]).events;
  if (!event) throw new Error('setup');

  it('round-trips: decoding the stored body gives the sealed event with its location', () => {
    const { body, hash } = encodeForStore(event);
    expect(hash).toBe(event.metadata.hash);
    expect(decodeStored(body, hash, at)).toEqual({ ...event, stream: at.stream, position: at.position });
  });

  it('encodeForStore refuses an event whose content no longer matches its hash, or whose payload is invalid', () => {
    expect(() => encodeForStore({ ...event, data: { ...event.data, quantity: '11' } } as typeof event)).toThrow(/hash that does not match/);
    expect(() => encodeForStore(reseal(event, (e) => (e.data['quantity'] = 'ten')))).toThrow(InvalidEventError);
  });

  const body = eventBody(event);
  const corrupt: [string, string, string, RegExp][] = [
    ['an altered byte', body.replace('187.25', '187.35'), event.metadata.hash, /hash mismatch/],
    ['unparseable JSON', '{"type":', sha256Hex('{"type":'), /unparseable JSON/],
    ['a JSON value that is not an object', '42', sha256Hex('42'), /not a JSON object/],
    ['an unknown type', body.replace('FillRecorded', 'FillLost'), sha256Hex(body.replace('FillRecorded', 'FillLost')), /unknown event type "FillLost"/],
    ['metadata whose revision is not the row\'s', body.replace('"revision":0', '"revision":5'), sha256Hex(body.replace('"revision":0', '"revision":5')), /malformed metadata/],
    ['a schema version newer than the code', body.replace('"schemaVersion":2', '"schemaVersion":3'), sha256Hex(body.replace('"schemaVersion":2', '"schemaVersion":3')), /v3 is newer/],
    ['a payload violating its schema', body.replace('"quantity":"10"', '"quantity":10'), sha256Hex(body.replace('"quantity":"10"', '"quantity":10')), /violates its schema: quantity/],
  ];
  for (const [name, text, hash, reason] of corrupt) {
    it(`decodeStored raises CorruptEventError at the row for ${name}`, () => {
      let error: unknown;
      try {
        decodeStored(text, hash, at);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CorruptEventError);
      expect((error as CorruptEventError).location).toEqual(at);
      expect((error as Error).message).toMatch(/stream "portfolio-p", revision 0, position 7/);
      expect((error as Error).message).toMatch(reason);
    });
  }

  it('upcasts a FillRecorded v1 body (no slippage) to v2 with slippage 0, keeping its stored metadata and hash', () => {
    const v1 = canonicalJson({
      type: 'FillRecorded',
      data: { orderId: 'o', strategyId: 's', symbol: 'X', quantity: '-2', price: '10.5', commission: '0.1' },
      metadata: { eventId: eventIdFor('p', 0), portfolioId: 'p', revision: 0, barTime: null, schemaVersion: 1, prevHash: GENESIS_HASH },
    });
    const decoded = decodeStored(v1, sha256Hex(v1), at);
    expect(decoded.data).toEqual({ orderId: 'o', strategyId: 's', symbol: 'X', quantity: '-2', price: '10.5', commission: '0.1', slippage: '0' });
    expect(decoded.metadata.schemaVersion).toBe(1);
    expect(decoded.metadata.hash).toBe(sha256Hex(v1));
  });
});
