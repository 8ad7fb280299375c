// Runs the EventStore contract against the memory adapter (stores sharing one MemoryLog act as connections).
import { createMemoryEventStore, MemoryLog } from '../events/index.js';
import { eventStoreContract } from './contract/eventStore.contract.js';

eventStoreContract('memory', async () => {
  const log = new MemoryLog();
  return {
    open: async () => createMemoryEventStore({ log }),
    rewrite: async (position, change) => {
      const row = log.rows[position - 1];
      if (!row) throw new Error(`no row at position ${position}`);
      const next = change({ body: row.body, hash: row.hash });
      row.body = next.body;
      row.hash = next.hash;
    },
    dispose: async () => undefined,
  };
});
