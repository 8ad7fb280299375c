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

/** Raised deep inside `write`; each level adds its key on the way out, so paths cost nothing when all is well. */
class UnrepresentableValue extends Error {
  readonly path: string[] = [];
  constructor(readonly problem: string) {
    super(problem);
  }
}

// Written with plain loops: this runs for every event the engine seals.
function write(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new UnrepresentableValue(`is ${String(value)}, not a finite number`);
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i += 1) {
          if (i > 0) out += ',';
          out += writeAt(value[i], `[${i}]`);
        }
        return `${out}]`;
      }
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj).sort();
      let out = '{';
      let first = true;
      for (const k of keys) {
        const v = obj[k];
        if (v === undefined) continue;
        if (!first) out += ',';
        first = false;
        out += `${JSON.stringify(k)}:${writeAt(v, `.${k}`)}`;
      }
      return `${out}}`;
    }
    default:
      throw new UnrepresentableValue(`is a ${typeof value}, which JSON cannot hold`);
  }
}

function writeAt(value: unknown, segment: string): string {
  try {
    return write(value);
  } catch (e) {
    if (e instanceof UnrepresentableValue) e.path.unshift(segment);
    throw e;
  }
}
