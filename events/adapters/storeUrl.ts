// Parsing event store URLs (`memory:`, `sqlite:./runs/demo.db?durability=normal`, `postgres://…`, `kurrentdb://…`) into a typed location.
import { isAbsolute, resolve } from 'node:path';
import { StoreConfigError } from '../errors.js';
import type { Durability } from '../store.js';
import { kurrentConnectionString } from './kurrentMapping.js';
import { didYouMean } from '../../src/nearestName.js';

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
 * The parameters a PostgreSQL URL may hold: those the `pg` client (with pg-connection-string) reads, and libpq's own,
 * which providers put in the URLs they hand out (`channel_binding`, `connect_timeout`, `target_session_attrs`…) and
 * `pg` passes over. Any other is refused: a typo (`shema=`) would connect anyway and write the log elsewhere than meant.
 */
const POSTGRES_PARAMETERS = [
  'schema', 'host', 'port', 'user', 'password', 'database', 'db', 'encoding', 'client_encoding', 'ssl', 'sslmode',
  'sslcert', 'sslkey', 'sslrootcert', 'sslnegotiation', 'uselibpqcompat', 'options', 'binary', 'replication',
  'application_name', 'fallback_application_name', 'statement_timeout', 'lock_timeout',
  'idle_in_transaction_session_timeout', 'query_timeout',
  // libpq's, read by libpq clients only.
  'hostaddr', 'dbname', 'passfile', 'require_auth', 'channel_binding', 'connect_timeout', 'keepalives',
  'keepalives_idle', 'keepalives_interval', 'keepalives_count', 'tcp_user_timeout', 'gssencmode', 'requiressl',
  'sslcompression', 'sslpassword', 'sslcertmode', 'sslcrl', 'sslcrldir', 'sslsni', 'requirepeer',
  'ssl_min_protocol_version', 'ssl_max_protocol_version', 'krbsrvname', 'gsslib', 'gssdelegation', 'service',
  'target_session_attrs', 'load_balance_hosts',
];
/** What pg-connection-string makes of `sslmode`; any other value turns SSL on without saying so. */
const SSL_MODES = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'];
/**
 * The parameters of a KurrentDB URL its client reads, and stratafolio's `namespace`; it ignores others. The client
 * compares keys in any case and without `_` or `-` (`tls_verify_cert` is `tlsVerifyCert`), and so does the check.
 */
const KURRENTDB_PARAMETERS = [
  'namespace', 'connectionName', 'maxDiscoverAttempts', 'defaultDeadline', 'discoveryInterval', 'gossipTimeout',
  'nodePreference', 'tls', 'tlsVerifyCert', 'tlsCAFile', 'userCertFile', 'userKeyFile', 'throwOnAppendFailure',
  'keepAliveInterval', 'keepAliveTimeout', 'dnsDiscover',
];

/** A KurrentDB parameter's key as its client compares it. */
const kurrentKey = (key: string): string => key.toLowerCase().replace(/[_-]/g, '');
const SCHEMES = ['memory', 'sqlite', 'postgres', 'postgresql', 'kurrentdb', 'esdb'];

/** Why `key` is not a parameter a client reads, with the one it is close to; null for a known one (compared as `same` says). */
function unknownParameter(key: string, known: readonly string[], same: (a: string, b: string) => boolean): string | null {
  if (known.some((k) => same(k, key))) return null;
  const near = didYouMean(key, known);
  return `has an unknown parameter "${key}"${near === '' ? ': it' : `${near} It`} would be ignored (known: ${known.join(', ')})`;
}

/**
 * Parses a store URL; a relative SQLite path is resolved against `cwd`.
 * @throws StoreConfigError naming the URL and the accepted forms.
 */
export function parseStoreUrl(url: string, cwd: string = process.cwd()): StoreLocation {
  if (typeof url !== 'string') throw new StoreConfigError(`event store URL must be a string such as "sqlite:./runs/my.db" or "memory:", got ${String(url as unknown)}`);
  const fail = (why: string): never => {
    throw new StoreConfigError(`event store URL "${redactStoreUrl(url)}" ${why}; accepted forms: ${ACCEPTED_STORE_URLS}`);
  };
  const colon = url.indexOf(':');
  if (colon <= 0) return fail('has no scheme');
  const scheme = url.slice(0, colon).toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') return parsePostgresUrl(url, fail);
  if (scheme === 'kurrentdb' || scheme === 'esdb' || scheme === 'kurrentdb+discover' || scheme === 'esdb+discover' || scheme === 'kurrent' || scheme === 'kdb') {
    if (!url.slice(colon + 1).startsWith('//')) return fail('has no host after the scheme (write kurrentdb://host:2113)');
    const q = url.indexOf('?');
    const params = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    for (const key of params.keys()) {
      const unknown = unknownParameter(key, KURRENTDB_PARAMETERS, (a, b) => kurrentKey(a) === kurrentKey(b));
      if (unknown !== null) return fail(unknown);
    }
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
    if (key !== 'durability') return fail(`has an unknown parameter "${key}"${didYouMean(key, ['durability'])}`);
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
      return fail(`has the unknown scheme "${scheme}:"${didYouMean(scheme, SCHEMES).replace(/"\?$/, ':"?')}`);
  }
}

/** Splits stratafolio's `schema` parameter from a PostgreSQL URL; the rest goes to the client as it is. */
function parsePostgresUrl(url: string, fail: (why: string) => never): StoreLocation {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The usual cause: a password with an @, :, /, # or ? in it, which the URL reads as its own punctuation.
    return fail(url.includes('@') ? 'is not a valid URL (a password or user name holding @, :, /, # or ? must be percent-encoded: %40 for @, %3A for :, %2F for /, %23 for #, %3F for ?)' : 'is not a valid URL');
  }
  // postgres:///db?host=/run/postgresql (a Unix socket) has no host part; the client reads it from the parameters.
  if (parsed.hostname === '' && !parsed.searchParams.has('host')) return fail('has no host (write postgres://user@host:5432/database)');
  for (const key of parsed.searchParams.keys()) {
    const unknown = unknownParameter(key, POSTGRES_PARAMETERS, (a, b) => a === b);
    if (unknown !== null) return fail(unknown);
  }
  const sslmode = parsed.searchParams.get('sslmode');
  if (sslmode !== null && !SSL_MODES.includes(sslmode)) {
    return fail(`has sslmode "${sslmode}" (use ${SSL_MODES.slice(0, -1).join(', ')} or ${SSL_MODES.at(-1) ?? ''})${didYouMean(sslmode, SSL_MODES)}`);
  }
  const schema = parsed.searchParams.get('schema') ?? 'public';
  if (!SCHEMA_NAME.test(schema)) return fail(`has schema "${schema}" (use lower-case letters, digits and underscores)`);
  // The server refuses to create a pg_ schema (an error that names no store), and information_schema is its catalogue.
  if (schema.startsWith('pg_')) return fail(`has schema "${schema}": PostgreSQL reserves names starting with pg_ for its own schemas; choose another`);
  if (schema === 'information_schema') return fail(`has schema "${schema}": PostgreSQL's own schema; choose another`);
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
    // Not a URL, often because its password holds an @, :, / or # not percent-encoded: everything between the user's
    // colon and the last @ may be that password, so all of it is hidden.
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/?#]*:).*@/i, '$1***@');
  }
}
