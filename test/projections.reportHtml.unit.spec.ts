import { describe, expect, it } from 'vitest';
import { openEventStore } from '../src/index.js';
import { foldReport, renderReportHtml } from '../projections/report/index.js';
import { PORTFOLIO, STREAM, appendBatches, fixtureBatches } from './projections.fixture.js';

async function model() {
  const store = await openEventStore('memory:');
  await appendBatches(store, fixtureBatches());
  return foldReport(store, PORTFOLIO, STREAM, { asOf: { kind: 'end' }, verification: null, rollingWindow: 2 });
}

describe('report HTML', () => {
  it('renders the same bytes twice in one process (chart ids do not follow the renderer’s instance counter)', async () => {
    const m = await model();
    const first = renderReportHtml(m);
    const second = renderReportHtml(await model());
    expect(second).toBe(first);
    expect(first).not.toMatch(/zr\d+-/);
    expect(first).toContain('class="cumulative-cls-0"'); // classes are named after their chart, counted from 0
  });

  it('escapes what the log says (names, parameters, decisions) and says when the log was not verified', async () => {
    const m = await model();
    const hostile = { ...m, provenance: { ...m.provenance, name: '<script>alert(1)</script>' } };
    const html = renderReportHtml(hostile);
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('not verified (--no-verify)');
  });

  it('shows the rebalance with its weights and its full recorded decision', async () => {
    const html = renderReportHtml(await model());
    expect(html).toContain('<tr data-rebalance="r1">');
    expect(html).toMatch(/61\.3% → 50\.0% → <b>56\.7%<\/b>/); // a: before → raw → final
    expect(html).toContain('max:b');
    expect(html).toMatch(/<details><summary>Full decision of r1 \(revision \d+, position \d+\): monthly<\/summary><pre>[^<]*&quot;algorithm&quot;: &quot;equal-weight&quot;/);
  });
});
