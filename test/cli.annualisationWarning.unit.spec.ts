// When the bars a year the figures are annualised with do not fit how often the bars come: a bar file, a log, a feed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePortfolioConfig } from '../src/config/portfolioConfig.js';
import { SpacingWatch, annualisationWarning, feedAnnualisationWarning, logAnnualisationWarning } from '../src/cli/annualisationWarning.js';
import type { BarFileSummary } from '../src/market/barSource.js';

const file = (slices: number, firstTime: string, lastTime: string): BarFileSummary => ({ slices, firstTime, lastTime }) as unknown as BarFileSummary;

describe('annualisation warnings', () => {
  it('a bar file of daily stock bars fits 252; of hourly bars it does not, and the warning gives the figure they show', () => {
    expect(annualisationWarning('d.csv', file(253, '2023-01-03T00:00:00.000Z', '2024-01-02T00:00:00.000Z'))).toBeNull();
    const hourly = annualisationWarning('h.csv', file(24 * 30, '2024-01-01T00:00:00.000Z', '2024-01-30T23:00:00.000Z'));
    expect(hourly).toContain('h.csv: its 720 slices come about 8800 a year');
    expect(hourly).toContain('assume 252 bars a year');
    expect(hourly).toContain('(e.g. 8760)');
    // Given the right factor, nothing to say; given daily for hourly bars, said again.
    expect(annualisationWarning('h.csv', file(24 * 30, '2024-01-01T00:00:00.000Z', '2024-01-30T23:00:00.000Z'), 8760)).toBeNull();
  });

  it('says nothing from too few slices or a span of no time', () => {
    expect(annualisationWarning('x.csv', file(9, '2024-01-01T00:00:00.000Z', '2024-01-01T00:08:00.000Z'))).toBeNull();
    expect(annualisationWarning('x.csv', file(50, '2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z'))).toBeNull();
  });

  it('a log is judged by its marks, first and last bar time, in the conventions given', () => {
    const portfolio = { portfolioId: 'p', marks: 60, firstMarkTime: '2024-01-01T00:00:00.000Z', lastBarTime: '2024-01-01T00:59:00.000Z' };
    expect(logAnnualisationWarning(portfolio, {})).toContain('the log of portfolio p: its 60 slices come about 530000 a year');
    expect(logAnnualisationWarning(portfolio, { annualization: 525_600 })).toBeNull();
    expect(logAnnualisationWarning({ ...portfolio, firstMarkTime: null }, {})).toBeNull();
  });

  it('a feed by its interval, round the clock: 1-minute bars are 525,600 a year, daily crypto 365 (which 252 covers)', () => {
    const minute = feedAnnualisationWarning('binance BTCUSDT@1m', 60_000);
    expect(minute).toContain('binance BTCUSDT@1m: its bars come 525600 a year round the clock');
    expect(minute).toContain('set barsPerYear in the config');
    expect(feedAnnualisationWarning('binance BTCUSDT@1m', 60_000, 525_600)).toBeNull();
    expect(feedAnnualisationWarning('binance BTCUSDT@1d', 86_400_000)).toBeNull();
    expect(feedAnnualisationWarning('stdin', null)).toBeNull();
  });

  it("the README's paper example, on Binance 1-minute klines, states its figures in 1-minute bars: no warning at start", () => {
    const path = join(import.meta.dirname, '..', 'examples', 'paper-portfolio.json');
    const config = parsePortfolioConfig(JSON.parse(readFileSync(path, 'utf8')), path);
    expect(feedAnnualisationWarning('binance BTCUSDT,ETHUSDT@1m', 60_000, config.barsPerYear)).toBeNull();
  });
});

describe('a live feed that does not say its interval', () => {
  const minute = (i: number): string => new Date(Date.parse('2024-03-01T00:00:00.000Z') + i * 60_000).toISOString();

  it('is judged once, by its first 60 slices: minute bars against the daily 252', () => {
    const watch = new SpacingWatch('stdin', undefined);
    const said = Array.from({ length: 200 }, (_, i) => watch.observe(minute(i))).filter((w) => w !== null);
    expect(said).toHaveLength(1);
    expect(said[0]).toContain('stdin: its first 60 slices came about 530000 a year');
    expect(said[0]).toContain('set barsPerYear in the config');
    expect(said[0]).toContain('(e.g. 525600)');
  });

  it('says nothing when the config states the bars a year they come at, or for daily bars', () => {
    const minutes = new SpacingWatch('stdin', 525_600);
    expect(Array.from({ length: 100 }, (_, i) => minutes.observe(minute(i))).filter((w) => w !== null)).toEqual([]);
    const days = new SpacingWatch('stdin', undefined);
    const day = (i: number): string => new Date(Date.parse('2024-01-01T00:00:00.000Z') + i * 86_400_000).toISOString();
    expect(Array.from({ length: 100 }, (_, i) => days.observe(day(i))).filter((w) => w !== null)).toEqual([]);
  });
});
