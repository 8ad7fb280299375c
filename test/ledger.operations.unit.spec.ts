import { describe, expect, it } from 'vitest';
import { Dec, dec, ZERO } from '../src/money/decimal.js';
import { InsufficientFundsError, InvalidNumberError, LedgerError } from '../src/errors.js';
import {
  applyFill,
  applyTransfer,
  costBasis,
  createLedgerView,
  emptyLedger,
  evolveLedger,
  ledgerValue,
} from '../src/ledger/index.js';
import type { LedgerEvent } from '../src/ledger/index.js';
import { roundedQuotient, truncatedQuotient } from '../src/ledger/exactArithmetic.js';
import type { LedgerFill, LedgerState } from '../src/ledger/types.js';

const fill = (symbol: string, quantity: string, price: string, commission = '0'): LedgerFill => ({
  symbol,
  quantity: dec(quantity),
  price: dec(price),
  commission: dec(commission),
});

const funded = (amount = '10000'): LedgerState => applyTransfer(emptyLedger(), dec(amount));

function expectDec(actual: Dec | undefined, expected: string): void {
  expect(actual?.toString()).toBe(dec(expected).toString());
}

describe('applyFill', () => {
  it('buys: cash falls by quantity × price + commission, the position opens at the fill price', () => {
    const s = applyFill(funded(), fill('AAA', '100', '10', '1'));
    expectDec(s.cash, '8999');
    expectDec(s.commissions, '1');
    const p = s.positions.get('AAA');
    expectDec(p?.quantity, '100');
    expectDec(p?.avgCost, '10');
    expectDec(p?.realizedPnl, '0');
    expectDec(s.realizedPnl, '0');
  });

  it('adds in the same direction at the quantity-weighted average price, commission kept out of cost', () => {
    let s = applyFill(funded(), fill('AAA', '100', '10', '1'));
    s = applyFill(s, fill('AAA', '50', '10.3', '0.5'));
    // (100 × 10 + 50 × 10.3) / 150 = 1515 / 150 = 10.1
    expectDec(s.positions.get('AAA')?.avgCost, '10.1');
    expectDec(s.positions.get('AAA')?.quantity, '150');
    expectDec(s.cash, '8483.5'); // 8999 − 515 − 0.5
    expectDec(s.commissions, '1.5');
    expectDec(s.realizedPnl, '0');
  });

  it('partially closes: average cost unchanged, realised P&L = closed × (price − avgCost)', () => {
    let s = applyFill(funded(), fill('AAA', '100', '10', '1'));
    s = applyFill(s, fill('AAA', '50', '10.3', '0.5'));
    s = applyFill(s, fill('AAA', '-60', '11', '0.6'));
    expectDec(s.positions.get('AAA')?.quantity, '90');
    expectDec(s.positions.get('AAA')?.avgCost, '10.1');
    expectDec(s.positions.get('AAA')?.realizedPnl, '54'); // 60 × 0.9
    expectDec(s.realizedPnl, '54');
    expectDec(s.cash, '9142.9'); // 8483.5 + 660 − 0.6
  });

  it('closes: the position is removed and its realised P&L stays in the ledger total', () => {
    let s = applyFill(funded(), fill('AAA', '100', '10'));
    s = applyFill(s, fill('AAA', '50', '10.3'));
    s = applyFill(s, fill('AAA', '-60', '11'));
    s = applyFill(s, fill('AAA', '-90', '9.9'));
    expect(s.positions.has('AAA')).toBe(false);
    expectDec(s.realizedPnl, '36'); // 54 + 90 × (9.9 − 10.1)
    expectDec(s.cash, '10036'); // 10000 − 1000 − 515 + 660 + 891
  });

  it('flips long → short: closes the long in full, opens the remainder short at the fill price', () => {
    let s = applyFill(funded(), fill('AAA', '100', '10'));
    s = applyFill(s, fill('AAA', '-150', '12', '2'));
    expectDec(s.realizedPnl, '200'); // 100 × (12 − 10)
    const p = s.positions.get('AAA');
    expectDec(p?.quantity, '-50');
    expectDec(p?.avgCost, '12');
    expectDec(p?.realizedPnl, '0');
    expectDec(s.cash, '10798'); // 10000 − 1000 + 1800 − 2
  });

  it('covers a short: realised P&L = closed × (avgCost − price)', () => {
    let s = applyFill(funded(), fill('BBB', '-50', '12'));
    expectDec(s.cash, '10600');
    s = applyFill(s, fill('BBB', '30', '10'));
    expectDec(s.positions.get('BBB')?.quantity, '-20');
    expectDec(s.positions.get('BBB')?.avgCost, '12');
    expectDec(s.realizedPnl, '60'); // 30 × (12 − 10)
    s = applyFill(s, fill('BBB', '20', '13'));
    expect(s.positions.has('BBB')).toBe(false);
    expectDec(s.realizedPnl, '40'); // 60 − 20 × (13 − 12)
    expectDec(s.cash, '10040');
  });

  it('flips short → long', () => {
    let s = applyFill(funded(), fill('BBB', '-10', '5'));
    s = applyFill(s, fill('BBB', '25', '4'));
    expectDec(s.realizedPnl, '10'); // 10 × (5 − 4)
    expectDec(s.positions.get('BBB')?.quantity, '15');
    expectDec(s.positions.get('BBB')?.avgCost, '4');
  });

  it('adds to a short at the weighted average', () => {
    let s = applyFill(funded(), fill('BBB', '-10', '5'));
    s = applyFill(s, fill('BBB', '-30', '6'));
    expectDec(s.positions.get('BBB')?.avgCost, '5.75'); // (50 + 180) / 40
    expectDec(costBasis(s), '-230');
  });

  it('rounds a non-terminating average to 12 places and books the residual so a round trip realises exactly proceeds − cost', () => {
    let s = applyFill(funded(), fill('CCC', '1', '1'));
    s = applyFill(s, fill('CCC', '2', '2'));
    expectDec(s.positions.get('CCC')?.avgCost, '1.666666666667');
    expectDec(s.realizedPnl, '0.000000000001'); // 3 × 1.666666666667 − 5
    s = applyFill(s, fill('CCC', '-3', '2'));
    expectDec(s.realizedPnl, '1'); // 6 − 5, exactly
  });

  it('keeps decimals exact (no binary-float drift)', () => {
    let s = applyFill(funded('1'), fill('X', '0.1', '0.2'));
    s = applyFill(s, fill('X', '0.2', '0.1'));
    expectDec(s.cash, '0.96');
    // 0.04 / 0.3 rounds to 0.133333333333; the −1e-13 left over is realised, so cost − realised is exactly what was paid.
    expectDec(s.positions.get('X')?.avgCost, '0.133333333333');
    expectDec(costBasis(s), '0.0399999999999');
    expectDec(s.realizedPnl, '-0.0000000000001');
    expectDec(costBasis(s).minus(s.realizedPnl), '0.04');
  });

  it('lets a fill take cash below zero (limits are the engine’s job, before the fill)', () => {
    const s = applyFill(funded('100'), fill('AAA', '20', '10'));
    expectDec(s.cash, '-100');
  });

  it('does not mutate the state it is given', () => {
    const before = applyFill(funded(), fill('AAA', '10', '10'));
    applyFill(before, fill('AAA', '-10', '11'));
    expectDec(before.positions.get('AAA')?.quantity, '10');
    expectDec(before.cash, '9900');
  });

  describe('rejects bad fills with a typed error naming the symbol and value', () => {
    const s = funded();
    it('zero quantity', () => {
      expect(() => applyFill(s, fill('AAA', '0', '10'))).toThrow(LedgerError);
      expect(() => applyFill(s, fill('AAA', '0', '10'))).toThrow(/fill of AAA: quantity is 0/);
    });
    it('zero price', () => {
      expect(() => applyFill(s, fill('AAA', '1', '0'))).toThrow(/fill of AAA: price 0 must be greater than 0/);
    });
    it('negative price', () => {
      expect(() => applyFill(s, fill('AAA', '1', '-3.5'))).toThrow(/fill of AAA: price -3.5 must be greater than 0/);
    });
    it('negative commission', () => {
      expect(() => applyFill(s, fill('AAA', '1', '3', '-0.01'))).toThrow(/fill of AAA: commission -0.01 must not be negative/);
    });
    it('NaN quantity', () => {
      const bad = { symbol: 'AAA', quantity: new Dec(NaN), price: dec('1'), commission: ZERO };
      expect(() => applyFill(s, bad)).toThrow(InvalidNumberError);
      expect(() => applyFill(s, bad)).toThrow(/fill of AAA: quantity/);
    });
    it('infinite price', () => {
      const bad = { symbol: 'AAA', quantity: dec('1'), price: new Dec(Infinity), commission: ZERO };
      expect(() => applyFill(s, bad)).toThrow(InvalidNumberError);
    });
    it('NaN commission', () => {
      const bad = { symbol: 'AAA', quantity: dec('1'), price: dec('1'), commission: new Dec(NaN) };
      expect(() => applyFill(s, bad)).toThrow(InvalidNumberError);
    });
    it('empty symbol', () => {
      expect(() => applyFill(s, fill(' ', '1', '1'))).toThrow(/symbol must be a non-empty string/);
    });
    it('amounts that would need more than 34 significant digits (instead of rounding silently)', () => {
      const bad = fill('AAA', '123456789012345678.123456789', '98765432109876.12345678');
      expect(() => applyFill(s, bad)).toThrow(/more than 34 significant digits/);
    });
  });
});

