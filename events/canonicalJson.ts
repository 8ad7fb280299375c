// Canonical JSON: sorted keys, no whitespace, finite numbers only — the byte form that is hashed and stored.

/** Serialises `value` canonically (object keys sorted at every depth). @throws TypeError for non-finite numbers, undefined, functions, bigints. */
export function canonicalJson(value: unknown): string {
  try {
    return write(value);
  } catch (e) {
    if (e instanceof UnrepresentableValue) throw new TypeError(`canonical JSON: $${e.path.join('')} ${e.problem}`);
    throw e;
  }
}

/**
 * The JSON text of a string, the same bytes as `JSON.stringify(s)`.
 * Strings with nothing to escape (the usual ids, symbols and decimals) are quoted directly: JSON.stringify on a
 * short string costs about 0.2 µs, several times the scan.
 */
export function jsonString(s: string): string {
  for (let i = 0; i < s.length; i += 1) {
    const c = s.charCodeAt(i);
    // Control characters, `"` and `\` are escaped; surrogates are left to JSON.stringify (a lone one is escaped).
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(s);
  }
  return `"${s}"`;
}

/** Raised deep inside `write`; each level adds its key on the way out, so paths cost nothing when all is well. */
class UnrepresentableValue extends Error {
  readonly path: string[] = [];
  constructor(readonly problem: string) {
    super(problem);
  }
}

/** The sorted form of a key list: the keys in order and each one's `"key":` text. */
interface KeyOrder {
  readonly keys: readonly string[];
  readonly sorted: readonly string[];
  readonly labels: readonly string[];
}

/**
 * Recent key lists by their first key. Payloads of one event type repeat one key list (in the order the code builds
 * them), so comparing the list with the last one seen is cheaper than sorting and quoting its keys again.
 */
const keyOrders = new Map<string, KeyOrder>();

function keyOrderOf(keys: string[]): KeyOrder {
  const first = keys[0] ?? '';
  const known = keyOrders.get(first);
  if (known !== undefined && known.keys.length === keys.length) {
    let same = true;
    for (let i = 1; i < keys.length; i += 1) {
      if (known.keys[i] !== keys[i]) {
        same = false;
        break;
      }
    }
    if (same) return known;
  }
  const sorted = [...keys].sort();
  const order: KeyOrder = { keys, sorted, labels: sorted.map((k) => `${jsonString(k)}:`) };
  // Bounded: records keyed by data (symbols, strategy ids) bring new first keys.
  if (keyOrders.size >= 512) keyOrders.clear();
  keyOrders.set(first, order);
  return order;
}

// Written with plain loops: this runs for every event the engine seals.
function write(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return jsonString(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new UnrepresentableValue(`is ${String(value)}, not a finite number`);
      // For a finite number JSON.stringify and String agree (both Number::toString; -0 gives "0").
      return String(value);
    case 'object': {
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i += 1) {
          if (i > 0) out += ',';
          try {
            out += write(value[i]);
          } catch (e) {
            if (e instanceof UnrepresentableValue) e.path.unshift(`[${i}]`);
            throw e;
          }
        }
        return `${out}]`;
      }
      const obj = value as Record<string, unknown>;
      const order = keyOrderOf(Object.keys(obj));
      const sorted = order.sorted;
      let out = '{';
      let first = true;
      for (let i = 0; i < sorted.length; i += 1) {
        const k = sorted[i] as string;
        const v = obj[k];
        if (v === undefined) continue;
        if (!first) out += ',';
        first = false;
        try {
          out += (order.labels[i] as string) + write(v);
        } catch (e) {
          if (e instanceof UnrepresentableValue) e.path.unshift(`.${k}`);
          throw e;
        }
      }
      return `${out}}`;
    }
    default:
      throw new UnrepresentableValue(`is a ${typeof value}, which JSON cannot hold`);
  }
}
