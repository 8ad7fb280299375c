import pg from 'pg';
import { openEventStore, sealEvents, GENESIS_HASH, domainEvent, portfolioStream } from '/work/wt-store/events/index.js';
const base = 'postgres://postgres@127.0.0.1:54329/postgres?schema=readprobe';
const store = await openEventStore(base);
const stream = portfolioStream('r');
if ((await store.streamRevision(stream)) === 'no_stream') {
  let head = { portfolioId: 'r', nextRevision: 0, prevHash: GENESIS_HASH };
  for (let b = 0; b < 100; b++) {
    const s = sealEvents(head, Array.from({ length: 1000 }, (_, i) => ({ barTime: null, event: domainEvent('FillRecorded', { orderId: `o${b}-${i}`, strategyId: 's', symbol: 'X', quantity: '1', price: '1.5', commission: '1', slippage: '0' }) })));
    await store.append(stream, s.events, { expectedRevision: head.nextRevision === 0 ? 'no_stream' : head.nextRevision - 1 });
    head = s.head;
  }
}
let t = performance.now(); let n = 0;
for await (const e of store.readStream(stream)) n++;
console.log('readStream', n, Math.round(n / ((performance.now() - t) / 1000)));
const c = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:54329/postgres' }); await c.connect();
t = performance.now();
let rows = 0; let after = -1;
for (;;) { const r = await c.query('SELECT position, stream, revision, body, hash FROM readprobe.events WHERE stream=$1 AND revision > $2 ORDER BY revision LIMIT 2000', [stream, after]); rows += r.rows.length; if (r.rows.length < 2000) break; after = r.rows[r.rows.length-1].revision; }
console.log('raw paged', rows, Math.round(rows / ((performance.now() - t) / 1000)));
t = performance.now();
const all = await c.query('SELECT position, stream, revision, body, hash FROM readprobe.events WHERE stream=$1 ORDER BY revision', [stream]);
console.log('raw one query', all.rows.length, Math.round(all.rows.length / ((performance.now() - t) / 1000)));
await c.end(); await store.close();
