import { describe, expect, it } from 'vitest';
import { Dec, dec } from '../src/money/decimal.js';
import { ConfigError, InvalidNumberError, LedgerError } from '../src/errors.js';
import { applySlippage, commissionFor } from '../src/execution/index.js';
import type { CommissionModel } from '../src/execution/index.js';

const perShare: CommissionModel = { kind: 'per-share', perShare: '0.005', minimum: '1' };
const percent: CommissionModel = { kind: 'percent', rate: '0.001', minimum: '1' };

describe('commissionFor', () => {
  it('charges nothing under the none model', () => {
    expect(commissionFor({ kind: 'none' }, dec('1000'), dec('10')).toString()).toBe('0');
  });

  it('per-share: |q| × perShare, for buys and sells alike', () => {
    expect(commissionFor(perShare, dec('1000'), dec('10')).toString()).toBe('5');
    expect(commissionFor(perShare, dec('-333'), dec('10')).toString()).toBe('1.665');
  });

  it('per-share: the minimum applies per order', () => {
    expect(commissionFor(perShare, dec('10'), dec('10')).toString()).toBe('1'); // 0.05 < 1
  });

  it('percent: |q| × price × rate, with its minimum', () => {
    expect(commissionFor(percent, dec('-200'), dec('25')).toString()).toBe('5');
    expect(commissionFor(percent, dec('1'), dec('25')).toString()).toBe('1'); // 0.025 < 1
    const noMin: CommissionModel = { kind: 'percent', rate: '0.0005', minimum: '0' };
    expect(commissionFor(noMin, dec('3'), dec('123.45')).toString()).toBe('0.185175');
  });

  it('charges nothing for a zero quantity, even with a minimum', () => {
    expect(commissionFor(perShare, dec('0'), dec('10')).toString()).toBe('0');
    expect(commissionFor(percent, dec('0'), dec('10')).toString()).toBe('0');
  });

  it('rejects negative or malformed model parameters as configuration errors', () => {
    expect(() => commissionFor({ kind: 'per-share', perShare: '-0.01', minimum: '0' }, dec('1'), dec('1'))).toThrow(ConfigError);
    expect(() => commissionFor({ kind: 'per-share', perShare: '-0.01', minimum: '0' }, dec('1'), dec('1'))).toThrow(/commission perShare: -0.01 must not be negative/);
    expect(() => commissionFor({ kind: 'percent', rate: '0.001', minimum: '-1' }, dec('1'), dec('1'))).toThrow(/commission minimum/);
    expect(() => commissionFor({ kind: 'percent', rate: 'abc', minimum: '0' }, dec('1'), dec('1'))).toThrow(InvalidNumberError);
  });

  it('rejects a non-positive price and a non-finite quantity', () => {
    expect(() => commissionFor(percent, dec('1'), dec('0'))).toThrow(LedgerError);
    expect(() => commissionFor(percent, new Dec(NaN), dec('1'))).toThrow(InvalidNumberError);
  });
});

describe('applySlippage', () => {
  it('buys pay more: reference × (1 + bps/10000), slippage = |q| × |price − reference|', () => {
    const r = applySlippage(dec('50'), dec('100'), dec('20'));
    expect(r.price.toString()).toBe('50.1');
    expect(r.slippage.toString()).toBe('10');
  });

  it('sells receive less: reference × (1 − bps/10000)', () => {
    const r = applySlippage(dec('50'), dec('-100'), dec('20'));
    expect(r.price.toString()).toBe('49.9');
    expect(r.slippage.toString()).toBe('10');
  });

  it('keeps full precision for fractional bps (no rounding)', () => {
    const r = applySlippage(dec('123.45'), dec('4'), dec('2.5'));
    expect(r.price.toString()).toBe('123.4808625'); // 123.45 + 123.45 × 0.00025
    expect(r.slippage.toString()).toBe('0.12345'); // 4 × 0.0308625
  });

  it('a zero quantity or zero bps executes at the reference with no slippage', () => {
    expect(applySlippage(dec('7'), dec('0'), dec('20')).price.toString()).toBe('7');
    const r = applySlippage(dec('7'), dec('5'), dec('0'));
    expect(r.price.toString()).toBe('7');
    expect(r.slippage.toString()).toBe('0');
  });

  it('rejects negative bps, bps of 10000 or more, and a non-positive reference', () => {
    expect(() => applySlippage(dec('7'), dec('1'), dec('-1'))).toThrow(ConfigError);
    expect(() => applySlippage(dec('7'), dec('1'), dec('10000'))).toThrow(/below 10000/);
    expect(() => applySlippage(dec('0'), dec('1'), dec('1'))).toThrow(LedgerError);
    expect(() => applySlippage(new Dec(Infinity), dec('1'), dec('1'))).toThrow(InvalidNumberError);
  });
});
