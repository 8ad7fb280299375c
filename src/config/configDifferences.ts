// What differs between the configuration recorded in a portfolio's log and the one a user runs it with, field by field.

/** One field whose value differs (absent on one side: `undefined`). */
export interface ConfigDifference {
  /** Where, e.g. `execution.slippageBps` or `strategies[trend].params.fast` (strategies are matched by id). */
  readonly path: string;
  readonly recorded: unknown;
  readonly current: unknown;
}

/**
 * The fields that differ between two configurations (as validated JSON), in a stable order. Strategies are matched by
 * id, so listing them in another order is no difference; a strategy present on one side only is one difference.
 */
export function configDifferences(recorded: unknown, current: unknown): ConfigDifference[] {
  const out: ConfigDifference[] = [];
  walk(recorded, current, '', out);
  return out;
}

/** The differences as one line each: `path: recorded → current`, at most `max` of them. */
export function describeConfigDifferences(differences: readonly ConfigDifference[], max = 10): string {
  const shown = differences.slice(0, max).map((d) => `${d.path || '(the whole config)'}: ${showPair(d.recorded, d.current)}`);
  if (differences.length > max) shown.push(`… and ${differences.length - max} more`);
  return shown.join('; ');
}

const SHOWN = 60;

function show(value: unknown): string {
  if (value === undefined) return '(absent)';
  const text = JSON.stringify(value);
  return text.length <= SHOWN ? text : `${text.slice(0, SHOWN)}… (${text.length} characters)`;
}

/**
 * `recorded → current`. Two long texts are shown from a little before their first differing character: cut at a fixed
 * length, two names that differ only at their end (the demo's market, say) would look the same.
 */
function showPair(recorded: unknown, current: unknown): string {
  if (typeof recorded !== 'string' || typeof current !== 'string' || Math.max(recorded.length, current.length) <= SHOWN) {
    return `${show(recorded)} → ${show(current)}`;
  }
  let first = 0;
  while (first < recorded.length && recorded[first] === current[first]) first += 1;
  const from = Math.max(0, first - 20);
  const part = (text: string): string => {
    const end = Math.min(text.length, from + SHOWN);
    return `"${from > 0 ? '…' : ''}${JSON.stringify(text.slice(from, end)).slice(1, -1)}${end < text.length ? '…' : ''}"`;
  };
  return `${part(recorded)} → ${part(current)}${from > 0 ? ` (from character ${from + 1})` : ''}`;
}

function isRecord(v: unknown): v is Readonly<Record<string, unknown>> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function withId(v: unknown): v is readonly { readonly id: string }[] {
  return Array.isArray(v) && v.every((x) => isRecord(x) && typeof x['id'] === 'string');
}

function walk(a: unknown, b: unknown, path: string, out: ConfigDifference[]): void {
  if (path === 'strategies' && withId(a) && withId(b)) {
    const left = new Map(a.map((s) => [s.id, s]));
    const right = new Map(b.map((s) => [s.id, s]));
    const ids = [...new Set([...left.keys(), ...right.keys()])].sort();
    for (const id of ids) walk(left.get(id), right.get(id), `strategies[${id}]`, out);
    return;
  }
  if (isRecord(a) && isRecord(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) walk(a[k], b[k], path ? `${path}.${k}` : k, out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((x, i) => walk(x, b[i], `${path}[${i}]`, out));
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ path, recorded: a, current: b });
}
