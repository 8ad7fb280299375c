// Live bars → slices: completion, watermark with lateness, close-after, duplicates, late and conflicting bars, gaps.
import { describe, expect, it } from 'vitest';
import { BarSlicer } from '../src/feeds/barSlicer.js';
import type { Bar } from '../src/market/bar.js';

const MIN = 60_000;
const T0 = Date.parse('2024-03-01T00:00:00Z');
const bar = (symbol: string, close: string): Bar => ({ symbol, open: close, high: close, low: close, close, volume: '1' });
const times = (closed: { slice: { time: string } }[]): string[] => closed.map((c) => c.slice.time.slice(11, 16));

describe('BarSlicer', () => {
  it('closes a slice as soon as every subscribed symbol has reported its time, with keys in symbol order', () => {
    const s = new BarSlicer({ symbols: ['B', 'A'] });
    expect(s.offer(bar('B', '2'), T0, 0)).toEqual({ kind: 'accepted' });
    expect(s.poll(0)).toEqual([]);
    s.offer(bar('A', '1'), T0, 5);
    const closed = s.poll(5);
    expect(closed).toHaveLength(1);
    expect(Object.keys(closed[0]?.slice.bars ?? {})).toEqual(['A', 'B']);
    expect(closed[0]).toMatchObject({ closedBy: 'complete', missing: [], skipped: null, slice: { time: '2024-03-01T00:00:00.000Z' } });
  });

  it('closes an incomplete slice when a later bar has arrived and the allowed lateness has elapsed, naming the missing symbol', () => {
    const s = new BarSlicer({ symbols: ['A', 'B'], allowedLatenessMs: 100 });
    s.offer(bar('A', '1'), T0, 0);
    s.offer(bar('A', '2'), T0 + MIN, 10);
    expect(s.poll(10)).toEqual([]);
    expect(s.nextDeadline()).toBe(110);
    // B arrives within the lateness: the slice is completed, not closed short.
    s.offer(bar('B', '5'), T0, 50);
    expect(times(s.poll(50))).toEqual(['00:00']);
    s.offer(bar('A', '3'), T0 + 2 * MIN, 60);
    const closed = s.poll(160);
    expect(times(closed)).toEqual(['00:01']);
    expect(closed[0]).toMatchObject({ closedBy: 'watermark', missing: ['B'] });
  });

  it('waits for an earlier incomplete slice before closing a complete later one, so slices leave in bar-time order', () => {
    const s = new BarSlicer({ symbols: ['A', 'B'], allowedLatenessMs: 1000 });
    s.offer(bar('A', '1'), T0, 0);
    s.offer(bar('A', '2'), T0 + MIN, 1);
    s.offer(bar('B', '2'), T0 + MIN, 2);
    expect(s.poll(2)).toEqual([]);
    expect(s.poll(1000)).toEqual([]);
    expect(times(s.poll(1001))).toEqual(['00:00', '00:01']);
  });

  it('closes a slice no later bar passes only by close-after, the wall-clock last resort', () => {
    const s = new BarSlicer({ symbols: ['A', 'B'], closeAfterMs: 500 });
    s.offer(bar('A', '1'), T0, 100);
    expect(s.poll(599)).toEqual([]);
    expect(s.nextDeadline()).toBe(600);
    expect(s.poll(600)[0]).toMatchObject({ closedBy: 'close-after', missing: ['B'] });
    expect(new BarSlicer({ symbols: ['A', 'B'] }).nextDeadline()).toBeNull();
  });

  it('once a later bar has passed a slice, a close-after shorter than the allowed lateness does not cut the lateness short', () => {
    const s = new BarSlicer({ symbols: ['A', 'B'], allowedLatenessMs: 1000, closeAfterMs: 300 });
    s.offer(bar('A', '1'), T0, 0);
    s.offer(bar('A', '2'), T0 + MIN, 100);
    // The watermark passed minute 0 at 100: only the lateness (until 1100) or B closes it now, not close-after at 300.
    expect(s.nextDeadline()).toBe(1100);
    expect(s.poll(300)).toEqual([]);
    expect(s.poll(1099)).toEqual([]);
    // B, late by the wall clock yet within the lateness, completes the slice.
    s.offer(bar('B', '5'), T0, 1050);
    const closed = s.poll(1050);
    // Minute 1 (first bar at 100) was passed by no later bar before its close-after ran out (at 400) behind minute 0.
    expect(closed.map((c) => [c.slice.time.slice(11, 16), c.closedBy])).toEqual([['00:00', 'complete'], ['00:01', 'close-after']]);
    // Minute 2 (first bar at 1100, passed at 1200) closes at 2200 by the watermark, not at 1400 by close-after.
    s.offer(bar('A', '3'), T0 + 2 * MIN, 1100);
    s.offer(bar('A', '4'), T0 + 3 * MIN, 1200);
    expect(s.nextDeadline()).toBe(2200);
    expect(s.poll(1400)).toEqual([]);
    expect(s.poll(2199)).toEqual([]);
    expect(s.poll(2200)[0]).toMatchObject({ closedBy: 'watermark', missing: ['B'], slice: { time: '2024-03-01T00:02:00.000Z' } });
  });

  it('with a close-after longer than the allowed lateness, a passed slice closes by the watermark and an unpassed one by close-after', () => {
    const s = new BarSlicer({ symbols: ['A', 'B'], allowedLatenessMs: 100, closeAfterMs: 1000 });
    s.offer(bar('A', '1'), T0, 0);
    expect(s.nextDeadline()).toBe(1000);
    s.offer(bar('A', '2'), T0 + MIN, 50);
    expect(s.nextDeadline()).toBe(150);
    expect(s.poll(149)).toEqual([]);
    expect(s.poll(150)[0]).toMatchObject({ closedBy: 'watermark', missing: ['B'] });
    // Minute 1 is the newest: no later bar passes it, so close-after (1000 after its first bar, at 50) is its last resort.
    expect(s.nextDeadline()).toBe(1050);
    expect(s.poll(1049)).toEqual([]);
    expect(s.poll(1050)[0]).toMatchObject({ closedBy: 'close-after', missing: ['B'] });
  });

  it('a slice opened after a later bar arrived is passed from its start: close-after never applies to it', () => {
    const s = new BarSlicer({ symbols: ['A', 'B'], allowedLatenessMs: 1000, closeAfterMs: 300 });
    s.offer(bar('A', '2'), T0 + MIN, 0);
    s.offer(bar('A', '1'), T0, 10);
    expect(s.nextDeadline()).toBe(1010);
    expect(s.poll(310)).toEqual([]);
    expect(s.poll(1010)[0]).toMatchObject({ closedBy: 'watermark', slice: { time: '2024-03-01T00:00:00.000Z' } });
  });

  it('a close-after deadline that ran out before any later bar came closes the slice by close-after, even when polled only after that bar', () => {
    const s = new BarSlicer({ symbols: ['A', 'B'], allowedLatenessMs: 0, closeAfterMs: 300 });
    s.offer(bar('A', '1'), T0, 0);
    // The timer for 300 fired late: the later bar (at 400) is offered first, then the poll runs.
    s.offer(bar('A', '2'), T0 + MIN, 400);
    expect(s.nextDeadline()).toBe(300);
    expect(s.poll(400)[0]).toMatchObject({ closedBy: 'close-after', missing: ['B'] });
    const s2 = new BarSlicer({ symbols: ['A', 'B'], allowedLatenessMs: 1000, closeAfterMs: 300 });
    s2.offer(bar('A', '1'), T0, 0);
    s2.offer(bar('A', '2'), T0 + MIN, 400);
    expect(s2.poll(400)[0]).toMatchObject({ closedBy: 'close-after', missing: ['B'] });
  });

  it('drops an exact duplicate, keeps the first of two different bars for one key, and reports late bars without applying them', () => {
    const s = new BarSlicer({ symbols: ['A', 'B'] });
    s.offer(bar('A', '1'), T0, 0);
    expect(s.offer(bar('A', '1'), T0, 1)).toEqual({ kind: 'duplicate' });
    expect(s.offer(bar('A', '9'), T0, 2)).toEqual({ kind: 'conflict', held: bar('A', '1') });
    s.offer(bar('B', '1'), T0, 3);
    const [closed] = s.poll(3);
    expect(closed?.slice.bars.A?.close).toBe('1');
    // After the slice closed: the same bar again is a repeat, another one is late.
    expect(s.offer(bar('B', '1'), T0, 4)).toEqual({ kind: 'duplicate' });
    expect(s.offer(bar('B', '2'), T0, 5)).toEqual({ kind: 'late', lastClosedMs: T0 });
    expect(s.offer(bar('C', '1'), T0 + MIN, 6)).toEqual({ kind: 'unknown-symbol' });
  });

  it('treats bars at or before the resume point as late unless remembered from before the restart', () => {
    const s = new BarSlicer({ symbols: ['A'], afterMs: T0 + MIN });
    s.remember(T0 + MIN, [bar('A', '4')]);
    expect(s.offer(bar('A', '4'), T0 + MIN, 0)).toEqual({ kind: 'duplicate' });
    expect(s.offer(bar('A', '3'), T0, 0)).toEqual({ kind: 'late', lastClosedMs: T0 + MIN });
  });

  it('reports bar times skipped between two slices as a gap when the feed has an interval, and invents no slice for them', () => {
    const s = new BarSlicer({ symbols: ['A'], intervalMs: MIN, afterMs: T0 });
    s.offer(bar('A', '1'), T0 + 4 * MIN, 0);
    const closed = s.poll(0);
    expect(closed).toHaveLength(1);
    expect(closed[0]?.skipped).toEqual({ fromMs: T0 + MIN, toMs: T0 + 3 * MIN });
    s.offer(bar('A', '2'), T0 + 5 * MIN, 1);
    expect(s.poll(1)[0]?.skipped).toBeNull();
  });

  it('flushes every open slice in order when the feed ends', () => {
    const s = new BarSlicer({ symbols: ['A', 'B'], allowedLatenessMs: 10_000 });
    s.offer(bar('A', '1'), T0 + MIN, 0);
    s.offer(bar('A', '1'), T0, 0);
    const closed = s.flush();
    expect(times(closed)).toEqual(['00:00', '00:01']);
    expect(closed.map((c) => c.closedBy)).toEqual(['end', 'end']);
    expect(s.openSlices).toBe(0);
  });
});
