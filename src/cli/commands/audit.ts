// `stratafolio audit`: lists a portfolio's rebalances (or one in full) and, with --verify, proves the log intact or names the first broken event.
import type { Command } from 'commander';
import { ConfigError } from '../../errors.js';
import { Dec } from '../../money/decimal.js';
import {
  INCIDENT_KINDS,
  ProjectionRunner,
  incidentsProjection,
  noIncidents,
  pausedStrategies,
  type IncidentCounts,
  rebalanceAuditProjection,
  rebalanceShortfalls,
  weighedShare,
  type IncidentKind,
  type IncidentsState,
  standardProjections,
  describeBreak,
  firstBreak,
  verifyPortfolio,
  verifyStoredDocuments,
  type DocumentCheck,
  type FeedRecordVerification,
  type RebalanceRecord,
  type VerificationResult,
} from '../../../projections/index.js';
import { EXIT_FAILED } from '../exitCodes.js';
import { ownValue, setOwn } from '../../records/ownKeys.js';
import { money, percent } from '../../display/figures.js';
import { fewOf, formatTable, wrapList, wrapText, writeJson, type CliIO } from '../output.js';
import type { RegisterCommand } from './index.js';
import { openExistingStore } from './replay.js';
import { choosePortfolio } from '../portfolioChoice.js';
import { recordedConventions } from '../yearlyConventions.js';
import { ANNUALIZATION_FACTORS } from '../../metrics/options.js';

/** Exit code of `audit --verify` when the log, a paper session's feed record, or a document stored beside it, is not intact. */
export const EXIT_LOG_BROKEN = EXIT_FAILED;

const HEAD_HASH = /^[0-9a-f]{64}$/;

interface AuditFlags {
  readonly store: string;
  readonly portfolio?: string;
  readonly rebalance?: string;
  readonly verify?: boolean;
  readonly expectHead?: string;
  readonly json?: boolean;
  readonly events?: string;
}

const pct = (x: number | undefined): string => (x === undefined ? '-' : percent(x));

/** A strategy left out of the weighing has no target: it keeps what it holds, which a target of 0.00 would deny. */
function weightRows(r: RebalanceRecord): string[][] {
  const d = r.decision;
  const ids = [...new Set([...Object.keys(d.weightsBefore), ...Object.keys(d.finalWeights)])].sort();
  return ids.map((id) => {
    const target = ownValue(d.targets, id);
    return [
      r.rebalanceId,
      id,
      pct(ownValue(d.weightsBefore, id)),
      pct(ownValue(d.rawWeights, id)),
      pct(ownValue(d.finalWeights, id)),
      target !== undefined ? money(target) : ownValue(d.leftOut ?? {}, id) !== undefined ? 'kept' : money('0'),
    ];
  });
}

/** Each strategy a rebalance left short of its target: what it asked, what moved, and the plan's cap that held it back. */
function shortfallLines(r: RebalanceRecord, indent: string): string[] {
  return rebalanceShortfalls(r).flatMap((s) => {
    const asked = new Dec(s.asked);
    const verb = asked.isNegative() ? 'gave' : 'received';
    return wrapText(`${indent}${s.strategyId}: `, `${verb} ${money(new Dec(s.moved).abs().toString())} of the ${money(asked.abs().toString())} its target asked: ${s.why}`);
  });
}

/** `key=value` pairs of a JSON object, nested objects flattened to dotted keys, so that they wrap at 80 columns. */
function flatEntries(value: Readonly<Record<string, unknown>>, prefix = ''): string[] {
  return Object.keys(value)
    .sort()
    .flatMap((k) => {
      const v = value[k];
      return typeof v === 'object' && v !== null && !Array.isArray(v)
        ? flatEntries(v as Record<string, unknown>, `${prefix}${k}.`)
        : [`${prefix}${k}=${JSON.stringify(v)}`];
    });
}

/** A bar time in 16 columns or fewer: the date alone at midnight UTC. */
function shortTime(t: string | null): string {
  if (t === null) return '-';
  return t.endsWith('T00:00:00.000Z') ? t.slice(0, 10) : `${t.slice(0, 10)} ${t.slice(11, 16)}`;
}

