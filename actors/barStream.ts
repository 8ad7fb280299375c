// Bar sources as RxJS Observables that a pulling consumer (the supervisor) can still read one slice at a time.
import { Observable } from 'rxjs';
import type { BarSlice } from '../src/market/bar.js';

/**
 * An Observable of slices that is also an async iterable: RxJS subscribers get the slices pushed as they are read,
 * while `Portfolio.run` pulls them one by one, so a large file is never read ahead of the slice being processed.
 */
export class BarStream extends Observable<BarSlice> implements AsyncIterable<BarSlice> {
  constructor(private readonly open: () => AsyncIterable<BarSlice>) {
    super((subscriber) => {
      let stopped = false;
      void (async () => {
        try {
          for await (const slice of open()) {
            if (stopped) return;
            subscriber.next(slice);
          }
          subscriber.complete();
        } catch (e) {
          subscriber.error(e);
        }
      })();
      return () => {
        stopped = true;
      };
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<BarSlice> {
    return this.open()[Symbol.asyncIterator]();
  }
}

/** Wraps a bar source (e.g. `openBarSource(...)`, `syntheticMarket(...)`) as a {@link BarStream}; `open` is called per subscription. */
export function barStream(open: () => AsyncIterable<BarSlice>): BarStream {
  return new BarStream(open);
}
