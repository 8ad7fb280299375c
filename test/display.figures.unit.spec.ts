// Figures as text, as every command and the report show them: amounts to the cent, numbers and percentages.
import { describe, expect, it } from 'vitest';
import { fixed, money, percent } from '../src/display/figures.js';

describe('money', () => {
  it('rounds an exact amount to the cent, half to even as every amount is rounded', () => {
    expect(money('99936.810948')).toBe('99936.81');
    expect(money('100013.5')).toBe('100013.50');
    expect(money('0.015')).toBe('0.02');
    expect(money('0.025')).toBe('0.02');
    expect(money('-12.344')).toBe('-12.34');
  });

  it('shows a loss that rounds to nothing as 0.00, not -0.00', () => {
    expect(money('-0.001')).toBe('0.00');
    expect(money('-0.005')).toBe('0.00');
    expect(money('-0')).toBe('0.00');
  });
});

describe('percent', () => {
  it('shows a fraction as a percentage to two places', () => {
    expect(percent(0.123456)).toBe('12.35%');
    expect(percent(-0.0016)).toBe('-0.16%');
  });

  it('shows a fall that rounds to nothing as 0.00%, not -0.00%', () => {
    expect(percent(-0.00001)).toBe('0.00%');
    expect(percent(-2e-16)).toBe('0.00%');
    expect(percent(-0.0004, 1)).toBe('0.0%');
  });
});

describe('fixed', () => {
  it('shows a number to the places asked, without the sign of a negative that rounds to zero', () => {
    expect(fixed(1.25, 1)).toBe('1.3');
    expect(fixed(-1.26)).toBe('-1.26');
    expect(fixed(-0.004)).toBe('0.00');
    expect(fixed(-0.04, 1)).toBe('0.0');
  });
});