function printList(io: CliIO, id: string, rebalances: readonly RebalanceRecord[]): void {
  const out = [`portfolio ${id}: ${rebalances.length} rebalance${rebalances.length === 1 ? '' : 's'}`];
  if (rebalances.length > 0) {
    out.push(
      '',
      formatTable(
        ['rebalance', 'bar time', 'trigger', 'algorithm', 'moved', 'bound'],
        rebalances.map((r) => [
          r.rebalanceId,
          shortTime(r.barTime),
          r.decision.trigger,
          r.decision.algorithm,
          money(r.capitalMoved),
          String(r.decision.bindingConstraints.length),
        ]),
      ),
      '',
      'binding constraints',
      ...rebalances.flatMap((r) => wrapList(`${r.rebalanceId.padEnd(5)} `, r.decision.bindingConstraints.length > 0 ? [...r.decision.bindingConstraints] : ['none'])),
      '',
      formatTable(['rebalance', 'strategy', 'before', 'raw', 'after', 'target'], rebalances.flatMap(weightRows)),
    );
    const short = rebalances.filter((r) => rebalanceShortfalls(r).length > 0);
    if (short.length > 0) {
      out.push('', 'short of target (what moved, and why; details with --rebalance <id>)');
      for (const r of short) out.push(r.rebalanceId, ...shortfallLines(r, '  '));
    }
  }
  io.stdout.write(`${out.join('\n')}\n`);
}

/**
 * Parses `--events`: a comma-separated list of fault, pause, resume, liquidation, removal, rejection (plurals accepted), or `all`.
 * @throws ConfigError naming the unknown kind.
 */
export function parseEventKinds(text: string): IncidentKind[] {
  const kinds = new Set<IncidentKind>();
  for (const raw of text.split(',').map((k) => k.trim().toLowerCase())) {
    if (raw === 'all') {
      for (const k of INCIDENT_KINDS) kinds.add(k);
      continue;
    }
    const singular = raw.endsWith('s') ? raw.slice(0, -1) : raw;
    const kind = INCIDENT_KINDS.find((k) => k === singular);
    if (kind === undefined) throw new ConfigError(`--events: unknown kind "${raw}" (use ${INCIDENT_KINDS.map((k) => `${k}s`).join(', ')} or all)`, 'events');
    kinds.add(kind);
  }
  return INCIDENT_KINDS.filter((k) => kinds.has(k));
}

/** Incident counts per strategy, the paused strategies, and the events of the kinds asked for. */
function incidentReport(incidents: IncidentsState, kinds: readonly IncidentKind[] | null): string[] {
  const c = incidents.counts;
  const total = INCIDENT_KINDS.reduce((n, k) => n + c[k], 0);
  const out = ['', ...wrapList(`incidents ${total}: `, INCIDENT_KINDS.map((k) => `${c[k]} ${k}${c[k] === 1 ? '' : 's'}`))];
  const ids = [...incidents.byStrategy.keys()].sort();
  if (ids.length > 0) {
    out.push(
      '',
      formatTable(
        ['strategy', ...INCIDENT_KINDS.map((k) => `${k}s`)],
        ids.map((id) => {
          const mine = incidents.byStrategy.get(id);
          return [id, ...INCIDENT_KINDS.map((k) => String(mine?.[k] ?? 0))];
        }),
      ),
    );
  }
  const paused = pausedStrategies(incidents);
  if (paused.length > 0) {
    out.push('', `paused now ${paused.length}`);
    for (const p of paused) out.push(...wrapText(`  ${p.strategyId} since ${p.since ?? 'the start'}: `, p.reason));
  }
  if (kinds === null) {
    if (total > 0) out.push('', 'list them with --events all, or some of them:', `  --events ${INCIDENT_KINDS.map((k) => `${k}s`).join(',')}`);
    return out;
  }
  out.push('', `events: ${kinds.map((k) => `${k}s`).join(', ')} (${incidents.events.length})`);
  for (const e of incidents.events) out.push(...wrapText(`  ${e.position} ${shortTime(e.barTime)} ${e.kind} ${e.strategyId}: `, e.message));
  return out;
}

/** The share the weighed strategies split, when it was not the whole value: without it a bound named binding reads wrong. */
function shareLines(r: RebalanceRecord): string[] {
  const s = weighedShare(r);
  if (s === null) return [];
  const parts = [`${percent(s.free)} not kept by the strategies left out`, ...(s.readmitted > 0 ? [`less ${percent(s.readmitted)} re-admitted`] : [])];
  return wrapText(
    'weighed share ',
    `${percent(s.share)} of the portfolio value (${parts.join(', ')}): raw weights, bounds and binding constraints are fractions of this share; after = bounded weight × ${percent(s.share)}`,
  );
}

/**
 * `audit --rebalance <id>` in text: the decision in full, with the strategies it left out or re-admitted and why, and
 * the bars a year its statistics were annualised by (the portfolio config's barsPerYear, 252 when absent).
 */
