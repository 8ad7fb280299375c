// `stratafolio serve`: the report as a live page on localhost, refreshed through server-sent events as new slices land in the store.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Command } from 'commander';
import { ConfigError } from '../../errors.js';
import { LogBrokenError } from '../logBrokenError.js';
import { ProjectionRunner, firstBreak, verifyPortfolio, type VerificationResult } from '../../../projections/index.js';
import {
  DEFAULT_ROLLING_WINDOW,
  buildReportModel,
  renderReportBody,
  refuseUnmarkedBenchmark,
  markedSymbols,
  renderReportHtml,
  reportProjections,
  type ReportModel,
  type ReportStates,
} from '../../../projections/report/index.js';
import { writeJson, type CliIO } from '../output.js';
import type { RegisterCommand } from './index.js';
import { openExistingStore } from './replay.js';
import { choosePortfolio } from '../portfolioChoice.js';
import { parseWindow } from './report.js';
import { BARS_PER_YEAR_HELP, RISK_FREE_HELP, parseConventionFlags, storedLogConventions } from '../yearlyConventions.js';
import { logAnnualisationWarning } from '../annualisationWarning.js';

interface ServeFlags {
  readonly store: string;
  readonly portfolio?: string;
  readonly host: string;
  readonly port: string;
  readonly benchmark?: string;
  readonly window: string;
  readonly riskFree?: string;
  readonly barsPerYear?: string;
  readonly verify: boolean;
  readonly json?: boolean;
}

/**
 * The page's only script: on each update it fetches the new report body and swaps it in, without a reload. Updates
 * that arrive while a fetch is under way are folded into one more fetch, so a burst of slices costs few rebuilds
 * (the server builds the body on demand, once per new slice at most).
 */
const LIVE_SCRIPT = `<div id="live-status" style="position:fixed;top:10px;right:14px;color:#fff;font:12px sans-serif;opacity:.85">connecting…</div>
<script>
(() => {
  const status = document.getElementById('live-status');
  let busy = false;
  let again = false;
  let latest = null;
  async function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    try {
      do {
        again = false;
        const response = await fetch('/body', { cache: 'no-store' });
        if (!response.ok) break;
        const version = response.headers.get('x-report-version');
        document.getElementById('report').innerHTML = await response.text();
        document.body.dataset.version = version;
        status.textContent = 'live · ' + (latest || '');
      } while (again);
    } finally {
      busy = false;
    }
  }
  const events = new EventSource('/events');
  events.addEventListener('update', (message) => {
    latest = JSON.parse(message.data).lastBarTime;
    refresh();
  });
  // The server stopped following the log (a corrupt or unreadable event): the page keeps what it showed, and says so.
  events.addEventListener('failure', (message) => {
    events.close();
    status.textContent = JSON.parse(message.data).message;
    status.style.color = '#ff8a80';
    status.style.opacity = '1';
  });
  // Back after losing the server (restarted, or the connection dropped): slices may have landed meanwhile, and no update
  // event will tell of them, so the page fetches the body once.
  let lost = false;
  events.onopen = () => {
    status.textContent = 'live';
    if (lost) { lost = false; refresh(); }
  };
  events.onerror = () => { lost = true; status.textContent = 'disconnected; retrying…'; };
})();
</script>`;

/** The server-sent event that tells the pages the server stopped following the log, and why. */
function failureMessage(stream: string, e: unknown): string {
  const message = `stopped following ${stream}: ${e instanceof Error ? e.message : String(e)}`;
  return `event: failure\ndata: ${JSON.stringify({ message })}\n\n`;
}

/**
 * Parses `--port`.
 * @throws ConfigError when it is not an integer in 0…65535 (0 picks a free port).
 */
function parsePort(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0 || n > 65_535) throw new ConfigError(`--port must be an integer from 0 to 65535, got "${text}"`, 'port');
  return n;
}

/**
 * Starts `server` listening on `host`:`port`.
 * @throws ConfigError naming the flag to change when the port is in use or not allowed, or the host is not this machine's.
 */
