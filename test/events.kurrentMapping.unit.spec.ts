// The KurrentDB adapter's pure translations: revisions to streamState, positions, errors, stream names, id claims.
// These run without a server; the adapter itself is tested only against a real KurrentDB (events.store.kurrentdb.int.spec.ts).
import { describe, expect, it } from 'vitest';
import { StoreConfigError, WrongExpectedRevisionError } from '../events/index.js';
import {
  claimClash,
  claimStream,
  documentKeyOf,
  documentStream,
  fromCurrentState,
  fromPosition,
  fromRevision,
  isInternalStream,
  kurrentConnectionString,
  toReadPosition,
  toStreamState,
  toWrongExpectedRevision,
} from '../events/adapters/kurrentMapping.js';

describe('KurrentDB mapping', () => {
  it("maps the port's expected revision to streamState: no_stream, any, or the revision as a bigint", () => {
    expect(toStreamState('no_stream')).toBe('no_stream');
    expect(toStreamState('any')).toBe('any');
    expect(toStreamState(0)).toBe(0n);
    expect(toStreamState(41)).toBe(41n);
  });

  it('maps revisions and current stream states back to numbers, refusing what a number cannot hold exactly', () => {
    expect(fromRevision(7n)).toBe(7);
    expect(fromCurrentState(12n)).toBe(12);
    expect(fromCurrentState('no_stream')).toBe('no_stream');
    expect(() => fromRevision(2n ** 53n)).toThrow(StoreConfigError);
  });

  it("takes an event's log (prepare) position as its global position, and reads from it inclusively", () => {
    expect(fromPosition({ commit: 1024n, prepare: 1024n })).toBe(1024);
    expect(fromPosition({ commit: 1024n, prepare: 1310n })).toBe(1310);
    expect(() => fromPosition({ commit: 0n, prepare: 2n ** 60n })).toThrow(/outside the safe integer range/);
    expect(toReadPosition(1)).toBe('start');
    expect(toReadPosition(0)).toBe('start');
    expect(toReadPosition(5000)).toEqual({ commit: 5000n, prepare: 5000n });
  });

  it("turns the client's wrong-expected-version details into WrongExpectedRevisionError with the actual revision", () => {
    const e = toWrongExpectedRevision('portfolio-a', 3, 5n);
    expect(e).toBeInstanceOf(WrongExpectedRevisionError);
    expect(e).toMatchObject({ stream: 'portfolio-a', expected: 3, actual: 5 });
    expect(toWrongExpectedRevision('portfolio-a', 'no_stream', 'no_stream').actual).toBe('no_stream');
  });

  it('keeps documents and id claims in streams of their own, apart from portfolio streams and system streams', () => {
    const s = documentStream('checkpoints', 'a:b/c');
    expect(isInternalStream(s)).toBe(true);
    expect(documentKeyOf('checkpoints', s)).toBe('a:b/c');
    // A key cannot make its stream look like another collection's: collection and key are escaped.
    expect(documentKeyOf('checkpoints:a', documentStream('checkpoints', 'a:x'))).toBeNull();
    expect(documentStream('c', 'k1')).not.toBe(documentStream('c:k', '1'));
    expect(isInternalStream(claimStream('pf'))).toBe(true);
    expect(isInternalStream('$et-FillRecorded')).toBe(true);
    expect(isInternalStream('portfolio-pf')).toBe(false);
  });

  it('finds the first revision of a batch claimed by another stream, ignoring claims of the same stream', () => {
    const claims = [
      { stream: 'stream-x', from: 35, to: 36 },
      { stream: 'portfolio-p', from: 0, to: 10 },
    ];
    expect(claimClash(claims, 'portfolio-p', 0, 39)).toEqual({ claim: claims[0], revision: 35 });
    expect(claimClash(claims, 'stream-y', 8, 9)).toEqual({ claim: claims[1], revision: 8 });
    expect(claimClash(claims, 'portfolio-p', 0, 34)).toBeNull();
    expect(claimClash(claims, 'stream-x', 11, 40)).toBeNull();
  });

  it('passes kurrentdb URLs on as they are and rewrites the deprecated esdb schemes', () => {
    expect(kurrentConnectionString('kurrentdb://h:2113?tls=false')).toBe('kurrentdb://h:2113?tls=false');
    expect(kurrentConnectionString('esdb://h:2113?tls=false')).toBe('kurrentdb://h:2113?tls=false');
    expect(kurrentConnectionString('ESDB+discover://h:2113')).toBe('kurrentdb+discover://h:2113');
  });
});