describe('applyTransfer', () => {
  it('moves capital in and out, tracking both totals', () => {
    let s = applyTransfer(emptyLedger(), dec('1000.50'));
    s = applyTransfer(s, dec('-200.25'));
    expectDec(s.cash, '800.25');
    expectDec(s.transferredIn, '1000.5');
    expectDec(s.transferredOut, '200.25');
  });

  it('may move out exactly all the cash', () => {
    expectDec(applyTransfer(funded('100'), dec('-100')).cash, '0');
  });

  it('refuses to move out more than the cash held', () => {
    const s = funded('100');
    expect(() => applyTransfer(s, dec('-100.01'))).toThrow(InsufficientFundsError);
    expect(() => applyTransfer(s, dec('-100.01'))).toThrow(/transfer out of 100.01 exceeds the ledger's cash of 100/);
  });

  it('refuses to move out anything when cash is already negative after fills', () => {
    const s = applyFill(funded('100'), fill('AAA', '20', '10'));
    expect(() => applyTransfer(s, dec('-1'))).toThrow(InsufficientFundsError);
  });

  it('rejects a zero amount', () => {
    expect(() => applyTransfer(funded(), ZERO)).toThrow(LedgerError);
    expect(() => applyTransfer(funded(), ZERO)).toThrow(/transfer: amount is 0/);
  });

  it('rejects a NaN or infinite amount', () => {
    expect(() => applyTransfer(funded(), new Dec(NaN))).toThrow(InvalidNumberError);
    expect(() => applyTransfer(funded(), new Dec(-Infinity))).toThrow(InvalidNumberError);
  });
});

describe('ledgerValue, costBasis and the view', () => {
  const s = [fill('AAA', '100', '10'), fill('BBB', '-20', '50')].reduce(applyFill, funded());
  const marks: Record<string, Dec> = { AAA: dec('11.5'), BBB: dec('45') };
  const markOf = (symbol: string): Dec | undefined => marks[symbol];

  it('values cash plus every position at its mark (shorts subtract)', () => {
    // cash 10000 − 1000 + 1000 = 10000; 100 × 11.5 − 20 × 45 = 250
    expectDec(ledgerValue(s, markOf), '10250');
  });

  it('values exactly when a product leaves the safe-integer range or a mark has more than 15 digits', () => {
    const marksOf: Record<string, Dec> = { AAA: dec('98765.4321'), BBB: dec('0.1234567890123456789'), CCC: dec('0.05') };
    const markOf = (sym: string): Dec | undefined => marksOf[sym];
    // 123456789012 × 98765.4321 needs 21 digits: the Decimal path, beside a position that fits.
    const big = [fill('AAA', '123456789012', '1'), fill('CCC', '7', '2')].reduce(applyFill, funded('1000000000000'));
    expectDec(ledgerValue(big, markOf), big.cash.plus('12193263112448712.0852').plus('0.35').toString());
    // A 19-digit mark has no safe-integer form.
    const fine = [fill('BBB', '3', '1'), fill('CCC', '7', '2')].reduce(applyFill, funded());
    expectDec(ledgerValue(fine, markOf), fine.cash.plus('0.3703703670370370367').plus('0.35').toString());
  });

  it('names a held symbol that has no mark', () => {
    expect(() => ledgerValue(s, (sym) => (sym === 'AAA' ? dec('1') : undefined))).toThrow(LedgerError);
    expect(() => ledgerValue(s, (sym) => (sym === 'AAA' ? dec('1') : undefined))).toThrow(/held symbol BBB/);
  });

  it('rejects a non-finite mark', () => {
    expect(() => ledgerValue(s, () => new Dec(NaN))).toThrow(InvalidNumberError);
  });

  it('costs open positions at quantity × average cost', () => {
    expectDec(costBasis(s), '0'); // 1000 − 1000
    expectDec(costBasis(emptyLedger()), '0');
  });

  it('gives strategy code cash, quantities (zero when flat) and value', () => {
    const view = createLedgerView(s, markOf);
    expectDec(view.cash, '10000');
    expectDec(view.quantity('BBB'), '-20');
    expectDec(view.quantity('ZZZ'), '0');
    expectDec(view.value(), '10250');
    expect([...view.positions.keys()].sort()).toEqual(['AAA', 'BBB']);
  });
});

describe('evolveLedger', () => {
  it('folds fills and transfers exactly as applyFill and applyTransfer do', () => {
    const events: LedgerEvent[] = [
      { kind: 'transfer', amount: dec('500') },
      { kind: 'fill', fill: fill('AAA', '3', '100', '0.3') },
      { kind: 'fill', fill: fill('AAA', '-1', '110', '0.1') },
      { kind: 'transfer', amount: dec('-50') },
    ];
    const s = events.reduce(evolveLedger, emptyLedger());
    expectDec(s.cash, '259.6'); // 500 − 300.3 + 109.9 − 50
    expectDec(s.realizedPnl, '10');
    expectDec(s.commissions, '0.4');
    expectDec(s.transferredOut, '50');
    expectDec(s.positions.get('AAA')?.quantity, '2');
  });
});

describe('exact quotients behind average cost', () => {
  it('rounds half to even from the exact remainder, for longs and shorts', () => {
    expect(roundedQuotient(dec('1'), dec('8'), 2).toString()).toBe('0.12'); // 0.125 → even
    expect(roundedQuotient(dec('3'), dec('8'), 2).toString()).toBe('0.38'); // 0.375 → even
    expect(roundedQuotient(dec('-3'), dec('8'), 2).toString()).toBe('-0.38');
    expect(roundedQuotient(dec('5'), dec('-3'), 12).toString()).toBe('-1.666666666667');
    expect(roundedQuotient(dec('1000000000000000000001'), dec('2000000000000000000000'), 0).toString()).toBe('1'); // 0.5000…0005 → up
    const t = truncatedQuotient(dec('2'), dec('3'), 4);
    expect([t.truncated.toString(), t.remainder.toString()]).toEqual(['0.6666', '0.0002']);
  });
});
