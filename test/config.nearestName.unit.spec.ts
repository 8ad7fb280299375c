// The name a user probably meant: close enough to be a typo, and only when one name is closest.
import { describe, expect, it } from 'vitest';
import { didYouMean, nearestName } from '../src/nearestName.js';

describe('nearestName', () => {
  const fields = ['id', 'name', 'capital', 'strategies', 'execution', 'risk', 'rebalancing', 'lookback', 'durability', 'snapshotEvery'];

  it('names the field a typo is of: a letter left out, added, changed or two swapped, another case, a prefix', () => {
    expect(nearestName('capitl', fields)).toBe('capital');
    expect(nearestName('capittal', fields)).toBe('capital');
    expect(nearestName('capitol', fields)).toBe('capital');
    expect(nearestName('captial', fields)).toBe('capital');
    expect(nearestName('Capital', fields)).toBe('capital');
    expect(nearestName('rebalance', fields)).toBe('rebalancing');
    expect(nearestName('durabilty', fields)).toBe('durability');
  });

  it('names nothing for a name far from all, a short one one edit from several, or one already known', () => {
    expect(nearestName('weights', fields)).toBeNull();
    expect(nearestName('x', ['a', 'b'])).toBeNull();
    expect(nearestName('ab', ['ac', 'bb'])).toBeNull();
    expect(nearestName('capital', fields)).toBeNull();
    expect(nearestName('', fields)).toBeNull();
  });

  it('didYouMean is the phrase a message ends with, or nothing', () => {
    expect(didYouMean('montly', ['never', 'daily', 'weekly', 'monthly', 'quarterly'])).toBe(': did you mean "monthly"?');
    expect(didYouMean('hourly', ['never', 'daily', 'weekly', 'monthly', 'quarterly'])).toBe('');
  });
});
