// Console output helpers for the CLI: aligned tables for humans, JSON for machines, progress only on a TTY.

/** Where a command writes; injected so tests can capture it. */
export interface CliIO {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** The process's own streams. */
export const processIO: CliIO = { stdout: process.stdout, stderr: process.stderr };

/** Writes a value as pretty JSON followed by a newline. */
export function writeJson(io: CliIO, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Renders rows as an aligned text table (numbers right-aligned); the header is the first row. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  const numeric = header.map((_, c) => rows.length > 0 && rows.every((r) => /^[-+]?[\d.,]+%?$|^n\/a$|^-$/.test(r[c] ?? '')));
  const line = (r: readonly string[]): string =>
    r.map((cell, c) => (numeric[c] ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
