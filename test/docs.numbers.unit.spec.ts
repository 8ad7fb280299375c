// The return formula the README gives is the one the engine and the projections compute.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { transferNeutralReturn } from '../src/performance/strategyPerformance.js';

const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
const numbers = readme.slice(readme.indexOf('## Numbers'), readme.indexOf('\n## ', readme.indexOf('## Numbers') + 1));

describe("README's Numbers section", () => {
  it('states the transfer-neutral return as transferNeutralReturn computes it', () => {
    expect(numbers).toContain('`r = (V − T_after) / (V_prev + T_before) − 1`');
    expect(numbers).toContain('`V − T_after − (V_prev + T_before)`');
    // 100 at the last mark, 20 moved in before execution, 10 after, 135 at this mark: 125 / 120 − 1, not 135 / 130 − 1.
    const bar = transferNeutralReturn(100, 135, 20, 10);
    expect(bar?.r).toBeCloseTo(125 / 120 - 1, 15);
    expect(bar?.pnl).toBe(5);
  });
});
