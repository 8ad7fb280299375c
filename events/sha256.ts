// SHA-256 of event bodies, in a module of its own so a read-ahead worker loads nothing else of the envelope.
import { createHash, hash as oneShotHash } from 'node:crypto';

/** SHA-256 (hex) of a string. */
export function sha256Hex(text: string): string {
  // The one-shot crypto.hash (Node ≥ 20.12) skips the Hash object: about 3× faster on event-sized bodies.
  return typeof oneShotHash === 'function' ? oneShotHash('sha256', text, 'hex') : createHash('sha256').update(text).digest('hex');
}
