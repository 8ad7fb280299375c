// A strategy's lifecycle as a pure table: initializing → running ⇄ paused → liquidating → stopped; nothing leaves stopped.
import type { LifecycleState } from '../../events/catalogue.js';

/** Where each lifecycle state may move (a state never "moves" to itself). */
export const LIFECYCLE_MOVES: Readonly<Record<LifecycleState, readonly LifecycleState[]>> = Object.freeze({
  initializing: Object.freeze(['running', 'paused', 'liquidating', 'stopped'] as const),
  running: Object.freeze(['paused', 'liquidating', 'stopped'] as const),
  paused: Object.freeze(['running', 'liquidating', 'stopped'] as const),
  // A liquidating strategy ends stopped (flat, its cash back in the reserve): it is never resumed or paused.
  liquidating: Object.freeze(['stopped'] as const),
  stopped: Object.freeze([] as const),
});

/** Whether a strategy in `from` may move to `to`. */
export function canMove(from: LifecycleState, to: LifecycleState): boolean {
  return LIFECYCLE_MOVES[from].includes(to);
}
