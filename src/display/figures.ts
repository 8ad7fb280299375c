// How figures are shown as text, by the CLI and the report alike: a fixed number of places, and no minus sign on a
// figure that shows as zero (`-0.00` from a negative that rounds to zero reads as a loss). Text the engine records in
// its events (reasons, limits) keeps its own wording: changing it would change the logs.
import { Dec } from '../money/decimal.js';

/** `text` without the sign of a negative zero (`-0`, `-0.00`). */
function unsignedZero(text: string): string {
  return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text;
}

/** A finite number to `digits` places. */
export function fixed(x: number, digits = 2): string {
  return unsignedZero(x.toFixed(digits));
}

/** An exact amount to the cent (rounded half to even, as every amount is). */
export function money(amount: string | Dec): string {
  return unsignedZero(new Dec(amount).toFixed(2));
}

/** A finite fraction as a percentage to `digits` places (`0.1234` → `12.34%`). */
export function percent(fraction: number, digits = 2): string {
  return `${fixed(fraction * 100, digits)}%`;
}
