// The report and the live dashboard in a real browser: Debian's Chromium driven by playwright-core (no browser download).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dec } from '../src/money/decimal.js';
import { demoMarket } from '../src/cli/demoPortfolio.js';
import { writeLongCsv } from '../src/market/barFileWriter.js';
import { syntheticSlices } from '../src/market/syntheticMarket.js';
import { BIN, CHROMIUM, CHROMIUM_ARGS, hasChromium, replayFigures, spawnCli, withServe } from './fixtures/reportFixture.js';

/** Where the screenshots go, beside the other test output. */
const OUTPUT = join(import.meta.dirname, '..', 'test-output');
const required = process.env.STRATAFOLIO_REQUIRE_BROWSER === '1';

if (!hasChromium) {
  const banner = '!'.repeat(78);
  console.warn(`\n${banner}\n!! BROWSER TESTS DID NOT RUN: ${CHROMIUM} is missing (apt-get install chromium).\n!! The report and serve pages were NOT checked in a browser.\n${banner}\n`);
}

describe('browser: Chromium is present where it is required', () => {
  it.runIf(required)('finds /usr/bin/chromium (CI installs it)', () => {
    expect(hasChromium, `${CHROMIUM} is required (STRATAFOLIO_REQUIRE_BROWSER=1) but missing`).toBe(true);
  });
});

const money = (s: string): string => new Dec(s).toFixed(2).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

let dir = '';
let store = '';
let first260 = '';
let all280 = '';
const DEMO_CONFIG = join(import.meta.dirname, '..', 'examples', 'demo-portfolio.json');
let context: BrowserContext | null = null;

async function freshContext(): Promise<BrowserContext> {
  return chromium.launchPersistentContext(mkdtempSync(join(dir, 'profile-')), {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    viewport: { width: 1240, height: 900 },
  });
}

/** The shown text and exact value of a `data-field` or `data-metric` cell. */
async function cell(page: Page, selector: string): Promise<{ text: string; value: string | null }> {
  const el = page.locator(selector).first();
  return { text: (await el.textContent())?.trim() ?? '', value: await el.getAttribute('data-value') };
}

