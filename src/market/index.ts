// Public API of src/market (re-exported from the package root): bar file sources, the synthetic market, writers.
export { BAR_FORMATS, detectBarFormat, openBarSource, validateBarFile } from './barSource.js';
export type { BarFileSummary, BarFormat, BarSourceSpec } from './barSource.js';
export { writeLongCsv, writeNdjson, writeWideCsv } from './barFileWriter.js';
export type { SliceInput, WriteSummary } from './barFileWriter.js';
export { formatBarTime, parseBarTime } from './barTime.js';
export type { BarTimeParse } from './barTime.js';
export type { BarFileOptions, ReadProgress } from './fileInput.js';
export { LONG_CSV_COLUMNS, readLongCsv } from './longCsv.js';
export { readNdjson } from './ndjson.js';
export { readWideCsv } from './wideCsv.js';
export { SeededRandom } from './seededRandom.js';
export { SYNTHETIC_DEFAULTS, syntheticMarket, syntheticSlices } from './syntheticMarket.js';
export type { MarketRegime, RegimeSwitching, SyntheticMarketOptions } from './syntheticMarket.js';
