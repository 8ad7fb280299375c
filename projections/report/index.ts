// Public API of the report: the series projection, the content model, the HTML tearsheet and the fold that builds it.
export * from './reportSeries.js';
export * from './reportModel.js';
export * from './reportCharts.js';
export * from './reportHtml.js';
export * from './reportRun.js';
