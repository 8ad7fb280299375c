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

/** Lays `items` out after `head`, separated by ", ", on lines of at most `width` columns (continuations indented under the first item). */
export function wrapList(head: string, items: readonly string[], width = 80): string[] {
  const indent = ' '.repeat(head.length);
  const lines: string[] = [];
  let line = head;
  let empty = true;
  for (const item of items) {
    const piece = empty ? item : `, ${item}`;
    // +1 leaves room for the comma that ends a full line.
    if (!empty && line.length + piece.length + 1 > width) {
      lines.push(`${line},`);
      line = indent + item;
    } else {
      line += piece;
    }
    empty = false;
  }
  lines.push(line);
  return lines;
}

/** Wraps free text after `head` at word boundaries to lines of at most `width` columns (continuations indented). */
export function wrapText(head: string, text: string, width = 80): string[] {
  const indent = ' '.repeat(Math.min(head.length, 8));
  const lines: string[] = [];
  let line = head;
  for (const word of text.split(/\s+/).filter((w) => w.length > 0)) {
    const sep = line.trim().length === 0 || line === head ? '' : ' ';
    if (line.length + sep.length + word.length > width && line.trim().length > 0) {
      lines.push(line);
      line = indent + word;
    } else {
      line += sep + word;
    }
  }
  lines.push(line);
  return lines;
}

/**
 * Names in a one-line message: all of them when they are few, else the first and last `ends` around an ellipsis, so a
 * message about one id never becomes a list of hundreds (say the count beside it).
 */
export function fewOf(names: readonly string[], ends = 3): string {
  if (names.length <= 2 * ends + 1) return names.join(', ');
  return `${names.slice(0, ends).join(', ')}, …, ${names.slice(-ends).join(', ')}`;
}
