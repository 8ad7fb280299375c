// The portfolio configuration file: its schema, validation with errors naming the field, and its hash.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { Dec, decStr } from '../money/decimal.js';
import { canonicalJson } from '../../events/canonicalJson.js';
import { RESERVE } from '../../events/catalogue.js';
import { sizerSpecSchema } from '../sizing/sizerSpec.js';
import { describeIssues } from './configIssue.js';
import { memberPath, scanJson, type TextPlace } from './jsonText.js';
import { readErrorWords } from '../fileAccess.js';

const DECIMAL_TEXT = /^-?(\d+(\.\d*)?|\.\d+)$/;
const decimalText = z
  .union([z.string(), z.number()])
  .transform((v) => String(v))
  .refine((s) => DECIMAL_TEXT.test(s.trim()), 'must be a decimal number (e.g. "1000000" or "0.25")');
/**
 * The sign of `s − limit` on the decimals as written (null for text that is not a decimal, which the format check names).
 * Not on doubles: `"1.00000000000000001"` is 1 as a double, so an allocation, a capital or a sum a hair past its limit
 * passed, and a rate a hair below one was refused.
 */
function compareDecimal(s: string, limit: string | number): number | null {
  const text = s.trim();
  return DECIMAL_TEXT.test(text) ? new Dec(text).comparedTo(limit) : null;
}
const decimalAbove = (s: string, limit: string | number): boolean => (compareDecimal(s, limit) ?? 0) > 0;
const decimalBelow = (s: string, limit: string | number): boolean => (compareDecimal(s, limit) ?? 0) < 0;
const positiveDecimal = decimalText.refine((s) => decimalAbove(s, 0), 'must be greater than 0');
/** Bars a year at most: one bar a second through a leap year. */
export const MAX_BARS_PER_YEAR = 31_622_400;
const fraction = z.number().min(0, 'must be ≥ 0').max(1, 'must be ≤ 1');

const nonNegativeDecimal = decimalText.refine((s) => !decimalBelow(s, 0), 'must not be negative');
/**
 * The largest capital accepted. Amounts are exact decimals of 34 significant digits; below 10^15 every product of a
 * quantity and a price keeps its cents and the price's decimals, so no run can fail part-way on the digit limit.
 */
export const MAX_CAPITAL = '1000000000000000';

const commissionSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('none') }),
  z.strictObject({ kind: z.literal('per-share'), perShare: nonNegativeDecimal, minimum: nonNegativeDecimal.default('0') }),
  z.strictObject({
    kind: z.literal('percent'),
    rate: nonNegativeDecimal.refine((s) => decimalBelow(s, 1), 'must be below 1 (a fraction of the traded value: 0.001 is 0.1%)'),
    minimum: nonNegativeDecimal.default('0'),
  }),
]);

// What a portfolio or strategy id may hold.
const ID_CHARACTERS = /^[A-Za-z0-9_.-]+$/;
const ID_CHARACTERS_RULE = 'must be letters, digits, "_", "-" or "."';

/**
 * Why `id` cannot name a strategy, or null when it can. One rule for a config's strategies and those added through the
 * API: the log names the reserve `reserve` where it names strategies (a transfer's from and to), so a strategy of that
 * name would make its transfers the reserve's own.
 */
export function strategyIdProblem(id: string): string | null {
  if (!ID_CHARACTERS.test(id)) return ID_CHARACTERS_RULE;
  if (id === RESERVE) return `must not be "${RESERVE}", the name of the portfolio's reserve in the log`;
  return null;
}

const strategySchema = z
  .strictObject({
    id: z.string().superRefine((id, ctx) => {
      const problem = strategyIdProblem(id);
      if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
    }),
    kind: z.string().optional(),
    module: z.string().optional(),
    export: z.string().optional(),
    params: z.record(z.string(), z.unknown()).default({}),
    allocation: positiveDecimal.refine((s) => !decimalAbove(s, 1), 'must be in (0, 1]'),
    min: fraction.optional(),
    max: fraction.optional(),
    metadata: z.record(z.string(), z.unknown()).default({}),
    /** Position sizer behind `ctx.orderSized` (none by default). */
    sizer: sizerSpecSchema.optional(),
  })
  .refine((s) => (s.kind === undefined) !== (s.module === undefined), {
    message: 'give exactly one of "kind" (a built-in strategy) or "module" (a path to your own)',
  });

