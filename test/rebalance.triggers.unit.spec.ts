import { describe, expect, it } from 'vitest';
import { ConfigError, DataError } from '../src/errors.js';
import { AllocationRebalancer, periodKey } from '../src/rebalance/index.js';

const flat = { a: 0.5, b: 0.5 };

function after(options: ConstructorParameters<typeof AllocationRebalancer>[0], last: string): AllocationRebalancer {
  const r = new AllocationRebalancer(options);
  r.recordRebalance(last);
  return r;
}

describe('calendar periods (UTC)', () => {
  it('keys days, ISO weeks, months and quarters with the year', () => {
    expect(periodKey('2024-12-31T23:59:59.999Z', 'daily')).toBe('2024-12-31');
    expect(periodKey('2024-12-30T00:00:00.000Z', 'weekly')).toBe('2025-W01');
    expect(periodKey('2021-01-03T12:00:00.000Z', 'weekly')).toBe('2020-W53');
    expect(periodKey('2024-02-29T10:00:00.000Z', 'monthly')).toBe('2024-02');
    expect(periodKey('2024-04-01T00:00:00.000Z', 'quarterly')).toBe('2024-Q2');
    expect(periodKey('2024-04-01T00:00:00.000Z', 'never')).toBeNull();
  });
});

describe('AllocationRebalancer: schedule', () => {
  it('fires monthly across December → January and a same-month year later (the reference ignores the year, B15)', () => {
    const r = after({ frequency: 'monthly' }, '2023-12-29T00:00:00.000Z');
    expect(r.shouldRebalance('2024-01-02T00:00:00.000Z', flat, flat)).toMatchObject({ rebalance: true, trigger: 'schedule' });
    const yearLater = after({ frequency: 'monthly' }, '2023-01-03T00:00:00.000Z');
    expect(yearLater.shouldRebalance('2024-01-15T00:00:00.000Z', flat, flat).rebalance).toBe(true);
  });

  it('fires on the first slice of the month whatever its day, and only once per month', () => {
    const r = after({ frequency: 'monthly' }, '2024-01-02T00:00:00.000Z');
    expect(r.shouldRebalance('2024-01-31T00:00:00.000Z', flat, flat).rebalance).toBe(false);
    expect(r.shouldRebalance('2024-02-05T00:00:00.000Z', flat, flat)).toMatchObject({ rebalance: true, trigger: 'schedule' });
    r.recordRebalance('2024-02-05T00:00:00.000Z');
    expect(r.shouldRebalance('2024-02-06T00:00:00.000Z', flat, flat).rebalance).toBe(false);
  });

  it('fires weekly on a week that spans the year end, once', () => {
    const r = after({ frequency: 'weekly' }, '2024-12-27T00:00:00.000Z');
    expect(r.shouldRebalance('2024-12-30T00:00:00.000Z', flat, flat).rebalance).toBe(true);
    r.recordRebalance('2024-12-30T00:00:00.000Z');
    expect(r.shouldRebalance('2025-01-02T00:00:00.000Z', flat, flat).rebalance).toBe(false);
    expect(r.shouldRebalance('2025-01-06T00:00:00.000Z', flat, flat).rebalance).toBe(true);
  });

  it('handles intraday bars: Monday 16:00 → next Monday 09:00 is a new week (the reference waits 7 floored days)', () => {
    const weekly = after({ frequency: 'weekly' }, '2024-01-08T16:00:00.000Z');
    expect(weekly.shouldRebalance('2024-01-15T09:00:00.000Z', flat, flat).rebalance).toBe(true);
    const daily = after({ frequency: 'daily' }, '2024-01-08T09:00:00.000Z');
    expect(daily.shouldRebalance('2024-01-08T15:30:00.000Z', flat, flat).rebalance).toBe(false);
    expect(daily.shouldRebalance('2024-01-09T09:30:00.000Z', flat, flat).rebalance).toBe(true);
  });

  it('fires quarterly on the first slice of a new quarter', () => {
    const r = after({ frequency: 'quarterly' }, '2024-01-02T00:00:00.000Z');
    expect(r.shouldRebalance('2024-03-29T00:00:00.000Z', flat, flat).rebalance).toBe(false);
    expect(r.shouldRebalance('2024-04-01T00:00:00.000Z', flat, flat).rebalance).toBe(true);
  });

  it('fires on the first slice when nothing was recorded, and never with frequency never', () => {
    expect(new AllocationRebalancer({ frequency: 'monthly' }).shouldRebalance('2024-01-02T00:00:00.000Z', flat, flat).trigger).toBe('schedule');
    expect(new AllocationRebalancer({ frequency: 'never' }).shouldRebalance('2024-01-02T00:00:00.000Z', flat, flat).rebalance).toBe(false);
  });
});