function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      const at = `${host}:${port}`;
      if (e.code === 'EADDRINUSE') reject(new ConfigError(`--port ${port}: ${at} is already in use (another serve or program listens there); choose another --port, or --port 0 for a free one`, 'port'));
      else if (e.code === 'EACCES') reject(new ConfigError(`--port ${port}: not allowed to listen on ${at} (ports below 1024 need privileges); choose another --port, or --port 0 for a free one`, 'port'));
      else if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') reject(new ConfigError(`--host ${host}: not an address of this machine (${e.code}); give one of its interfaces, e.g. 127.0.0.1`, 'host'));
      else reject(e);
    });
    server.listen(port, host, () => resolve());
  });
}

/** Registers `serve`. */
export const registerServe: RegisterCommand = (program: Command, io: CliIO) => {
  program
    .command('serve')
    .description('Serve the report as a live page that updates itself as new slices land in the store')
    .requiredOption('--store <url>', 'event store URL (see the README)')
    .option('--portfolio <id>', 'portfolio id (default: the only one in the store)')
    .option('--host <host>', 'interface to bind (anything but localhost exposes the page to the network)', '127.0.0.1')
    .option('--port <port>', 'TCP port (0 picks a free one)', '8080')
    .option('--benchmark <symbol>', 'a symbol of the recorded marks, held buy-and-hold, to compare against')
    .option('--window <bars>', 'window of the rolling Sharpe and volatility', String(DEFAULT_ROLLING_WINDOW))
    .option('--risk-free <annual rate>', RISK_FREE_HELP)
    .option('--bars-per-year <n>', BARS_PER_YEAR_HELP)
    .option('--no-verify', "skip verifying the log and a paper session's feed record when the server starts")
    .option('--json', 'print the served URL as JSON')
    .action(async (flags: ServeFlags) => {
      const port = parsePort(flags.port);
      // Node binds an empty host to every interface: `--host $HOST` with HOST unset would expose the page.
      if (flags.host.trim() === '') {
        throw new ConfigError(
          `--host ${JSON.stringify(flags.host)} names no interface (an empty host binds every interface, exposing the page to the network): give one, e.g. 127.0.0.1 (the default), or 0.0.0.0 to expose it on purpose`,
          'host',
        );
      }
      const window = parseWindow(flags.window);
      const given = parseConventionFlags(flags);
      const store = await openExistingStore(flags.store);
      // The port is taken before the log is verified and folded, so a port in use is said at once, not after a long fold;
      // until the page is ready every request is answered 503.
      let handle: ((req: IncomingMessage, res: ServerResponse) => void) | null = null;
      const server = createServer((req: IncomingMessage, res: ServerResponse) => {
        if (handle === null) res.writeHead(503, { 'retry-after': '1' }).end();
        else handle(req, res);
      });
      try {
        await listen(server, port, flags.host);
        const { id, stream } = await choosePortfolio(store, flags.portfolio, 'any');
        const verified = flags.verify ? await verifyPortfolio(store, id, stream) : null;
        const broken = verified === null ? null : firstBreak(id, verified);
        if (broken !== null) throw new LogBrokenError(broken, 'nothing was served');
        const verification: VerificationResult | null = verified === null ? null : verified.log;
        // Starts from the checkpoints `replay` saved but writes none: the per-bar series would be encoded again at every checkpoint.
        const conventions = await storedLogConventions(store, stream, given);
        const runner = new ProjectionRunner(store, reportProjections(flags.benchmark, conventions), { stream, checkpointEvery: 0, restoreCheckpoints: true });
        let model: ReportModel | null = null;
        let body = '';
        // `version` counts the slices seen; the page is rebuilt on demand when a request finds it behind.
        let version = 0;
        let builtVersion = -1;
        let revision = -1;
        let position = 0;
        let states: ReportStates['states'] | null = null;
        let failure: unknown = null;
        const clients = new Set<ServerResponse>();
        const current = (): ReportModel | null => {
          if (states === null) return null;
          if (builtVersion !== version || model === null) {
            model = buildReportModel(id, { states, eventsFolded: 0, revision, position, lastBarTime: states.portfolio.lastBarTime, resumed: [], rejectedCheckpoints: [], checkpointsSaved: false, checkpointsFull: false, incompleteSlice: null }, {
              asOf: { kind: 'end' },
              verification,
              feedRecord: verified === null ? null : verified.feedRecord,
              rollingWindow: window,
              conventions,
              verifiedWhen: 'when serve started',
            });
            body = renderReportBody(model);
            builtVersion = version;
          }
          return model;
        };
        const follow = await runner.follow({
          onEvent: (s, event) => {
            states = s as ReportStates['states'];
            revision = event.metadata.revision;
            position = event.position;
            if (event.type !== 'BarMarked') return;
            version += 1;
            const message = `event: update\ndata: ${JSON.stringify({ version, revision, lastBarTime: event.metadata.barTime })}\n\n`;
            for (const c of clients) c.write(message);
          },
          onError: (e) => {
            failure = e;
            io.stderr.write(`stratafolio: serve stopped following ${stream}: ${e instanceof Error ? e.message : String(e)}\n`);
            for (const c of clients) c.write(failureMessage(stream, e));
          },
        });
        states = runner.states as ReportStates['states'];
        // A log without a bar yet cannot tell a mistyped symbol from one still to come, so only a log with bars is checked.
        if (states.series.times.length > 0) {
          try {
            await refuseUnmarkedBenchmark(id, states.series, { kind: 'end' }, () => markedSymbols(store, stream));
          } catch (e) {
            await follow.stop();
            throw e;
          }
        }
        revision = states.series.headRevision;
        position = states.series.headPosition;
        const spacing = logAnnualisationWarning(states.portfolio, conventions);
        if (spacing !== null) io.stderr.write(`stratafolio: warning: ${spacing}\n`);
        handle = (req: IncomingMessage, res: ServerResponse): void => {
          const path = new URL(req.url ?? '/', 'http://localhost').pathname;
          if (req.method !== 'GET') {
            res.writeHead(405).end();
            return;
          }
          const html = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' };
          if (path === '/' || path === '/body' || path === '/report.html' || path === '/state.json') {
            const m = current();
            if (m === null) {
              res.writeHead(503).end();
              return;
            }
            if (path === '/') res.writeHead(200, html).end(renderReportHtml(m, { tail: LIVE_SCRIPT, mode: 'live', body }).replace('<body>', `<body data-version="${builtVersion}">`));
            else if (path === '/body') res.writeHead(200, { ...html, 'x-report-version': String(builtVersion) }).end(body);
            else if (path === '/report.html') res.writeHead(200, html).end(renderReportHtml(m, { body }));
            else {
              res.writeHead(200, { 'content-type': 'application/json' });
              res.end(JSON.stringify({ version: builtVersion, revision, summary: m.summary, live: m.live, failure: failure === null ? null : String(failure) }));
            }
          } else if (path === '/events') {
            res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
            res.write(`retry: 1000\n\n`);
            // A page opened after the failure learns it at once.
            if (failure !== null) res.write(failureMessage(stream, failure));
            clients.add(res);
            req.on('close', () => clients.delete(res));
          } else if (path === '/favicon.ico') {
            res.writeHead(204).end();
          } else {
            res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
          }
        };
        const address = server.address() as AddressInfo;
        const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
        const url = `http://${host}:${address.port}/`;
        if (flags.json) writeJson(io, { portfolioId: id, url });
        else io.stdout.write(`serving ${id} at ${url} (Ctrl-C to stop)\n`);
        await new Promise<void>((resolve) => {
          const stop = (): void => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            resolve();
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
        for (const c of clients) c.end();
        await follow.stop();
      } finally {
        server.closeAllConnections();
        if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
        await store.close();
      }
    });
};