const rebalancingSchema = z.strictObject({
  algorithm: z.string(),
  params: z.record(z.string(), z.unknown()).default({}),
  constraints: z.record(z.string(), z.unknown()).default({}),
  frequency: z.enum(['never', 'daily', 'weekly', 'monthly', 'quarterly']).default('monthly'),
  cooldownDays: z.number().min(0).default(0),
  driftThreshold: z.number().positive().max(1).nullable().default(null),
  /**
   * Returns a strategy needs before the algorithm weighs it (absent: the algorithm's own minimum, see
   * docs/allocation.md); until then it keeps its weight.
   */
  minHistory: z.number().int().min(0).optional(),
});

export const portfolioConfigSchema = z.strictObject({
  id: z.string().regex(ID_CHARACTERS, ID_CHARACTERS_RULE),
  name: z.string().min(1),
  baseCurrency: z.string().min(1).default('USD'),
  capital: positiveDecimal.refine((s) => !decimalAbove(s, MAX_CAPITAL), `must be at most ${MAX_CAPITAL} (10^15)`),
  strategies: z.array(strategySchema).min(1, 'needs at least one strategy'),
  execution: z
    .strictObject({
      fillAt: z.enum(['close', 'next-open']).default('close'),
      commission: commissionSchema.default({ kind: 'none' }),
      slippageBps: decimalText
        .refine((s) => !decimalBelow(s, 0) && decimalBelow(s, 10_000), 'must be at least 0 and below 10000 (basis points: 10000 would be a 100% price move)')
        .default('0'),
    })
    .default({ fillAt: 'close', commission: { kind: 'none' }, slippageBps: '0' }),
  risk: z
    .strictObject({
      /** Gross exposure a strategy may hold, as a multiple of its value, beyond 1 (0.05 → 105%). */
      exposureBuffer: z.number().min(0).default(0),
      /** Drawdown (fraction, e.g. 0.25) beyond which the drawdown action applies; null = no limit. */
      maxDrawdown: z.number().positive().max(1).nullable().default(null),
      /**
       * `pause`: the strategy stops trading and keeps its positions (they keep moving with the market); `liquidate`:
       * its positions are sold and its cash returns to the reserve.
       */
      drawdownAction: z.enum(['pause', 'liquidate']).default('pause'),
      /** A strategy paused by the drawdown limit resumes after this many bars (absent: no resume by bar count). */
      resumeAfterBars: z.number().int().positive().optional(),
      /** …or once its drawdown from its peak has recovered to less than this fraction (absent: no resume by level). */
      resumeWhenDrawdownBelow: z.number().positive().max(1).optional(),
      /** What the supervisor does with a strategy whose code throws. */
      faultPolicy: z.enum(['pause', 'liquidate', 'stop']).default('pause'),
    })
    .default({ exposureBuffer: 0, maxDrawdown: null, drawdownAction: 'pause', faultPolicy: 'pause' }),
  rebalancing: rebalancingSchema.nullable().default(null),
  /** Rolling window (bars) of price history and strategy statistics. */
  lookback: z.number().int().min(2).max(100_000).default(252),
  durability: z.enum(['full', 'normal']).default('normal'),
  /** Save a recovery snapshot every N slices (0 = never). */
  snapshotEvery: z.number().int().min(0).default(250),
  /**
   * Annual risk-free rate for Sharpe and omega (0.02 = 2% a year), converted per bar by compounding over the
   * annualisation factor. Reporting only. No default, so a config that omits it keeps the hash it always had.
   */
  riskFree: z.number().gt(-1, 'must be above -1 (an annual rate as a fraction: 0.02 is 2%)').lt(1, 'must be below 1 (an annual rate as a fraction: 0.02 is 2%)').optional(),
  /**
   * How many bars make a year: the factor that annualises mean, volatility, Sharpe and Sortino, in the allocation
   * algorithms and in every report (252 for daily stock bars, 365 for daily crypto, 525600 for 1-minute crypto bars).
   * No default in the schema (absent means 252), so a config that omits it keeps the hash it always had.
   */
  barsPerYear: z.number().int('must be a whole number of bars').min(1, 'must be at least 1').max(MAX_BARS_PER_YEAR, `must be at most ${MAX_BARS_PER_YEAR} (one bar a second)`).optional(),
});

