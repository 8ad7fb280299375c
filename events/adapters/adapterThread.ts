// Starting a worker thread on an adapter module beside this one, from the TypeScript sources (as under vitest) or as built.
import { Worker } from 'node:worker_threads';

const FROM_SOURCE = import.meta.url.endsWith('.ts');

/** The adapter worker modules: the writer thread and the read-ahead readers. */
export type AdapterThreadModule = 'sqliteWriteWorker' | 'sqliteReadWorker' | 'postgresReadWorker';

/**
 * Starts a worker thread on the adapter module `name` with `workerData`. Run from the sources, the thread registers
 * tsx before it loads the module, as a plain Worker cannot load TypeScript.
 */
export function startAdapterThread(name: AdapterThreadModule, workerData: unknown): Worker {
  const url = new URL(FROM_SOURCE ? `./${name}.ts` : `./${name}.js`, import.meta.url);
  if (!FROM_SOURCE) return new Worker(url, { workerData });
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(boot, { eval: true, workerData });
}
