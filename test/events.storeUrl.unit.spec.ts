// Store URLs: what openEventStore accepts, and the StoreConfigError for everything else.
import { describe, expect, it } from 'vitest';
import { StoreConfigError, openEventStore, parseStoreUrl } from '../events/index.js';

describe('parseStoreUrl', () => {
  it('accepts memory: and sqlite: paths, relative to cwd or absolute, with an optional durability', () => {
    expect(parseStoreUrl('memory:')).toEqual({ kind: 'memory' });
    expect(parseStoreUrl('sqlite:./runs/demo.db', '/home/u/work')).toEqual({ kind: 'sqlite', path: '/home/u/work/runs/demo.db', durability: null });
    expect(parseStoreUrl('sqlite:demo.db', '/w')).toEqual({ kind: 'sqlite', path: '/w/demo.db', durability: null });
    expect(parseStoreUrl('sqlite:/var/data/s.db?durability=normal', '/w')).toEqual({ kind: 'sqlite', path: '/var/data/s.db', durability: 'normal' });
    expect(parseStoreUrl('sqlite:///var/data/s.db?durability=full', '/w')).toEqual({ kind: 'sqlite', path: '/var/data/s.db', durability: 'full' });
    expect(parseStoreUrl('SQLITE:../up/a%20b.db', '/w/x')).toEqual({ kind: 'sqlite', path: '/w/up/a b.db', durability: null });
  });

  const bad: [string, RegExp][] = [
    ['', /has no scheme/],
    ['runs/demo.db', /has no scheme/],
    ['redis://localhost/0', /unknown scheme "redis:"/],
    ['esdb:localhost:2113', /has no host after the scheme/],
    ['postgres://', /has no host/],
    ['sqlite:', /has no file path/],
    ['sqlite:?durability=full', /has no file path/],
    ['sqlite:x.db?durability=fast', /durability "fast"/],
    ['sqlite:x.db?mode=ro', /unknown parameter "mode"/],
    ['sqlite://host/x.db', /names a host/],
    ['sqlite::memory:', /use "memory:"/],
    ['memory:name', /takes no path or parameters/],
    // A parameter the client does not read is ignored by it: a typo of schema or namespace would write elsewhere.
    ['postgres://u@h/db?shema=desk_a', /has an unknown parameter "shema": did you mean "schema"\? It would be ignored/],
    ['postgres://u@h/db?sslmode=requir', /has sslmode "requir" \(use disable, prefer, require, verify-ca, verify-full or no-verify\): did you mean "require"\?/],
    ['postgres://u@h/db?conect_timeout=5', /has an unknown parameter "conect_timeout": did you mean "connect_timeout"\?/],
    ['kurrentdb://h:2113?tls_verify_certs=false', /has an unknown parameter "tls_verify_certs"/],
    ['kurrentdb://h:2113?tls=false&namespce=desk_a', /has an unknown parameter "namespce": did you mean "namespace"\? It would be ignored/],
    ['sqlite:x.db?durabilty=full', /unknown parameter "durabilty": did you mean "durability"\?/],
    ['sqlit:x.db', /unknown scheme "sqlit:": did you mean "sqlite:"\?/],
    // PostgreSQL reserves these for its own schemas: the server would refuse the first, or hold the log among its own.
    ['postgres://u@h/db?schema=pg_funds', /has schema "pg_funds": PostgreSQL reserves names starting with pg_ for its own schemas/],
    ['postgres://u@h/db?schema=information_schema', /has schema "information_schema": PostgreSQL's own schema/],
  ];
  for (const [url, why] of bad) {
    it(`refuses ${JSON.stringify(url)} with StoreConfigError naming the URL and the accepted forms`, () => {
      let error: unknown;
      try {
        parseStoreUrl(url, '/w');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(StoreConfigError);
      expect((error as Error).message).toContain(`"${url}"`);
      expect((error as Error).message).toMatch(why);
      expect((error as Error).message).toContain('accepted forms: memory:, sqlite:./relative/path.db');
    });
  }
});

describe('parseStoreUrl: what providers and clients write', () => {
  it("accepts libpq's own parameters, which providers put in the URLs they hand out and pg passes over", () => {
    for (const url of [
      'postgres://u:p@ep-x.eu.aws.neon.tech/db?sslmode=require&channel_binding=require',
      'postgres://u@h/db?connect_timeout=10&target_session_attrs=read-write&keepalives_idle=30',
    ]) {
      expect(parseStoreUrl(url, '/w').kind).toBe('postgres');
    }
  });

  it('accepts KurrentDB keys as its client reads them: any case, with or without _ or -', () => {
    for (const url of ['kurrentdb://h:2113?tls_verify_cert=false', 'kurrentdb://h:2113?TLS-VERIFY-CERT=false', 'esdb://h:2113?dnsDiscover=true']) {
      expect(parseStoreUrl(url, '/w').kind).toBe('kurrentdb');
    }
  });

  it('never prints the password of a URL it refuses', () => {
    expect(() => parseStoreUrl('postgres://u:s3cret@h/db?shema=x', '/w')).toThrow(/"postgres:\/\/u:\*\*\*@h\/db\?shema=x"/);
    expect(() => parseStoreUrl('postgres://u:s3cret@h/db?shema=x', '/w')).not.toThrow(/s3cret/);
  });

  it('never prints a password that breaks the URL (an @, :, / or # not percent-encoded), and says how to write it', () => {
    for (const url of ['postgres://quant:p@ss:w/rd#1@db.example:5432/funds?schema=q', 'postgresql://quant:pa#ss@db.example/funds', 'kurrentdb://admin:pa/ss@h:2113?tls=false&namespce=x']) {
      let error: unknown;
      try {
        parseStoreUrl(url, '/w');
      } catch (e) {
        error = e;
      }
      expect(error, url).toBeInstanceOf(StoreConfigError);
      const text = (error as Error).message;
      expect(text).not.toMatch(/p@ss|pa#ss|pa\/ss/);
      expect(text).toContain('***@');
    }
    expect(() => parseStoreUrl('postgres://quant:p@ss:w/rd#1@db.example:5432/funds', '/w')).toThrow(/percent-encoded.*%40/);
  });
});

describe('openEventStore', () => {
  it('opens a memory store that reports its URL', async () => {
    const store = await openEventStore('memory:');
    expect(store.url).toBe('memory:');
    expect(await store.listStreams()).toEqual([]);
    await store.close();
  });

  it('passes the PostgreSQL and KurrentDB client parameters on, in any case for KurrentDB', () => {
    expect(parseStoreUrl('postgres://u@h/db?sslmode=require&application_name=desk&schema=s1')).toEqual({
      kind: 'postgres',
      connectionString: 'postgres://u@h/db?sslmode=require&application_name=desk',
      schema: 's1',
    });
    expect(parseStoreUrl('kurrentdb://h:2113?TLS=false&nodePreference=leader')).toEqual({ kind: 'kurrentdb', connectionString: 'kurrentdb://h:2113?TLS=false&nodePreference=leader', namespace: '' });
  });

  it('a KurrentDB URL whose value the client cannot read is a StoreConfigError naming the store, not a failed run', async () => {
    const e = await openEventStore('kurrentdb://127.0.0.1:1?tls=flase').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StoreConfigError);
    expect((e as Error).message).toMatch(/^event store kurrentdb:\/\/127\.0\.0\.1:1\?tls=flase: Unexpected "flase" at position \d+, expected true or false/);
  });

  it('parses KurrentDB URLs (kurrentdb://, esdb://, and the +discover forms of a cluster) as given', () => {
    for (const url of ['kurrentdb://localhost:2113?tls=false', 'kurrentdb+discover://cluster.example:2113', 'kdb://a:2113,b:2113']) {
      expect(parseStoreUrl(url)).toEqual({ kind: 'kurrentdb', connectionString: url, namespace: '' });
    }
    // esdb:// (deprecated by the client, which warns on every connect) is passed on as kurrentdb://.
    expect(parseStoreUrl('esdb://a:2113,b:2113?tls=false')).toEqual({ kind: 'kurrentdb', connectionString: 'kurrentdb://a:2113,b:2113?tls=false', namespace: '' });
    expect(parseStoreUrl('esdb+discover://c:2113')).toEqual({ kind: 'kurrentdb', connectionString: 'kurrentdb+discover://c:2113', namespace: '' });
    // stratafolio's own namespace parameter is taken out; the client would refuse it.
    expect(parseStoreUrl('kurrentdb://h:2113?tls=false&namespace=desk_a')).toEqual({ kind: 'kurrentdb', connectionString: 'kurrentdb://h:2113?tls=false', namespace: 'desk_a' });
    expect(() => parseStoreUrl('kurrentdb://h:2113?namespace=A/B')).toThrow(/namespace "A\/B"/);
  });

  it('rejects an unknown scheme with StoreConfigError', async () => {
    await expect(openEventStore('redis://x')).rejects.toBeInstanceOf(StoreConfigError);
  });
});