describe('AllocationRebalancer: cooldown in bar time', () => {
  it('measures the cooldown in milliseconds, not floored days', () => {
    const r = after({ frequency: 'monthly', cooldownDays: 1 }, '2024-01-31T16:00:00.000Z');
    const blocked = r.shouldRebalance('2024-02-01T09:00:00.000Z', flat, flat);
    expect(blocked).toMatchObject({ rebalance: false, trigger: null });
    expect(blocked.reason).toMatch(/cooldown/);
    expect(r.shouldRebalance('2024-02-01T16:00:00.000Z', flat, flat)).toMatchObject({ rebalance: true, trigger: 'schedule' });
    const fractional = after({ frequency: 'daily', cooldownDays: 0.5 }, '2024-01-01T00:00:00.000Z');
    expect(fractional.shouldRebalance('2024-01-02T11:59:59.999Z', flat, flat).rebalance).toBe(true);
  });

  it('does not skip a period whose start falls inside the cooldown', () => {
    const r = after({ frequency: 'monthly', cooldownDays: 5 }, '2024-01-30T00:00:00.000Z');
    expect(r.shouldRebalance('2024-02-01T00:00:00.000Z', flat, flat).rebalance).toBe(false);
    expect(r.shouldRebalance('2024-02-05T00:00:00.000Z', flat, flat)).toMatchObject({ rebalance: true, trigger: 'schedule' });
  });

  it('blocks drift during the cooldown too', () => {
    const r = after({ frequency: 'never', cooldownDays: 2, driftThreshold: 0.05 }, '2024-01-01T00:00:00.000Z');
    expect(r.shouldRebalance('2024-01-02T00:00:00.000Z', { a: 0.9 }, { a: 0.5 }).rebalance).toBe(false);
    expect(r.shouldRebalance('2024-01-03T00:00:00.000Z', { a: 0.9 }, { a: 0.5 }).trigger).toBe('drift');
  });
});

describe('AllocationRebalancer: drift', () => {
  it('fires when any |current − target| exceeds the threshold, strictly, with missing ids as 0', () => {
    const r = after({ frequency: 'never', driftThreshold: 0.05 }, '2024-01-01T00:00:00.000Z');
    const check = r.shouldRebalance('2024-01-02T00:00:00.000Z', { a: 0.4, b: 0.3, c: 0.3 }, { a: 0.33, b: 0.33, c: 0.34 });
    expect(check).toMatchObject({ rebalance: true, trigger: 'drift' });
    expect(check.reason).toContain('a at 40.00% vs target 33.00%');
    expect(r.shouldRebalance('2024-01-02T00:00:00.000Z', { a: 0.5 }, { a: 0.25 + 0.25 }).rebalance).toBe(false);
    expect(r.shouldRebalance('2024-01-02T00:00:00.000Z', { a: 0.5, b: 0.5 }, { a: 0.5, b: 0.25 }).rebalance).toBe(true);
    expect(r.shouldRebalance('2024-01-02T00:00:00.000Z', { a: 0.5 }, { a: 0.5, b: 0.06 }).rebalance).toBe(true);
    expect(r.shouldRebalance('2024-01-02T00:00:00.000Z', { a: 0.5 }, { a: 0.5, b: 0.05 }).rebalance).toBe(false);
  });

  it('is checked on the slice right after a scheduled rebalance', () => {
    const r = after({ frequency: 'monthly', driftThreshold: 0.05 }, '2024-01-15T00:00:00.000Z');
    expect(r.shouldRebalance('2024-02-01T00:00:00.000Z', flat, flat).trigger).toBe('schedule');
    r.recordRebalance('2024-02-01T00:00:00.000Z');
    expect(r.shouldRebalance('2024-02-01T00:01:00.000Z', { a: 0.6, b: 0.4 }, flat)).toMatchObject({ rebalance: true, trigger: 'drift' });
    expect(r.shouldRebalance('2024-02-01T00:01:00.000Z', flat, flat).rebalance).toBe(false);
  });
});

describe('AllocationRebalancer: state and bad input', () => {
  it('restores from its serialised state with the same answers', () => {
    const options = { frequency: 'monthly' as const, cooldownDays: 3, driftThreshold: 0.1 };
    const r = after(options, '2024-01-30T12:00:00.000Z');
    const copy = AllocationRebalancer.restore(options, JSON.parse(JSON.stringify(r.state())));
    for (const time of ['2024-02-01T00:00:00.000Z', '2024-02-02T12:00:00.000Z', '2024-02-10T00:00:00.000Z']) {
      expect(copy.shouldRebalance(time, { a: 1 }, { a: 0.5 })).toEqual(r.shouldRebalance(time, { a: 1 }, { a: 0.5 }));
    }
    expect(new AllocationRebalancer().state()).toEqual({ lastRebalanceTime: null });
  });

  it.each([
    [{ frequency: 'yearly' as never }, 'rebalance.frequency'],
    [{ cooldownDays: -1 }, 'rebalance.cooldownDays'],
    [{ driftThreshold: 0 }, 'rebalance.driftThreshold'],
    [{ driftThreshold: 1.5 }, 'rebalance.driftThreshold'],
  ])('rejects %j naming %s', (options, field) => {
    try {
      new AllocationRebalancer(options);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).field).toBe(field);
    }
  });

  it('rejects invalid times and times before the last rebalance', () => {
    const r = after({}, '2024-02-01T00:00:00.000Z');
    expect(() => r.shouldRebalance('2024-01-31T00:00:00.000Z', flat, flat)).toThrow(DataError);
    expect(() => r.shouldRebalance('not a time', flat, flat)).toThrow(DataError);
    expect(() => r.recordRebalance('2024-01-01T00:00:00.000Z')).toThrow(DataError);
  });
});
