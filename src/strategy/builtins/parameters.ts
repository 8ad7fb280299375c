// Validation of built-in strategy parameters: each reader returns a typed value or throws a ConfigError naming the parameter.
import { ConfigError } from '../../errors.js';
import { didYouMean } from '../../nearestName.js';
import { Dec, ZERO, ONE, dec, decFromStatistic } from '../../money/decimal.js';
import type { StrategyParams } from '../strategy.js';

/** Reads the parameters of one built-in kind; every error message starts with the kind and names the parameter. */
export class ParameterReader {
  constructor(
    private readonly kind: string,
    private readonly params: StrategyParams,
  ) {
    if (typeof params !== 'object' || params === null || Array.isArray(params)) {
      throw new ConfigError(`${kind}: params must be an object, got ${describe(params)}`, 'params');
    }
  }

  /**
   * Rejects parameter names this kind does not know, so that a typo is not silently ignored.
   * @throws ConfigError naming the unknown parameter and the known ones.
   */
  onlyKnown(known: readonly string[]): void {
    for (const name of Object.keys(this.params).sort()) {
      if (!known.includes(name)) {
        throw new ConfigError(`${this.kind}: unknown parameter "${name}"${didYouMean(name, known)} (known: ${known.join(', ')})`, name);
      }
    }
  }

  /**
   * An integer parameter at least `min`, or `fallback` when absent.
   * @throws ConfigError when present but not an integer ≥ min.
   */
  integer(name: string, fallback: number, min: number): number {
    const value = this.params[name];
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
      throw this.invalid(name, `an integer ≥ ${min}`, value);
    }
    return value;
  }

  /**
   * A finite number parameter at least `min` (strictly above when `exclusiveMin`), or `fallback` when absent.
   * @throws ConfigError when present but not such a number.
   */
  number(name: string, fallback: number, min: number, exclusiveMin = false): number {
    const value = this.params[name];
    if (value === undefined) return fallback;
    const ok = typeof value === 'number' && Number.isFinite(value) && (exclusiveMin ? value > min : value >= min);
    if (!ok) throw this.invalid(name, `a finite number ${exclusiveMin ? '>' : '≥'} ${min}`, value);
    return value;
  }

  /**
   * A boolean parameter, or `fallback` when absent.
   * @throws ConfigError when present but not a boolean.
   */
  boolean(name: string, fallback: boolean): boolean {
    const value = this.params[name];
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') throw this.invalid(name, 'true or false', value);
    return value;
  }

  /**
   * A fraction in (0, 1] given as a number or decimal string (e.g. `0.25` or `"0.25"`), or undefined when absent.
   * @throws ConfigError when present but not such a fraction.
   */
  fraction(name: string): Dec | undefined {
    const value = this.params[name];
    if (value === undefined) return undefined;
    let parsed: Dec | undefined;
    try {
      if (typeof value === 'number') parsed = decFromStatistic(value, name);
      else if (typeof value === 'string') parsed = dec(value, name);
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || parsed.lte(ZERO) || parsed.gt(ONE)) throw this.invalid(name, 'a fraction in (0, 1]', value);
    return parsed;
  }

  /**
   * A non-empty list of distinct non-empty symbols, returned ascending, or undefined when absent.
   * @throws ConfigError when present but not such a list.
   */
  symbols(name: string): readonly string[] | undefined {
    const value = this.params[name];
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.length === 0 || !value.every((s): s is string => typeof s === 'string' && s.length > 0)) {
      throw this.invalid(name, 'a non-empty list of symbols', value);
    }
    const sorted = [...value].sort();
    const duplicate = sorted.find((s, i) => sorted[i + 1] === s);
    if (duplicate !== undefined) throw new ConfigError(`${this.kind}: parameter "${name}" lists ${duplicate} twice`, name);
    return sorted;
  }

  /** A ConfigError saying that `name` must be `expected`. */
  invalid(name: string, expected: string, got: unknown): ConfigError {
    return new ConfigError(`${this.kind}: parameter "${name}" must be ${expected}, got ${describe(got)}`, name);
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return JSON.stringify(value) ?? String(value);
}