/** A validated portfolio configuration (defaults filled in). */
export type PortfolioConfig = z.output<typeof portfolioConfigSchema>;
/** One strategy entry of a portfolio configuration. */
export type StrategyConfig = PortfolioConfig['strategies'][number];
/** The rebalancing section of a portfolio configuration. */
export type RebalancingConfig = NonNullable<PortfolioConfig['rebalancing']>;
/** A configuration as written by a user (before defaults). */
export type PortfolioConfigInput = z.input<typeof portfolioConfigSchema>;

/**
 * Where a config came from, for its messages: a file (or another name), and the line of each field where it is known.
 */
export interface ConfigSource {
  readonly name: string;
  /** The line a field (`strategies[1].allocation`) stands on, or the line of the nearest enclosing field; null if unknown. */
  readonly lineOf?: (field: string) => number | null;
}

/** The ConfigError for `field` of the config from `source`: `file, line 7: strategies[1].allocation: message`. */
export function configFieldError(source: ConfigSource | string, field: string, message: string): ConfigError {
  const s = typeof source === 'string' ? { name: source } : source;
  const line = field === '(root)' ? null : (s.lineOf?.(field) ?? null);
  return new ConfigError(`${s.name}${line === null ? '' : `, line ${line}`}: ${field}: ${message}`, field);
}

/**
 * Validates a configuration object, naming the first wrong field (`strategies[1].allocation: …`).
 * @throws ConfigError
 */
export function parsePortfolioConfig(input: unknown, source: ConfigSource | string = 'config'): PortfolioConfig {
  const parsed = portfolioConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issue = describeIssues(portfolioConfigSchema, parsed.error.issues, input);
    throw configFieldError(source, issue.field, issue.message);
  }
  const config = parsed.data;
  const ids = new Set<string>();
  let total = new Dec(0);
  config.strategies.forEach((s, i) => {
    if (ids.has(s.id)) throw configFieldError(source, `strategies[${i}].id`, `duplicate strategy id "${s.id}"`);
    ids.add(s.id);
    total = total.plus(s.allocation.trim());
    if (s.min !== undefined && s.max !== undefined && s.min > s.max) {
      throw configFieldError(source, `strategies[${i}].min`, `min ${s.min} is greater than max ${s.max}`);
    }
  });
  // On decimals, not doubles (whose sum needed a tolerance): the strategies are funded allocation × capital from the
  // reserve, and a sum past 1 by any amount leaves the last of them short of its allocation.
  if (total.gt(1)) {
    throw configFieldError(source, 'strategies', `allocations sum to ${decStr(total.times(100))}%, more than 100%`);
  }
  const infeasible = config.rebalancing ? infeasibleMinimums(config) : null;
  if (infeasible) throw configFieldError(source, infeasible.field, infeasible.message);
  const inert = inertResumeRule(config.risk);
  if (inert) throw configFieldError(source, inert.field, inert.message);
  return config;
}

/**
 * A resume rule that cannot do what it says: it ends only a drawdown pause, so it needs a drawdown limit and the
 * `pause` action, and a resume level at or beyond the limit would resume a strategy that is still past it.
 */
