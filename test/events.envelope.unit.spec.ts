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
  invalidEventData,
  jsonString,
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

  it('writes what JSON.stringify writes for each member, keys in sorted order at every depth (property)', () => {
    // The reference writes keys itself: an object cannot hold integer-like keys in sorted order.
    const reference = (v: unknown): string =>
      Array.isArray(v)
        ? `[${v.map(reference).join(',')}]`
        : v !== null && typeof v === 'object'
          ? `{${Object.keys(v)
              .sort()
              .map((k) => `${JSON.stringify(k)}:${reference((v as Record<string, unknown>)[k])}`)
              .join(',')}}`
          : (JSON.stringify(v) as string);
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(value)).toBe(reference(value));
      }),
      { numRuns: 300 },
    );
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

describe('jsonString', () => {
  it('writes the same bytes as JSON.stringify for any string, including quotes, controls, and lone surrogates (property)', () => {
    const lone = fc.constantFrom('\ud800', '\udfff', 'a\udc00b', '\ud83d\ude00', '"', '\\', '\u0000', '\u001f', '\u007f', '\u2028');
    const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.array(fc.oneof(lone, fc.string()), { maxLength: 5 }).map((xs) => xs.join('')));
    fc.assert(
      fc.property(text, (s) => {
        expect(jsonString(s)).toBe(JSON.stringify(s));
      }),
      { numRuns: 1000 },
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
  const v1Invalid = body.replace('"quantity":"10"', '"quantity":10').replace('"schemaVersion":2', '"schemaVersion":1');
  const corrupt: [string, string, string, RegExp][] = [
    ['an altered byte', body.replace('187.25', '187.35'), event.metadata.hash, /hash mismatch/],
    ['unparseable JSON', '{"type":', sha256Hex('{"type":'), /unparseable JSON/],
    ['a JSON value that is not an object', '42', sha256Hex('42'), /not a JSON object/],
    ['an unknown type', body.replace('FillRecorded', 'FillLost'), sha256Hex(body.replace('FillRecorded', 'FillLost')), /unknown event type "FillLost"/],
    ['metadata whose revision is not the row\'s', body.replace('"revision":0', '"revision":5'), sha256Hex(body.replace('"revision":0', '"revision":5')), /malformed metadata/],
    ['a schema version newer than the code', body.replace('"schemaVersion":2', '"schemaVersion":3'), sha256Hex(body.replace('"schemaVersion":2', '"schemaVersion":3')), /v3 is newer/],
    ['an old-version payload violating its schema once upcast', v1Invalid, sha256Hex(v1Invalid), /FillRecorded violates its schema: quantity/],
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

  it('decodes a current-version payload that violates its schema but matches its hash as stored; invalidEventData names the violation', () => {
    // Every write validated the bytes a matching hash covers, so reads do not validate again; audit --verify does.
    const text = body.replace('"quantity":"10"', '"quantity":10');
    const decoded = decodeStored(text, sha256Hex(text), at);
    expect(decoded.data).toMatchObject({ quantity: 10 });
    expect(invalidEventData(decoded)).toMatch(/^FillRecorded violates its schema: quantity/);
    expect(invalidEventData(event)).toBeNull();
  });

  it('decodes every well-formed body as JSON.parse reads it, whatever its strings hold and wherever data mentions metadata (property)', () => {
    const text = fc.oneof(fc.string(), fc.constantFrom('a"b', 'x\\y', 'tab\t', '\u0000', '\ud800', ',"metadata":{"barTime":', 'é€'));
    const data = fc.oneof(
      fc.jsonValue(),
      fc.record({ a: fc.integer(), metadata: fc.record({ barTime: fc.constant(null), revision: fc.nat() }) }),
      fc.record({ note: fc.constant('},"type":"FillRecorded"}') }),
    );
    fc.assert(
      fc.property(text, text, fc.option(text, { nil: null }), fc.nat({ max: 2 ** 40 }), data, (portfolioId, prevHash, barTime, revision, payload) => {
        const metadata = { eventId: eventIdFor(portfolioId, revision), portfolioId, revision, barTime, schemaVersion: 1, prevHash };
        const stored = eventBody({ type: 'StrategyLifecycleChanged', data: payload, metadata });
        expect(stored).toBe(canonicalJson({ type: 'StrategyLifecycleChanged', data: payload, metadata }));
        const hash = sha256Hex(stored);
        const reference = JSON.parse(stored) as { metadata: object };
        const where = { stream: 's', revision, position: 3 };
        expect(decodeStored(stored, hash, where)).toEqual({ ...reference, metadata: { ...reference.metadata, hash }, stream: 's', position: 3 });
      }),
      { numRuns: 500 },
    );
  });

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
