// Live bars → slices: bars keyed by (symbol, bar time), a slice closed when complete or when the event-time watermark
// passes it; duplicates dropped, late bars reported, missing bars reported as gaps — never invented. Pure: the caller
// passes the wall-clock time of each arrival and of each poll.
import type { Bar, BarSlice } from '../market/bar.js';
import { sliceOf } from '../market/sliceGrouping.js';

/** How slices are closed. */
export interface BarSlicerOptions {
  /** The subscribed symbols: a slice holding a bar of each closes at once. */
  readonly symbols: readonly string[];
  /** How long (ms of wall clock) a slice stays open after a bar of a later time has arrived (default 0). */
  readonly allowedLatenessMs?: number;
  /**
   * Last resort (ms of wall clock since a slice's first bar arrived) for a symbol that never reports, while no bar of a
   * later time has arrived; null = never. Once a later bar has passed a slice, only its allowed lateness closes it.
   */
  readonly closeAfterMs?: number | null;
  /** Bar time (epoch ms) of the last slice already applied: bars at or before it are late. */
  readonly afterMs?: number | null;
  /** The feed's bar interval, when it has one: skipped bar times between two slices are then reported as a gap. */
  readonly intervalMs?: number | null;
}

/** What became of an offered bar. */
export type OfferOutcome =
  | { readonly kind: 'accepted' }
  /** The same bar (same symbol, time and numbers) was already taken: dropped. */
  | { readonly kind: 'duplicate' }
  /** Its slice is already closed (or at/before the resume point): never applied, counted and reported. */
  | { readonly kind: 'late'; readonly lastClosedMs: number }
  /** Another bar with other numbers is already held for this symbol and time: the first one stays. */
  | { readonly kind: 'conflict'; readonly held: Bar }
  /** The symbol is not subscribed. */
  | { readonly kind: 'unknown-symbol' };

/** A closed slice, with what it lacks. */
export interface ClosedSlice {
  readonly ms: number;
  readonly slice: BarSlice;
  /** Subscribed symbols without a bar at this time, ascending. */
  readonly missing: readonly string[];
  /** Bar times skipped since the previous slice (only with an interval): every symbol lacks them. */
  readonly skipped: { readonly fromMs: number; readonly toMs: number } | null;
  /** Why it closed. */
  readonly closedBy: 'complete' | 'watermark' | 'close-after' | 'end';
}

interface OpenSlice {
  readonly bars: Map<string, Bar>;
  readonly firstArrival: number;
  /** Wall time at which a bar of a later time first arrived (the watermark passed this slice). */
  passedAt: number | null;
}

/** How many closed slices are remembered to tell a repeated bar (dropped) from a late one (reported). */
const REMEMBERED_SLICES = 64;

/** Groups live bars into slices in bar-time order. */
export class BarSlicer {
  private readonly symbols: ReadonlySet<string>;
  private readonly lateness: number;
  private readonly closeAfter: number | null;
  private readonly interval: number | null;
  private readonly open = new Map<number, OpenSlice>();
  private readonly recent = new Map<number, Map<string, Bar>>();
  private lastClosed: number | null;

  constructor(options: BarSlicerOptions) {
    this.symbols = new Set(options.symbols);
    this.lateness = options.allowedLatenessMs ?? 0;
    this.closeAfter = options.closeAfterMs ?? null;
    this.interval = options.intervalMs ?? null;
    this.lastClosed = options.afterMs ?? null;
  }

  /** Bar time (ms) of the last closed slice, or of the resume point. */
  get lastClosedMs(): number | null {
    return this.lastClosed;
  }

  /** Bars held in open slices, and the bar time (ms) of the earliest of those slices (null when none is open). */
  get held(): { readonly bars: number; readonly fromMs: number | null } {
    let bars = 0;
    for (const slot of this.open.values()) bars += slot.bars.size;
    return { bars, fromMs: this.earliest()?.[0] ?? null };
  }

  /** Number of slices open (bars held, not yet closed). */
  get openSlices(): number {
    return this.open.size;
  }

  /** Remembers the bars of a slice closed before this slicer existed (a restart), so the feed sending them again is a repeat. */
  remember(ms: number, bars: Iterable<Bar>): void {
    this.recent.set(ms, new Map([...bars].map((b) => [b.symbol, b])));
    if (this.recent.size > REMEMBERED_SLICES) this.recent.delete(this.recent.keys().next().value as number);
  }

