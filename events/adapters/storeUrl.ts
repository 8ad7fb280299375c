// Parsing event store URLs (`memory:`, `sqlite:./runs/demo.db?durability=normal`) into a typed location.
import { isAbsolute, resolve } from 'node:path';
import { StoreConfigError } from '../errors.js';
import type { Durability } from '../store.js';

/** A parsed store URL. */
export type StoreLocation =
  | { readonly kind: 'memory' }
  | { readonly kind: 'sqlite'; readonly path: string; readonly durability: Durability | null };

/** The URL forms openEventStore accepts, for error messages and docs. */
export const ACCEPTED_STORE_URLS = 'memory:, sqlite:./relative/path.db, sqlite:/absolute/path.db (optionally ?durability=full|normal)';

const DURABILITIES: readonly Durability[] = ['full', 'normal'];

/**
 * Parses a store URL; a relative SQLite path is resolved against `cwd`.
 * @throws StoreConfigError naming the URL and the accepted forms.
 */
export function parseStoreUrl(url: string, cwd: string = process.cwd()): StoreLocation {
  const fail = (why: string): never => {
    throw new StoreConfigError(`event store URL "${url}" ${why}; accepted forms: ${ACCEPTED_STORE_URLS}`);
  };
  const colon = url.indexOf(':');
  if (colon <= 0) return fail('has no scheme');
  const scheme = url.slice(0, colon).toLowerCase();
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
