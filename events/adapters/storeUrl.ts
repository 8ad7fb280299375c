// Parsing event store URLs (`memory:`, `sqlite:./runs/demo.db?durability=normal`, `postgres://…`, `kurrentdb://…`) into a typed location.
import { isAbsolute, resolve } from 'node:path';
import { StoreConfigError } from '../errors.js';
import type { Durability } from '../store.js';
import { kurrentConnectionString } from './kurrentMapping.js';

/** A parsed store URL. */
export type StoreLocation =
  | { readonly kind: 'memory' }
  | { readonly kind: 'sqlite'; readonly path: string; readonly durability: Durability | null }
  | {
      readonly kind: 'postgres';
      /** What the `pg` client connects with: the URL without stratafolio's own parameters. */
      readonly connectionString: string;
      /** The schema holding the tables (default `public`), so several logs can share one database. */
      readonly schema: string;
    }
  | {
      readonly kind: 'kurrentdb';
      /** The connection string the client understands (`kurrentdb://…`, `kurrentdb+discover://…` for a cluster). */
      readonly connectionString: string;
      /** Prefix of every stream (`<namespace>/`), so several logs can share one KurrentDB; '' for none. */
      readonly namespace: string;
    };

/** The URL forms openEventStore accepts, for error messages and docs. */
export const ACCEPTED_STORE_URLS =
  'memory:, sqlite:./relative/path.db, sqlite:/absolute/path.db (optionally ?durability=full|normal), ' +
  'postgres://user:password@host:5432/database (optionally ?schema=name), kurrentdb://host:2113?tls=false (or esdb://…; optionally &namespace=name)';

/** A PostgreSQL schema name stratafolio will create and quote (short enough to name its notification channel too). */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,47}$/;

const DURABILITIES: readonly Durability[] = ['full', 'normal'];

/**
 * Parses a store URL; a relative SQLite path is resolved against `cwd`.
 * @throws StoreConfigError naming the URL and the accepted forms.
 */
export function parseStoreUrl(url: string, cwd: string = process.cwd()): StoreLocation {
  if (typeof url !== 'string') throw new StoreConfigError(`event store URL must be a string such as "sqlite:./runs/my.db" or "memory:", got ${String(url as unknown)}`);
  const fail = (why: string): never => {
    throw new StoreConfigError(`event store URL "${url}" ${why}; accepted forms: ${ACCEPTED_STORE_URLS}`);
  };
  const colon = url.indexOf(':');
  if (colon <= 0) return fail('has no scheme');
  const scheme = url.slice(0, colon).toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') return parsePostgresUrl(url, fail);
  if (scheme === 'kurrentdb' || scheme === 'esdb' || scheme === 'kurrentdb+discover' || scheme === 'esdb+discover' || scheme === 'kurrent' || scheme === 'kdb') {
    if (!url.slice(colon + 1).startsWith('//')) return fail('has no host after the scheme (write kurrentdb://host:2113)');
    const q = url.indexOf('?');
    const params = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    const namespace = params.get('namespace') ?? '';
    if (namespace !== '' && !SCHEMA_NAME.test(namespace)) return fail(`has namespace "${namespace}" (use lower-case letters, digits and underscores)`);
    params.delete('namespace');
    const rest = params.toString();
    return { kind: 'kurrentdb', connectionString: kurrentConnectionString(`${q < 0 ? url : url.slice(0, q)}${rest === '' ? '' : `?${rest}`}`), namespace };
  }
  const rest = url.slice(colon + 1);
  const q = rest.indexOf('?');
  const target = q < 0 ? rest : rest.slice(0, q);
  const params = new URLSearchParams(q < 0 ? '' : rest.slice(q + 1));
  let durability: Durability | null = null;
  for (const [key, value] of params) {
    if (key !== 'durability') return fail(`has an unknown parameter "${key}"`);
    if (!DURABILITIES.includes(value as Durability)) return fail(`has durability "${value}" (use full or normal)`);
    durability = value as Durability;
  }
  switch (scheme) {
    case 'memory':
      if (target !== '' || params.size > 0) return fail('takes no path or parameters after "memory:"');
      return { kind: 'memory' };
    case 'sqlite': {
      // sqlite:///abs/path.db (URL style) means /abs/path.db; sqlite://host/… is not a local file.
      let path = target.startsWith('//') ? target.slice(2) : target;
      if (target.startsWith('//') && !path.startsWith('/')) return fail('names a host; SQLite stores are local files');
      path = decodeURIComponent(path);
      if (path.trim() === '') return fail('has no file path after "sqlite:"');
      if (path === ':memory:') return fail('asks for an in-memory SQLite database; use "memory:"');
      return { kind: 'sqlite', path: isAbsolute(path) ? path : resolve(cwd, path), durability };
    }
    default:
      return fail(`has the unknown scheme "${scheme}:"`);
  }
}

/** Splits stratafolio's `schema` parameter from a PostgreSQL URL; the rest goes to the client as it is. */
function parsePostgresUrl(url: string, fail: (why: string) => never): StoreLocation {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail('is not a valid URL');
  }
  // postgres:///db?host=/run/postgresql (a Unix socket) has no host part; the client reads it from the parameters.
  if (parsed.hostname === '' && !parsed.searchParams.has('host')) return fail('has no host (write postgres://user@host:5432/database)');
  const schema = parsed.searchParams.get('schema') ?? 'public';
  if (!SCHEMA_NAME.test(schema)) return fail(`has schema "${schema}" (use lower-case letters, digits and underscores)`);
  parsed.searchParams.delete('schema');
  return { kind: 'postgres', connectionString: parsed.toString(), schema };
}

/** The URL with its password replaced by `***`, for messages and `store.url`. */
export function redactStoreUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === '') return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
