// The PostgreSQL read-ahead worker's page: rows whose bodies it checked against their hashes, their bytes in one
// buffer that moves to the reader without a copy. The worker only fetches and hashes; the reader decodes, with code
// its in-thread reads keep warm, where a worker started for one read runs everything cold. Rows waiting in buffers
// outside the JavaScript heap cost neither thread's garbage collector anything (docs/event-store.md, "Read-ahead").
// This module loads nothing but hashing, so a worker starts without the catalogue's schemas.
import { sha256Hex } from '../sha256.js';
import type { StoredRowTuple } from './readAheadPage.js';

/** A page of checked rows: row i's body (UTF-8) and then its hash (64 characters) end at `ends[i]` in `bytes`. */
export interface CheckedRows {
  readonly count: number;
  /** The row after the last one failed its hash: the reader reads on in-thread, where it raises the error. */
  readonly cut: boolean;
  readonly positions: Float64Array;
  readonly revisions: Float64Array;
  readonly ends: Uint32Array;
  readonly bytes: Uint8Array;
  /** Each row's stream where it changes, as pairs `[row, stream, …]`: a read of one stream names it once. */
  readonly streams: (number | string)[];
}

export const HASH_LENGTH = 64;

/**
 * Builds one page from rows added as they arrive, up to the first whose body does not hash to its stored hash. A read
 * of one stream passes it as `stream` and its rows carry none; `bytesHint` sizes the buffer (it grows when short).
 */
export class CheckedRowsBuilder {
  #count = 0;
  #cut = false;
  readonly #positions: Float64Array<ArrayBuffer>;
  readonly #revisions: Float64Array<ArrayBuffer>;
  readonly #ends: Uint32Array<ArrayBuffer>;
  #bytes: Buffer<ArrayBuffer>;
  #used = 0;
  readonly #streams: (number | string)[] = [];
  #lastStream: string | undefined;

  constructor(
    private readonly capacity: number,
    private readonly stream: string | undefined,
    bytesHint: number,
  ) {
    this.#positions = new Float64Array(capacity);
    this.#revisions = new Float64Array(capacity);
    this.#ends = new Uint32Array(capacity);
    // Outside Buffer's pool, so its whole ArrayBuffer is this page's and can be transferred.
    this.#bytes = Buffer.allocUnsafeSlow(Math.max(bytesHint, 1024));
  }

  /** Adds a row; false (and the row is not taken) once the page is full or a row failed its hash. */
  add(row: StoredRowTuple): boolean {
    if (this.#cut || this.#count === this.capacity) return false;
    const [position, revision, body, hash, rowStream = this.stream] = row;
    if (hash.length !== HASH_LENGTH || sha256Hex(body) !== hash) {
      this.#cut = true;
      return false;
    }
    if (rowStream === undefined) throw new Error('a page row without a stream');
    const i = this.#count;
    if (rowStream !== this.#lastStream) this.#streams.push(i, rowStream);
    this.#lastStream = rowStream;
    // At most three UTF-8 bytes per UTF-16 unit.
    const need = this.#used + body.length * 3 + HASH_LENGTH;
    if (need > this.#bytes.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(need, this.#bytes.length * 2));
      this.#bytes.copy(grown, 0, 0, this.#used);
      this.#bytes = grown;
    }
    this.#used += this.#bytes.write(body, this.#used, 'utf8');
    this.#used += this.#bytes.write(hash, this.#used, 'latin1');
    this.#ends[i] = this.#used;
    this.#positions[i] = position;
    this.#revisions[i] = revision;
    this.#count = i + 1;
    return true;
  }

  /** Bytes the page holds so far (a hint for the next page's buffer). */
  get used(): number {
    return this.#used;
  }

  /** The page, and the buffers to transfer with it (they are the page's from then on). */
  finish(): { page: CheckedRows; transfer: ArrayBuffer[] } {
    const bytes = new Uint8Array(this.#bytes.buffer, 0, this.#used);
    const page: CheckedRows = {
      count: this.#count,
      cut: this.#cut,
      positions: this.#positions,
      revisions: this.#revisions,
      ends: this.#ends,
      bytes,
      streams: this.#streams,
    };
    return { page, transfer: [this.#positions.buffer, this.#revisions.buffer, this.#ends.buffer, bytes.buffer] };
  }
}

/** The rows up to the first whose hash fails, as one page. */
export function checkRows(rows: readonly StoredRowTuple[], stream?: string): CheckedRows {
  const builder = new CheckedRowsBuilder(Math.max(rows.length, 1), stream, 0);
  for (const row of rows) if (!builder.add(row)) break;
  return builder.finish().page;
}