export function rebalanceLines(r: RebalanceRecord, barsPerYear: number = ANNUALIZATION_FACTORS.daily): string[] {
  const d = r.decision;
  const out = [
    `rebalance ${r.rebalanceId} at ${r.barTime ?? '-'} (revision ${r.revision}, position ${r.position})`,
    ...wrapText(`trigger ${d.trigger}: `, d.reason),
    ...(Object.keys(d.parameters).length > 0 ? wrapList(`algorithm ${d.algorithm}: `, flatEntries(d.parameters)) : [`algorithm ${d.algorithm}`]),
    `solver ${d.solver ? `${d.solver.name} ${d.solver.status} objective ${String(d.solver.objective)} gap ${String(d.solver.gap)}` : 'none'}`,
    ...wrapList('binding constraints: ', d.bindingConstraints.length > 0 ? [...d.bindingConstraints] : ['none']),
    `portfolio value ${money(d.portfolioValue)}, capital moved ${money(r.capitalMoved)}`,
    ...shareLines(r),
    '',
    formatTable(['rebalance', 'strategy', 'before', 'raw', 'after', 'target'], weightRows(r)),
    '',
    formatTable(
      ['from', 'to', 'amount', 'position'],
      r.transfers.map((t) => [t.from, t.to, money(t.amount), String(t.position)]),
    ),
  ];
  const short = shortfallLines(r, '  ');
  if (short.length > 0) out.push('', 'short of target', ...short);
  for (const [title, reasons] of [
    ['left out of the weighing', d.leftOut],
    ['re-admitted', d.readmitted],
  ] as const) {
    const entries = Object.entries(reasons ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
    if (entries.length === 0) continue;
    out.push('', title);
    for (const [id, reason] of entries) out.push(...wrapText(`  ${id}: `, reason));
  }
  const inputs = Object.entries(d.inputs).sort(([a], [b]) => (a < b ? -1 : 1));
  if (inputs.length > 0) {
    out.push('', `inputs (yearly figures annualised by ${barsPerYear} bars a year)`);
    for (const [s, v] of inputs) out.push(...wrapList(`  ${s}: `, flatEntries(v)));
  }
  return out;
}

function printOne(io: CliIO, r: RebalanceRecord, barsPerYear: number): void {
  io.stdout.write(`${rebalanceLines(r, barsPerYear).join('\n')}\n`);
}

function printVerdict(io: CliIO, v: VerificationResult, documents: readonly DocumentCheck[] | null): void {
  const lines = v.ok
    ? [
        `verified ${v.stream}: ${v.events} events`,
        ...wrapText('  ', 'hash chain intact: every event decodes, matches its schema and its own hash, and links to the one before; revisions are contiguous'),
        '  head hash:',
        `  ${v.headHash}`,
        ...wrapText(
          '  ',
          v.headMatchesExpected === true
            ? 'the head is the expected one: nothing was cut from the end'
            : 'no --expect-head given: a log cut at its end, or rewritten and re-hashed, cannot be detected from inside it (keep the head hash each run prints)',
        ),
        ...wrapText(
          '  ',
          `${v.rebalances} rebalances: every target is its final weight × the portfolio value, and every transfer exactly what the plan allows for the recorded targets and values`,
        ),
        ...wrapText('  ', `${v.transfers} transfers: the reserve never went below zero (lowest ${money(v.lowestReserve)})`),
        ...wrapText('  ', `${v.marks} marks: strategy values, cash, reserve and portfolio value equal the refold of fills, transfers and marks`),
        ...wrapText('  ', `no strategy's cash was below zero at a mark (lowest ${money(v.lowestCash)})`),
      ]
    : [`BROKEN ${v.stream} at revision ${v.revision}, position ${v.position} (${v.check} check)`, ...wrapText('  ', v.reason)];
  if (documents !== null) lines.push(...documentLines(documents));
  io.stdout.write(`${lines.join('\n')}\n`);
}

/**
 * The feed record's verdict: what was checked of it and, where its chain cannot tell, what was not. `verified` is the
 * log's, whose failure leaves the link unchecked.
 */
function feedRecordLines(feed: FeedRecordVerification | null, logStream: string): string[] {
  if (feed === null) return ['feed record: none (no paper session has recorded a slice of this portfolio)'];
  if (!feed.ok) return [`BROKEN ${feed.stream} at revision ${feed.revision}, position ${feed.position} (${feed.check} check)`, ...wrapText('  ', feed.reason)];
  const lines = [
    `verified ${feed.stream}: ${feed.events} events (${feed.slices} recorded slice${feed.slices === 1 ? '' : 's'}, ${feed.gaps} gap${feed.gaps === 1 ? '' : 's'})`,
    ...wrapText('  ', "hash chain intact: every event decodes, matches its schema and its own hash, and links to the one before; revisions are contiguous; every event is the record's own, and its slices come in increasing bar time"),
    '  head hash:',
    `  ${feed.headHash}`,
  ];
  const link = feed.link;
  if (link === null) return [...lines, ...wrapText('  ', `not checked against ${logStream}, whose own check failed`)];
  lines.push(
    ...wrapText(
      '  ',
      `each of the ${link.slices} recorded slices is a slice of ${logStream}, its closes the marks the log recorded, and every slice of the log from the record's first on is recorded`,
    ),
  );
  if (link.before > 0) lines.push(...wrapText('  ', `${link.before} slice${link.before === 1 ? '' : 's'} of the log came before the record's first: written before a session ran on the portfolio, so their bars are not in it`));
  if (link.notApplied > 0) lines.push(...wrapText('  ', `${link.notApplied} recorded slice${link.notApplied === 1 ? ' is' : 's are'} after the log's last: recorded, not applied yet; the next \`paper\` run applies ${link.notApplied === 1 ? 'it' : 'them'} first`));
  lines.push(
    ...wrapText(
      '  ',
      'no hash joins the record to the log: opens, highs, lows, volumes, commands and gaps rewritten and re-hashed to the end of the record cannot be detected from inside the store',
    ),
  );
  return lines;
}

function documentLines(documents: readonly DocumentCheck[]): string[] {
  if (documents.length === 0) return ['  stored documents: none (no projection checkpoints or recovery snapshots)'];
  const refolded = documents.filter((d) => d.status === 'sound' && d.refolded).length;
  const anchored = documents.filter((d) => d.status === 'sound' && !d.refolded).length;
  const lines = [`  stored documents: ${documents.length}`];
  if (refolded > 0) lines.push(...wrapText('    ', `${refolded} checkpoints sound: content hash, the event they were built at, and their state refolded from the log`));
  if (anchored > 0) lines.push(...wrapText('    ', `${anchored} sound by content hash and the event they were built at (content not rebuilt)`));
  for (const d of documents) {
    if (d.status === 'sound') continue;
    const what = `${d.collection}/${d.key}`;
    lines.push(
      ...wrapText(
        d.status === 'unsealed' ? `    unsealed ${what}: ` : `    BROKEN ${what}: `,
        d.status === 'unsealed' ? 'carries no seal, so its content and the event it was built at cannot be checked' : `${d.reason ?? ''}; it is ignored and rebuilt`,
      ),
    );
  }
  return lines;
}

/** A rebalance as JSON: the record and the strategies it left short of their targets, with why. */
const withShortfalls = (r: RebalanceRecord) => ({ ...r, shortfalls: rebalanceShortfalls(r), weighedShare: weighedShare(r) });

/** Counts per strategy as a record keyed by strategy id (own properties only: an id is user data), ascending by id. */
function byStrategyRecord(incidents: IncidentsState): Record<string, IncidentCounts> {
  const out: Record<string, IncidentCounts> = {};
  for (const id of [...incidents.byStrategy.keys()].sort()) setOwn(out, id, incidents.byStrategy.get(id) ?? noIncidents());
  return out;
}

/** The incidents as JSON: counts (overall and per strategy), paused strategies, faults, and the events asked for. */
function incidentsJson(incidents: IncidentsState, kinds: readonly IncidentKind[] | null) {
  return {
    counts: incidents.counts,
    byStrategy: byStrategyRecord(incidents),
    paused: pausedStrategies(incidents),
    faults: incidents.faults,
    ...(kinds === null ? {} : { kinds, events: incidents.events }),
  };
}

/** Registers `audit`. */
export const registerAudit: RegisterCommand = (program: Command, io: CliIO, setExit) => {
  program
    .command('audit')
    .description("List rebalances (or one in full); --verify proves the log (and a paper session's feed record) intact or names the first broken event")
    .requiredOption('--store <url>', 'event store URL (see the README)')
    .option('--portfolio <id>', 'portfolio id (default: the only one in the store)')
    .option('--rebalance <id>', 'show one rebalance in full')
    .option('--verify', "check the hash chain, revisions, rebalance transfers, the reserve, recorded values, stored checkpoints and snapshots, and a paper session's feed record (its chain, and its slices against the log's)")
    .option('--expect-head <hash>', 'with --verify: the head hash a run printed; a log that ends elsewhere (cut short) fails')
    .option('--events <kinds>', 'also list the events of these kinds: faults,pauses,resumes,liquidations,removals,rejections or all (counts are always shown)')
    .option('--json', 'print JSON (money as decimal strings)')
    .action(async (flags: AuditFlags) => {
      const kinds = flags.events === undefined ? null : parseEventKinds(flags.events);
      if (flags.expectHead !== undefined && !flags.verify) throw new ConfigError('--expect-head is used with --verify', 'expectHead');
      if (flags.expectHead !== undefined && !HEAD_HASH.test(flags.expectHead)) {
        throw new ConfigError(`--expect-head must be a 64-digit lowercase hex hash, got "${flags.expectHead}"`, 'expectHead');
      }
      const store = await openExistingStore(flags.store, 'read-only');
      try {
        const { id, stream } = await choosePortfolio(store, flags.portfolio, 'any');
        let verification: VerificationResult | null = null;
        let documents: DocumentCheck[] | null = null;
        let feedRecord: FeedRecordVerification | null = null;
        if (flags.verify) {
          const verified = await verifyPortfolio(store, id, stream, flags.expectHead === undefined ? {} : { expectHead: flags.expectHead });
          verification = verified.log;
          feedRecord = verified.feedRecord;
          // The verdict goes to stdout with the rest; a failure also gets its one line on stderr, as every failed
          // command's has, for a script that keeps stdout (the JSON) and reports stderr.
          const broken = firstBreak(id, verified);
          if (broken !== null) {
            setExit(EXIT_LOG_BROKEN);
            io.stderr.write(`stratafolio: ${describeBreak(broken)}\n`);
          }
          // Documents are checked against the log only when the log itself is sound.
          documents = verification.ok ? await verifyStoredDocuments(store, stream, standardProjections()) : null;
          const brokenDocuments = documents?.filter((d) => d.status === 'broken') ?? [];
          if (brokenDocuments.length > 0) {
            setExit(EXIT_LOG_BROKEN);
            const first = brokenDocuments[0]!;
            const more = brokenDocuments.length > 1 ? ` (and ${brokenDocuments.length - 1} more broken stored documents)` : '';
            io.stderr.write(`stratafolio: the stored document ${first.collection}/${first.key} of ${id} is broken: ${first.reason ?? 'it fails a check'}${more}\n`);
          }
        }
        let rebalances: readonly RebalanceRecord[] = [];
        let incidents: IncidentsState | null = null;
        // Listing folds the log, which a broken log cannot be trusted to allow: verification alone speaks then.
        if (verification === null || verification.ok) {
          const runner = new ProjectionRunner(
            store,
            { audit: rebalanceAuditProjection({ keep: 0 }), incidents: incidentsProjection({ keep: kinds ?? [] }) },
            { stream, checkpointEvery: 0 },
          );
          const states = (await runner.run()).states;
          rebalances = states.audit.rebalances;
          incidents = states.incidents;
        }
        const one = flags.rebalance === undefined ? null : rebalances.find((r) => r.rebalanceId === flags.rebalance);
        if (flags.rebalance !== undefined && !one && (verification === null || verification.ok)) {
          const ids = rebalances.map((r) => r.rebalanceId);
          throw new ConfigError(
            `--rebalance ${flags.rebalance}: no such rebalance in portfolio ${id} (it has ${ids.length === 0 ? 'none' : `${ids.length}: ${fewOf(ids)}`})`,
            'rebalance',
          );
        }
        // The engine's statistics (the decisions' inputs) are annualised by the config's factor, recorded with it; a
        // broken log is not read for it (its first event may be the broken one): verification alone speaks then.
        const sound = verification === null || verification.ok;
        const barsPerYear = sound ? ((await recordedConventions(store, stream)).barsPerYear ?? ANNUALIZATION_FACTORS.daily) : null;
        if (flags.json) {
          writeJson(io, {
            portfolioId: id,
            stream,
            barsPerYear,
            ...(verification ? { verification, feedRecord } : {}),
            ...(documents ? { documents } : {}),
            ...(flags.rebalance !== undefined ? { rebalance: one ? withShortfalls(one) : null } : { rebalances: rebalances.map(withShortfalls) }),
            ...(incidents ? { incidents: incidentsJson(incidents, kinds) } : {}),
          });
          return;
        }
        if (verification) {
          printVerdict(io, verification, documents);
          io.stdout.write(`${feedRecordLines(feedRecord, stream).join('\n')}\n`);
        }
        if (one) printOne(io, one, barsPerYear ?? ANNUALIZATION_FACTORS.daily);
        else if (!verification) printList(io, id, rebalances);
        // Incidents follow the list; after a verdict only when asked for by --events.
        if (incidents && !one && (!verification || kinds !== null)) io.stdout.write(`${incidentReport(incidents, kinds).join('\n')}\n`);
      } finally {
        await store.close();
      }
    });
};
