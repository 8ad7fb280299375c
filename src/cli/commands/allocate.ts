// `stratafolio allocate`: runs the portfolio optimiser on a candidates CSV and prints the allocation (table or JSON).
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigError } from '../../errors.js';
import { dec, decStr, decSum, type Dec } from '../../money/decimal.js';
import { readCandidatesCsv, readCurrentWeightsCsv } from '../../optimiser/candidateCsv.js';
import { optimiseAllocation } from '../../optimiser/optimise.js';
import type { OptimisationResult, OptimiserSettings, ShareMode } from '../../optimiser/types.js';
import { readErrorWords } from '../../fileAccess.js';
import { formatTable, writeJson, type CliIO } from '../output.js';
import type { RegisterCommand } from './index.js';

interface AllocateFlags {
  readonly candidates: string;
  readonly capital: string;
  readonly maxPositions: string;
  readonly maxWeight: string;
  readonly minWeight: string;
  readonly sectorCap?: string;
  readonly turnover?: string;
  readonly current?: string;
  readonly fractional?: boolean;
  readonly floor?: boolean;
  readonly timeLimit: string;
  readonly json?: boolean;
}

/** The `--json` output: money as decimal strings, weights and solver figures as numbers. */
export interface AllocateJson {
  readonly model: 'base' | 'extended';
  readonly shares: ShareMode;
  readonly capital: string;
  readonly solver: { readonly name: string; readonly status: string; readonly objective: number | null; readonly gap: number | null };
  readonly fallbackReason: string | null;
  readonly allocations: readonly {
    readonly symbol: string;
    readonly weight: number;
    readonly dollars: string;
    readonly shares: string;
    readonly cost: string;
  }[];
  readonly invested: string;
  readonly cash: string;
  readonly dropped: readonly string[];
}

function fractionFlag(text: string, flag: string, upper = 1): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0 || value > upper) {
    throw new ConfigError(`${flag} must be a number in [0, ${upper}], got "${text}"`, flag);
  }
  return value;
}

function readText(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : 'error';
    const why = readErrorWords(code, 'the CSV file');
    throw new ConfigError(`${flag}: cannot read ${path} (${code})${why === null ? '' : `: ${why}`}`, flag);
  }
}

/**
 * Turns the flags into optimiser settings, reading the CSV files.
 * @throws ConfigError naming the flag; DataError naming file, line and column.
 */
export function allocateSettings(flags: AllocateFlags): { candidates: ReturnType<typeof readCandidatesCsv>; settings: OptimiserSettings } {
  let capital: Dec;
  try {
    capital = dec(flags.capital, '--capital');
  } catch {
    throw new ConfigError(`--capital must be a decimal amount, got "${flags.capital}"`, '--capital');
  }
  if (capital.lte(0)) throw new ConfigError(`--capital must be positive, got ${flags.capital}`, '--capital');
  const maxPositions = Number(flags.maxPositions);
  if (!/^\d+$/.test(flags.maxPositions.trim()) || !Number.isSafeInteger(maxPositions) || maxPositions < 1) {
    throw new ConfigError(`--max-positions must be a positive integer, got "${flags.maxPositions}"`, '--max-positions');
  }
  const maxWeight = fractionFlag(flags.maxWeight, '--max-weight');
  if (maxWeight === 0) throw new ConfigError('--max-weight must be above 0', '--max-weight');
  const minWeight = fractionFlag(flags.minWeight, '--min-weight');
  if (minWeight > maxWeight) throw new ConfigError(`--min-weight ${minWeight} is above --max-weight ${maxWeight}`, '--min-weight');
  const sectorCap = flags.sectorCap === undefined ? undefined : fractionFlag(flags.sectorCap, '--sector-cap');
  const turnover = flags.turnover === undefined ? undefined : fractionFlag(flags.turnover, '--turnover', 2);
  if (turnover !== undefined && flags.current === undefined) throw new ConfigError('--turnover needs --current <csv> (the weights held now)', '--turnover');
  if (turnover === undefined && flags.current !== undefined) throw new ConfigError('--current is only used with --turnover', '--current');
  if (flags.fractional === true && flags.floor === true) throw new ConfigError('--fractional and --floor exclude each other', '--floor');
  const timeLimit = Number(flags.timeLimit);
  if (flags.timeLimit.trim() === '' || !Number.isFinite(timeLimit) || timeLimit <= 0) {
    throw new ConfigError(`--time-limit must be a positive number of seconds, got "${flags.timeLimit}"`, '--time-limit');
  }
  const shares: ShareMode = flags.fractional === true ? 'fractional' : flags.floor === true ? 'floor' : 'lots';
  const candidates = readCandidatesCsv(readText(flags.candidates, '--candidates'), flags.candidates);
  const currentWeights = flags.current === undefined ? undefined : readCurrentWeightsCsv(readText(flags.current, '--current'), flags.current);
  const settings: OptimiserSettings = {
    capital,
    maxPositions,
    maxWeight,
    minWeight,
    shares,
    timeLimitSeconds: timeLimit,
    ...(sectorCap === undefined ? {} : { sectorCap }),
    ...(turnover === undefined ? {} : { turnover }),
    ...(currentWeights === undefined ? {} : { currentWeights }),
  };
  return { candidates, settings };
}

