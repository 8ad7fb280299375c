// Runs the EventStore contract against a real KurrentDB (STRATAFOLIO_KURRENTDB_URL), each test in its own namespace.
// Nothing here stands in for a server: without the variable the suite is reported as skipped.
import { randomBytes } from 'node:crypto';
import { it } from 'vitest';
import { openEventStore } from '../events/index.js';
import { eventStoreContract } from './contract/eventStore.contract.js';

const KURRENTDB_URL = process.env.STRATAFOLIO_KURRENTDB_URL || undefined;

if (KURRENTDB_URL === undefined) {
  process.stderr.write(
    '\nSKIPPED: the EventStore contract on KurrentDB — STRATAFOLIO_KURRENTDB_URL is not set. To run it: ' +
      'docker compose up -d kurrentdb && STRATAFOLIO_KURRENTDB_URL="kurrentdb://localhost:2113?tls=false" npx vitest run test/events.store.kurrentdb.int.spec.ts\n',
  );
  it.skip('the EventStore contract on KurrentDB (SKIPPED: no KurrentDB; set STRATAFOLIO_KURRENTDB_URL)', () => undefined);
} else {
  const base = KURRENTDB_URL;
  eventStoreContract(
    'kurrentdb',
    async () => {
      // A fresh namespace per test: $all is shared, so each test's streams carry their own prefix.
      const namespace = `contract_${randomBytes(6).toString('hex')}`;
      const url = `${base}${base.includes('?') ? '&' : '?'}namespace=${namespace}`;
      return { open: () => openEventStore(url), rewrite: null, dispose: async () => undefined };
    },
    // Stored events cannot be altered behind KurrentDB's back, so the corruption cases do not apply; no transaction spans
    // its streams, so appendMany keeps the writes before a failed one.
    { immutableEvents: true, atomicAppendMany: false },
  );
}
