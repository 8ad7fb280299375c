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
  const shown = differences.slice(0, max).map((d) => `${d.path || '(the whole config)'}: ${show(d.recorded)} → ${show(d.current)}`);
  if (differences.length > max) shown.push(`… and ${differences.length - max} more`);
  return shown.join('; ');
}

function show(value: unknown): string {
  if (value === undefined) return '(absent)';
  const text = JSON.stringify(value);
  return text.length <= 60 ? text : `${text.slice(0, 60)}… (${text.length} characters)`;
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