function inertResumeRule(risk: PortfolioConfig['risk']): { field: string; message: string } | null {
  const rule = risk.resumeWhenDrawdownBelow !== undefined ? 'resumeWhenDrawdownBelow' : risk.resumeAfterBars !== undefined ? 'resumeAfterBars' : null;
  if (rule === null) return null;
  if (risk.maxDrawdown === null) return { field: `risk.${rule}`, message: 'ends a drawdown pause, but risk.maxDrawdown is not set: no strategy is ever paused for its drawdown' };
  if (risk.drawdownAction !== 'pause') return { field: `risk.${rule}`, message: `ends a drawdown pause, but risk.drawdownAction is "${risk.drawdownAction}": a strategy past the limit is liquidated, not paused` };
  const level = risk.resumeWhenDrawdownBelow;
  if (level !== undefined && level >= risk.maxDrawdown) {
    return {
      field: 'risk.resumeWhenDrawdownBelow',
      message: `must be below risk.maxDrawdown (${risk.maxDrawdown}), got ${level}: a paused strategy would resume while its drawdown is still beyond the limit`,
    };
  }
  return null;
}

/**
 * Whether the rebalancing constraints can hold for this config's strategies: the minimum weights of the strategies
 * that can be funded at once must fit under `maxTotal`, or every rebalance would fail when it is first decided.
 * Bounds that are not numbers are left to the algorithm's own validation, which names them.
 */
function infeasibleMinimums(config: PortfolioConfig): { field: string; message: string } | null {
  const c = config.rebalancing?.constraints ?? {};
  const num = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
  const listed = (v: unknown): ReadonlyMap<string, unknown> => new Map(v !== null && typeof v === 'object' ? Object.entries(v) : []);
  const strategyMin = listed(c['strategyMin']);
  const defaultMin = num(c['defaultMin'], 0);
  const maxTotal = num(c['maxTotal'], 1);
  const k = c['maxStrategies'];
  const mins = config.strategies.map((s) => num(strategyMin.get(s.id), s.min ?? defaultMin)).sort((a, b) => b - a);
  // With a cardinality cap only k strategies are funded (any k of them), so the k largest minimums must fit.
  const funded = typeof k === 'number' && Number.isSafeInteger(k) && k > 0 ? mins.slice(0, k) : mins;
  const sum = funded.reduce((a, b) => a + b, 0);
  if (sum <= maxTotal + 1e-12) return null;
  return {
    field: 'rebalancing.constraints',
    message: `the minimum weights of the ${funded.length} funded strategies sum to ${fmtPct(sum)}, above maxTotal ${fmtPct(maxTotal)}: no allocation can satisfy them (lower defaultMin or the strategies' min, or raise maxTotal)`,
  };
}

function fmtPct(x: number): string {
  return `${Number((x * 100).toPrecision(6))}%`;
}

/** A config file read and validated, with the line of each of its fields for later messages. */
export interface PortfolioConfigFile {
  readonly config: PortfolioConfig;
  readonly source: ConfigSource;
}

/** Reads and validates a JSON configuration file. @throws ConfigError naming the file, line and field. */
export async function loadPortfolioConfig(path: string): Promise<PortfolioConfig> {
  return (await readPortfolioConfigFile(path)).config;
}

/**
 * Reads and validates a JSON configuration file, and keeps where each field stands in it, so that errors found later
 * (a strategy's parameters, its module) can name the line too.
 * @throws ConfigError naming the file and, where it is known, the line, column and field.
 */