/** The documented JSON shape of a result. */
export function allocateJson(result: OptimisationResult, settings: OptimiserSettings): AllocateJson {
  return {
    model: result.model,
    shares: settings.shares ?? 'floor',
    capital: decStr(settings.capital),
    solver: { ...result.report },
    fallbackReason: result.fallbackReason,
    allocations: result.allocations.map((a) => ({
      symbol: a.symbol,
      weight: a.weight,
      dollars: decStr(a.dollars),
      shares: decStr(a.shares),
      cost: decStr(a.cost),
    })),
    invested: decStr(decSum(result.allocations.map((a) => a.cost))),
    cash: decStr(result.cash),
    dropped: result.dropped,
  };
}

function printHuman(io: CliIO, result: OptimisationResult, settings: OptimiserSettings): void {
  const rows = result.allocations.map((a) => [a.symbol, `${(a.weight * 100).toFixed(2)}%`, a.dollars.toFixed(2), decStr(a.shares), a.cost.toFixed(2)]);
  io.stdout.write(`${formatTable(['symbol', 'weight', 'dollars', 'shares', 'cost'], rows)}\n`);
  const r = result.report;
  const objective = r.objective === null ? 'n/a' : r.objective.toPrecision(8);
  const gap = r.gap === null ? 'n/a' : r.gap.toExponential(2);
  io.stdout.write(`status ${r.status}  objective ${objective}  gap ${gap}\n`);
  io.stdout.write(`solver ${r.name}, ${result.model} model, ${settings.shares ?? 'floor'} shares\n`);
  io.stdout.write(`invested ${decSum(result.allocations.map((a) => a.cost)).toFixed(2)} of ${settings.capital.toFixed(2)}, cash ${result.cash.toFixed(2)}\n`);
  if (result.fallbackReason !== null) io.stdout.write(`fallback: ${result.fallbackReason}\n`);
  if (result.dropped.length > 0) io.stdout.write(`dropped (score ≤ 0): ${result.dropped.join(', ')}\n`);
}

/** Registers `allocate`. */
export const registerAllocate: RegisterCommand = (program: Command, io: CliIO) => {
  program
    .command('allocate')
    .description('choose positions from scored candidates with a mixed-integer optimiser')
    .requiredOption('--candidates <csv>', 'candidates CSV: symbol,score,price[,sector]')
    .requiredOption('--capital <amount>', 'capital to allocate (decimal)')
    .option('--max-positions <n>', 'most names held', '10')
    .option('--max-weight <x>', 'largest weight of one name', '0.2')
    .option('--min-weight <x>', 'smallest weight of a held name', '0')
    .option('--sector-cap <x>', 'largest total weight of one sector (extended model)')
    .option('--turnover <x>', 'limit on Σ|w − current| (extended model; needs --current)')
    .option('--current <csv>', 'current weights CSV: symbol,weight')
    .option('--fractional', 'fractional shares (continuous weights)')
    .option('--floor', 'solve continuous weights, then floor shares (base model when no other extension)')
    .option('--time-limit <seconds>', 'solver time limit', '10')
    .option('--json', 'print JSON')
    .action(async (flags: AllocateFlags) => {
      const { candidates, settings } = allocateSettings(flags);
      const result = await optimiseAllocation(candidates, settings);
      if (flags.json === true) writeJson(io, allocateJson(result, settings));
      else printHuman(io, result, settings);
    });
};