  /** Offers one bar of bar time `ms` that arrived at wall time `now`. */
  offer(bar: Bar, ms: number, now: number): OfferOutcome {
    if (!this.symbols.has(bar.symbol)) return { kind: 'unknown-symbol' };
    if (this.lastClosed !== null && ms <= this.lastClosed) {
      const seen = this.recent.get(ms)?.get(bar.symbol);
      if (seen !== undefined && sameBar(seen, bar)) return { kind: 'duplicate' };
      return { kind: 'late', lastClosedMs: this.lastClosed };
    }
    let slot = this.open.get(ms);
    if (slot === undefined) {
      slot = { bars: new Map(), firstArrival: now, passedAt: null };
      // A slice opened after a later bar already arrived is passed by the watermark from its start.
      for (const t of this.open.keys()) {
        if (t > ms) {
          slot.passedAt = now;
          break;
        }
      }
      this.open.set(ms, slot);
    }
    const held = slot.bars.get(bar.symbol);
    if (held !== undefined) return sameBar(held, bar) ? { kind: 'duplicate' } : { kind: 'conflict', held };
    slot.bars.set(bar.symbol, bar);
    for (const [t, other] of this.open) {
      if (t < ms && other.passedAt === null) other.passedAt = now;
    }
    return { kind: 'accepted' };
  }

  /** Closes, in bar-time order, every slice that may close at wall time `now`. */
  poll(now: number): ClosedSlice[] {
    const closed: ClosedSlice[] = [];
    for (;;) {
      const first = this.earliest();
      if (first === undefined) break;
      const [ms, slot] = first;
      const by = this.closeReason(slot, now);
      if (by === null) break;
      closed.push(this.close(ms, slot, by));
    }
    return closed;
  }

  /**
   * Closes, in bar-time order, the open slices that are complete or that a later bar has passed, their lateness not yet
   * elapsed: the input has ended, so no bar can reach such a slice before the watermark would close it. Stops at the
   * first slice no later bar passed.
   */
  closePassed(): ClosedSlice[] {
    const closed: ClosedSlice[] = [];
    for (let first = this.earliest(); first !== undefined; first = this.earliest()) {
      const [ms, slot] = first;
      if (slot.bars.size === this.symbols.size) closed.push(this.close(ms, slot, 'complete'));
      else if (slot.passedAt !== null) closed.push(this.close(ms, slot, 'watermark'));
      else break;
    }
    return closed;
  }

  /** Closes every open slice (the feed has ended: no bar will come). */
  flush(): ClosedSlice[] {
    const closed: ClosedSlice[] = [];
    for (let first = this.earliest(); first !== undefined; first = this.earliest()) {
      closed.push(this.close(first[0], first[1], first[1].bars.size === this.symbols.size ? 'complete' : 'end'));
    }
    return closed;
  }

  /** The wall time at which {@link poll} may next close a slice without a new bar, or null when only a bar can. */
  nextDeadline(): number | null {
    const first = this.earliest();
    if (first === undefined) return null;
    const slot = first[1];
    const closeAfter = this.closeAfterDeadline(slot);
    if (slot.passedAt === null) return closeAfter;
    const watermark = slot.passedAt + this.lateness;
    return closeAfter === null ? watermark : Math.min(watermark, closeAfter);
  }

  private earliest(): [number, OpenSlice] | undefined {
    let best: [number, OpenSlice] | undefined;
    for (const entry of this.open) if (best === undefined || entry[0] < best[0]) best = entry;
    return best;
  }

  /**
   * When close-after closes the slice, or null when it cannot: it is the last resort only while no later bar has passed
   * the slice, so a deadline not reached before that bar arrived gives way to the allowed lateness (which a shorter
   * close-after would otherwise cut). One reached before it still counts when the poll comes after the bar (a timer that
   * fired late): the slice closes as it would have on time.
   */
  private closeAfterDeadline(slot: OpenSlice): number | null {
    if (this.closeAfter === null) return null;
    const deadline = slot.firstArrival + this.closeAfter;
    return slot.passedAt === null || deadline < slot.passedAt ? deadline : null;
  }

  private closeReason(slot: OpenSlice, now: number): ClosedSlice['closedBy'] | null {
    if (slot.bars.size === this.symbols.size) return 'complete';
    const closeAfter = this.closeAfterDeadline(slot);
    if (closeAfter !== null && now >= closeAfter) return 'close-after';
    if (slot.passedAt !== null && now - slot.passedAt >= this.lateness) return 'watermark';
    return null;
  }

  private close(ms: number, slot: OpenSlice, closedBy: ClosedSlice['closedBy']): ClosedSlice {
    this.open.delete(ms);
    const missing = [...this.symbols].filter((s) => !slot.bars.has(s)).sort();
    let skipped: ClosedSlice['skipped'] = null;
    if (this.interval !== null && this.lastClosed !== null && ms - this.lastClosed > this.interval) {
      skipped = { fromMs: this.lastClosed + this.interval, toMs: ms - this.interval };
    }
    this.lastClosed = ms;
    this.recent.set(ms, slot.bars);
    if (this.recent.size > REMEMBERED_SLICES) {
      const oldest = this.recent.keys().next().value as number;
      this.recent.delete(oldest);
    }
    return { ms, slice: sliceOf(ms, slot.bars.values()), missing, skipped, closedBy };
  }
}

function sameBar(a: Bar, b: Bar): boolean {
  return a.open === b.open && a.high === b.high && a.low === b.low && a.close === b.close && a.volume === b.volume;
}