export async function readPortfolioConfigFile(path: string): Promise<PortfolioConfigFile> {
  const text = await readConfigText(path);
  if (text.trim() === '') throw new ConfigError(`${path}: the file is empty: a portfolio config is one JSON object (examples/demo-portfolio.json is one)`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const scan = scanJson(text);
    if (scan.ok) throw new ConfigError(`${path}: not valid JSON (${(e as Error).message})`);
    throw new ConfigError(`${path}, line ${scan.at.line}, column ${scan.at.column}: not valid JSON: ${scan.reason}`);
  }
  const scan = scanJson(text);
  const places = scan.ok ? scan.places : new Map<string, TextPlace>();
  if (scan.ok && scan.duplicate !== null) {
    const d = scan.duplicate;
    throw new ConfigError(
      `${path}, line ${d.again.line}, column ${d.again.column}: ${JSON.stringify(d.key)} is given twice in ${d.object} (first at line ${d.first.line}): JSON would keep only the last; remove one`,
      memberPath(d.object === '(root)' ? '' : d.object, d.key),
    );
  }
  // A config on one line (as JSON.stringify writes it) has every field on line 1: the line would say nothing.
  const oneLine = !text.trimEnd().includes('\n');
  const source: ConfigSource = oneLine ? { name: path } : { name: path, lineOf: (field) => lineOfField(places, field) };
  return { config: parsePortfolioConfig(json, source), source };
}

/** The line of `field`, or of the nearest field that holds it (a missing field's object); never the root's. */
function lineOfField(places: ReadonlyMap<string, TextPlace>, field: string): number | null {
  let f = field;
  while (f !== '') {
    const place = places.get(f);
    if (place !== undefined) return place.line;
    const cut = Math.max(f.lastIndexOf('.'), f.lastIndexOf('['));
    f = cut < 0 ? '' : f.slice(0, cut);
  }
  return null;
}

/**
 * The most a config file may hold. A config is recorded whole in its portfolio's first event; the largest real one is
 * kilobytes, and a bigger file is a wrong path (a data file, a device), read no further.
 */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/**
 * The text of a config file, a UTF-8 byte order mark removed.
 * @throws ConfigError for a file that cannot be read, is too large, or is not UTF-8 text (saying what it is instead).
 */
async function readConfigText(path: string): Promise<string> {
  let bytes: Buffer;
  try {
    const handle = await open(path, 'r');
    try {
      const chunks: Buffer[] = [];
      let size = 0;
      for (;;) {
        const chunk = Buffer.alloc(Math.min(1 << 20, MAX_CONFIG_BYTES + 1 - size));
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
        if (bytesRead === 0) break;
        chunks.push(chunk.subarray(0, bytesRead));
        size += bytesRead;
        if (size > MAX_CONFIG_BYTES) {
          throw new ConfigError(`${path}: the file is larger than ${MAX_CONFIG_BYTES / 1024 / 1024} MiB, the most a portfolio config may be (it is recorded whole in the log's first event): is it the config?`);
        }
      }
      bytes = Buffer.concat(chunks);
    } finally {
      await handle.close();
    }
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(`${path}: cannot read the config file: ${readErrorWords(code, 'the .json file') ?? (e as Error).message}`);
  }
  const startsWith = (...signature: number[]): boolean => signature.every((b, i) => bytes[i] === b);
  if (startsWith(0x1f, 0x8b)) throw new ConfigError(`${path}: the file is gzip-compressed: decompress it first (gunzip); a portfolio config is JSON text`);
  if (startsWith(0x50, 0x4b, 0x03, 0x04)) throw new ConfigError(`${path}: the file is a ZIP archive: a portfolio config is JSON text`);
  if (startsWith(0xff, 0xfe) || startsWith(0xfe, 0xff)) throw new ConfigError(`${path}: the file is UTF-16 text: save it as UTF-8`);
  const lineAt = (index: number): number => bytes.subarray(0, index).filter((b) => b === 0x0a).length + 1;
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new ConfigError(`${path}, line ${lineAt(nul)}: the file holds a NUL byte: it is binary, not a JSON config`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const lossy = bytes.toString('utf8');
    const line = lossy.slice(0, lossy.indexOf('\uFFFD')).split('\n').length;
    throw new ConfigError(`${path}, line ${line}: the file is not UTF-8 text (an accented letter saved as Latin-1 or Windows-1252?): save it as UTF-8`);
  }
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}

/** SHA-256 of the canonical JSON of a validated configuration: what makes two runs the same portfolio. */
export function configHash(config: PortfolioConfig): string {
  return createHash('sha256').update(canonicalJson(config)).digest('hex');
}
