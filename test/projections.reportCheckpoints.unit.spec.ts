// The report starts from the checkpoints replay saved: only its own per-bar series is folded from the first event.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CHECKPOINT_COLLECTION, ProjectionRunner, openEventStore, standardProjections, type RunResult } from '../src/index.js';
import { conventionOptions } from '../src/metrics/options.js';
import { foldReport, renderReportHtml } from '../projections/report/index.js';
import { PORTFOLIO, STREAM, appendBatches, fixtureBatches } from './projections.fixture.js';

afterEach(() => vi.restoreAllMocks());

describe('report and checkpoints', () => {
  it("resumes every standard projection from replay's checkpoints, saves none of its own, and shows what a fold from the first event shows", async () => {
    const store = await openEventStore('memory:');
    await appendBatches(store, fixtureBatches());
    // What replay folds and saves, in the same conventions.
    await new ProjectionRunner(store, standardProjections(conventionOptions({})), { stream: STREAM }).run();
    const options = { asOf: { kind: 'end' } as const, verification: null, rollingWindow: 2 };

    const run = vi.spyOn(ProjectionRunner.prototype, 'run');
    const model = await foldReport(store, PORTFOLIO, STREAM, options);
    const result = (await run.mock.results[0]?.value) as RunResult<Record<string, never>>;
    expect([...result.resumed].sort()).toEqual(Object.keys(standardProjections()).sort());
    expect(await store.documents.get(CHECKPOINT_COLLECTION, `report-series@${STREAM}`)).toBeNull();

    const fresh = await openEventStore('memory:');
    await appendBatches(fresh, fixtureBatches());
    expect(renderReportHtml(model)).toBe(renderReportHtml(await foldReport(fresh, PORTFOLIO, STREAM, options)));
  });
});