describe.skipIf(!hasChromium)('browser: the report file and the live dashboard', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stratafolio-browser-'));
    store = `sqlite:${join(dir, 'demo.db')}`;
    first260 = join(dir, 'first-260.csv');
    all280 = join(dir, 'all-280.csv');
    // The demo's portfolio and market as a backtest, so that more of the same run can land later (a longer file resumes).
    const slices = [...syntheticSlices(demoMarket(280))];
    await writeLongCsv(first260, slices.slice(0, 260));
    await writeLongCsv(all280, slices);
    expect((await spawnCli('backtest', '--config', DEMO_CONFIG, '--bars', first260, '--store', store, '--json')).code).toBe(0);
    mkdirSync(OUTPUT, { recursive: true });
    context = await freshContext();
  });
  afterAll(async () => {
    await context?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the report opens from disk with no console error and no request; every chart is drawn; figures equal replay --json', async () => {
    const file = join(dir, 'report.html');
    expect((await spawnCli('report', '--store', store, '--out', file)).code).toBe(0);
    const page = await (context as BrowserContext).newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => requests.push(r.url()));
    const url = pathToFileURL(file).href;
    await page.goto(url, { waitUntil: 'load' });
    expect(errors).toEqual([]);
    expect(requests).toEqual([url]); // the page itself, nothing else

    const charts = await page.$$eval('figure[data-chart]', (figures) =>
      figures.map((f) => {
        const svg = f.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        const longestPath = [...(svg?.querySelectorAll('path') ?? [])].reduce((n, p) => Math.max(n, p.getAttribute('d')?.length ?? 0), 0);
        const shapes = svg?.querySelectorAll('path, rect').length ?? 0;
        return { name: f.getAttribute('data-chart'), width: box?.width ?? 0, height: box?.height ?? 0, longestPath, shapes };
      }),
    );
    expect(charts.map((c) => c.name).sort()).toEqual(['allocation', 'correlation', 'cumulative', 'distribution', 'equity', 'monthly', 'rolling', 'underwater']);
    for (const c of charts) {
      expect(c.width, c.name ?? '').toBeGreaterThan(300);
      expect(c.height, c.name ?? '').toBeGreaterThan(200);
      // A line or area series is one long path over the bars; a heatmap or histogram is one shape per cell or bin.
      const cells: Record<string, number> = { monthly: 12, correlation: 16, distribution: 20 };
      const least = cells[c.name ?? ''];
      if (least !== undefined) expect(c.shapes, `${c.name ?? ''} draws its cells`).toBeGreaterThanOrEqual(least);
      else expect(c.longestPath, `${c.name ?? ''} draws its series`).toBeGreaterThan(1500);
    }

    const replay = await replayFigures(store);
    const value = await cell(page, '[data-field="portfolio-value"]');
    expect(value.value).toBe(replay.portfolioValue);
    expect(value.text).toBe(money(replay.portfolioValue));
    const ret = await cell(page, '[data-field="return-on-capital"]');
    expect(Number(ret.value)).toBe(replay.returnOnCapital);
    expect(ret.text).toBe(`${(replay.returnOnCapital * 100).toFixed(2)}%`);
    expect(replay.sharpe.size).toBe(4);
    for (const [id, sharpe] of replay.sharpe) {
      const s = await cell(page, `[data-metric="${id}:sharpeRatio"]`);
      expect(s.value).toBe(String(sharpe));
      expect(s.text).toBe((sharpe as number).toFixed(2));
    }
    await page.screenshot({ path: join(OUTPUT, 'report.png'), fullPage: true });
    await page.close();
  });

  it('a report of ten strategies reads on a phone and on a wide screen: nothing runs off the page, the heatmap keeps its size', async () => {
    // Ten strategies give the per-strategy tables eleven columns; they must scroll in their own box, not push the page
    // or squeeze the chart beside them.
    const kinds = ['buy-and-hold', 'momentum', 'mean-reversion', 'trend-following'] as const;
    const strategies = Array.from({ length: 10 }, (_, i) => ({ id: `strategy-${i}`, kind: kinds[i % 4], allocation: '0.09', params: kinds[i % 4] === 'trend-following' ? { fast: 5, slow: 20 } : {} }));
    const config = join(dir, 'ten.json');
    writeFileSync(config, JSON.stringify({ id: 'ten', name: 'ten strategies', capital: '1000000', strategies, lookback: 60 }));
    const tenStore = `sqlite:${join(dir, 'ten.db')}`;
    expect((await spawnCli('backtest', '--config', config, '--bars', first260, '--store', tenStore, '--json')).code).toBe(0);
    const file = join(dir, 'ten.html');
    expect((await spawnCli('report', '--store', tenStore, '--out', file)).code).toBe(0);
    const page = await (context as BrowserContext).newPage();
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    const heatmap = async (): Promise<number> => page.$eval('figure[data-chart="correlation"] svg', (svg) => svg.getBoundingClientRect().width);
    // Half of the 1 184-pixel content width, less the gap: the heatmap of ten strategies is drawn 550 wide.
    expect(await heatmap()).toBeGreaterThan(500);
    await page.setViewportSize({ width: 390, height: 800 });
    // What sticks out past the viewport: the page's scroll width, and any block, tile or chart that ends beyond its right edge.
    const overflow = await page.evaluate(`({
      page: document.documentElement.scrollWidth,
      outside: [...document.querySelectorAll('main > *, .tile, figure')]
        .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
        .map((el) => el.tagName.toLowerCase() + '.' + el.className),
    })`);
    expect(overflow).toEqual({ page: 390, outside: [] });
    expect(await heatmap()).toBeGreaterThan(300);
    await page.screenshot({ path: join(OUTPUT, 'report-narrow.png'), fullPage: true });
    await page.close();
  });

  it('serve shows the new value without a reload when slices are appended to the store', async () => {
    await withServe(store, async (url) => {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const page = await (context as BrowserContext).newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      await page.goto(url, { waitUntil: 'load' });
      await page.waitForFunction("document.getElementById('live-status')?.textContent?.startsWith('live')");
      const before = await replayFigures(store);
      expect((await cell(page, '[data-field="portfolio-value"]')).value).toBe(before.portfolioValue);
      await page.evaluate('window.notReloaded = true');

      // More of the backtest lands in the same store while the page is open.
      const more = await spawnCli('backtest', '--config', DEMO_CONFIG, '--bars', all280, '--store', store, '--json');
      expect(more.code).toBe(0);
      const after = await replayFigures(store);
      expect(after.portfolioValue).not.toBe(before.portfolioValue);
      await page.waitForFunction(
        `document.querySelector('[data-field="portfolio-value"]')?.getAttribute('data-value') === ${JSON.stringify(after.portfolioValue)}`,
        undefined,
        { timeout: 20_000 },
      );
      expect(await page.evaluate('window.notReloaded')).toBe(true);
      expect((await cell(page, '[data-field="portfolio-value"]')).text).toBe(money(after.portfolioValue));
      // The "Strategies now" table moved with it: each strategy's value is replay's after the new slices.
      const liveValues = await page.$$eval('#live tr[data-strategy]', (rows) =>
        rows.map((r) => [r.getAttribute('data-strategy'), r.querySelector('[data-field="value"]')?.getAttribute('data-value') ?? null]),
      );
      expect(liveValues).toEqual([...after.values]);
      expect(liveValues).not.toEqual([...before.values]);
      expect(errors, JSON.stringify(errors)).toEqual([]);
      await page.screenshot({ path: join(OUTPUT, 'serve.png') });
      await page.close();
    });
  });

  it('a page that lost serve catches up when serve is back, with the slices that landed meanwhile', async () => {
    const file = join(dir, 'restarted.db');
    const url = `sqlite:${file}`;
    const slices = [...syntheticSlices(demoMarket(280))];
    const first200 = join(dir, 'first-200.csv');
    await writeLongCsv(first200, slices.slice(0, 200));
    expect((await spawnCli('backtest', '--config', DEMO_CONFIG, '--bars', first200, '--store', url, '--json')).code).toBe(0);
    const start = (port: string): Promise<{ server: ChildProcessWithoutNullStreams; url: string }> => {
      const server = spawn(process.execPath, [BIN, 'serve', '--store', url, '--port', port, '--json']);
      return new Promise((resolve, reject) => {
        let out = '';
        server.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /"url": "([^"]+)"/.exec(out);
          if (m) resolve({ server, url: m[1] as string });
        });
        server.once('exit', (code) => reject(new Error(`serve exited with ${String(code)}`)));
      });
    };
    const stop = async (server: ChildProcessWithoutNullStreams): Promise<void> => {
      server.kill('SIGTERM');
      if (server.exitCode === null) await new Promise((resolve) => server.once('exit', resolve));
    };
    const first = await start('0');
    const page = await (context as BrowserContext).newPage();
    let second: ChildProcessWithoutNullStreams | null = null;
    try {
      await page.goto(first.url, { waitUntil: 'load' });
      await page.waitForFunction("document.getElementById('live-status')?.textContent?.startsWith('live')");
      await stop(first.server);
      await page.waitForFunction("document.getElementById('live-status')?.textContent?.startsWith('disconnected')", undefined, { timeout: 20_000 });
      // The rest of the run lands while no server is there; then serve comes back on the same port, and no slice follows.
      expect((await spawnCli('backtest', '--config', DEMO_CONFIG, '--bars', all280, '--store', url, '--json')).code).toBe(0);
      const after = await replayFigures(url);
      second = (await start(new URL(first.url).port)).server;
      await page.waitForFunction(
        `document.querySelector('[data-field="portfolio-value"]')?.getAttribute('data-value') === ${JSON.stringify(after.portfolioValue)}`,
        undefined,
        { timeout: 20_000 },
      );
      expect(await page.locator('#live-status').textContent()).toMatch(/^live/);
    } finally {
      await page.close();
      if (second !== null) await stop(second);
    }
  });

  it('serve says on the page when it stops following the log (a corrupt event lands), also to a page opened after', async () => {
    const file = join(dir, 'corrupted.db');
    copyFileSync(join(dir, 'demo.db'), file);
    await withServe(`sqlite:${file}`, async (url) => {
      const page = await (context as BrowserContext).newPage();
      await page.goto(url, { waitUntil: 'load' });
      await page.waitForFunction("document.getElementById('live-status')?.textContent?.startsWith('live')");
      // Another writer appends an event whose hash does not match its body.
      const sql = new Database(file);
      const last = sql.prepare("SELECT revision, event_id, type, body FROM events WHERE stream = 'portfolio-demo' ORDER BY revision DESC LIMIT 1").get() as { revision: number; event_id: string; type: string; body: string };
      const revision = last.revision + 1;
      sql.prepare('INSERT INTO events (stream, revision, event_id, type, body, hash) VALUES (?, ?, ?, ?, ?, ?)').run('portfolio-demo', revision, `${last.event_id}-x`, last.type, last.body, '0'.repeat(64));
      sql.close();
      await page.waitForFunction("document.getElementById('live-status')?.textContent?.startsWith('stopped following')", undefined, { timeout: 20_000 });
      const shown = (await page.locator('#live-status').textContent()) ?? '';
      expect(shown).toContain(`revision ${revision}`);
      const later = await (context as BrowserContext).newPage();
      await later.goto(url, { waitUntil: 'load' });
      await later.waitForFunction("document.getElementById('live-status')?.textContent?.startsWith('stopped following')", undefined, { timeout: 20_000 });
      expect(await later.locator('#live-status').textContent()).toBe(shown);
      const state = (await (await fetch(new URL('/state.json', url))).json()) as { failure: string | null };
      expect(state.failure).toContain(`revision ${revision}`);
      await page.close();
      await later.close();
    });
  });

});
