import { closeSync, createReadStream, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { createGunzip } from 'node:zlib';

/** One complete line of a log, decoded, with where it sits in the (decompressed) file. */
export interface RawLine {
  /** The line without its line ending; null when it could not be decoded (see `problem`). */
  text: string | null;
  /** Byte offset of the first byte. */
  offset: number;
  /** Byte length without the line ending. */
  length: number;
  /** 1-based line number. */
  line: number;
  /** Byte offset just after the line ending: where reading resumes. */
  next: number;
  /** The last bytes of a finished file, with no newline after them. */
  unterminated?: boolean;
  problem?: string;
}

/** Where a read stopped: the next read continues from here. */
export interface ReadPosition {
  /** Bytes consumed: always the end of a complete line (or of the file for finished files). */
  offset: number;
  /** Lines consumed. */
  line: number;
}

export interface ReadOptions {
  /**
   * The producer may still be writing this file: an unterminated last line is held back (not
   * consumed) until its newline arrives. For finished files it is reported as truncated instead.
   */
  active: boolean;
  gzip: boolean;
  /**
   * The file is one JSON document (a pretty-printed `.json` batch): read it whole as a single
   * record at offset 0, line 1, whatever newlines it holds.
   */
  whole?: boolean;
  /**
   * Plain files: read no further than this byte (the size seen when a sync began). Bytes after
   * the last newline before it wait for the next read, as for an active file.
   */
  end?: number;
  /** Read granularity for plain files (a line longer than this still works). */
  chunkBytes?: number;
  /** Longest line read (bytes); default MAX_LINE_BYTES. */
  maxLineBytes?: number;
  /** Most bytes a `.gz` is decompressed to; default MAX_GZIP_BYTES. */
  maxGzipBytes?: number;
  /**
   * Plain files read from their start: return up to this many of their first bytes (`head`), so
   * that the caller need not read them again.
   */
  headBytes?: number;
}

/**
 * The longest line (or whole-file JSON document) that is read, in bytes. A longer one is recorded
 * as a problem (file, line, byte offset, size) and streamed past without being held in memory,
 * so memory stays bounded by this cap whatever the input.
 */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;
/**
 * The most bytes a `.gz` archive is decompressed to. Past it the rest of the archive is skipped
 * and the file gets a problem: a small archive that inflates without end (a gzip bomb) costs
 * bounded time, and memory stays bounded by MAX_LINE_BYTES.
 */
export const MAX_GZIP_BYTES = 4 * 1024 * 1024 * 1024;

/**
 * Bytes read at a time from a plain file; its lines come out in batches of about this size. A batch
 * lives while its lines are indexed, so it is kept small: with 8 MiB batches the lines of a large
 * log lived through several collections of the garbage collector's young generation, V8 then made
 * every later line object directly in the old generation (allocation-site pretenuring, a decision
 * kept for the rest of the process), and each line's text lived on with it until a full collection:
 * over two thirds of a GiB moved to the old generation while indexing the 1M sample's transcripts
 * after its plugin log (`npm run bench`), against 82 MB with 1 MiB batches.
 */
const CHUNK_BYTES = 1024 * 1024;

const NEWLINE = 0x0a;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** "64 MiB", "1.5 GiB", "300 bytes": a byte count for a message. */
function bytesText(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} bytes` : `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[u]}`;
}

function tooLong(offset: number, line: number, size: number, max: number, unterminated = false): RawLine {
  return {
    text: null,
    offset,
    length: size,
    line,
    next: offset + size + (unterminated ? 0 : 1),
    problem: `line of ${size} bytes (${bytesText(size)}) is longer than the ${bytesText(max)} limit: skipped`,
    ...(unterminated ? { unterminated: true } : {}),
  };
}

/**
 * Cuts a stream of bytes into lines. Bytes of an unfinished line wait (as pieces, never copied
 * until the line is whole) unless the line is over the cap: then only its size is counted until
 * its newline, and it comes out as a problem line.
 */
class LineSplitter {
  /** Consumed: the end of the last complete line. */
  pos: ReadPosition;
  private carry: Buffer[] = [];
  private carryLen = 0;
  /** Size so far of a line over the cap (its bytes are not kept). */
  private skipping = -1;

  constructor(start: ReadPosition, private readonly max: number) {
    this.pos = { ...start };
  }

  /** Pieces of the chunks fed are kept (an unfinished line under the cap). */
  get holdsBytes(): boolean {
    return this.carryLen > 0;
  }

  /** Bytes read past `pos` (an unfinished line). */
  get pending(): number {
    return this.skipping >= 0 ? this.skipping : this.carryLen;
  }

  feed(chunk: Buffer, out: RawLine[]): void {
    let at = 0;
    while (at < chunk.length) {
      const nl = chunk.indexOf(NEWLINE, at);
      if (this.skipping >= 0) {
        if (nl < 0) {
          this.skipping += chunk.length - at;
          return;
        }
        const size = this.skipping + (nl - at);
        out.push(tooLong(this.pos.offset, this.pos.line + 1, size, this.max));
        this.pos = { offset: this.pos.offset + size + 1, line: this.pos.line + 1 };
        this.skipping = -1;
        at = nl + 1;
        continue;
      }
      if (nl < 0) {
        const rest = chunk.length - at;
        if (this.carryLen + rest > this.max) {
          this.skipping = this.carryLen + rest;
          this.carry = [];
          this.carryLen = 0;
        } else {
          this.carry.push(chunk.subarray(at));
          this.carryLen += rest;
        }
        return;
      }
      const size = this.carryLen + (nl - at);
      const offset = this.pos.offset;
      const line = this.pos.line + 1;
      const next = offset + size + 1;
      if (size > this.max) {
        out.push(tooLong(offset, line, size, this.max));
      } else {
        let buf = chunk;
        let s = at;
        let e = nl;
        if (this.carryLen > 0) {
          buf = Buffer.concat([...this.carry, chunk.subarray(at, nl)]);
          s = 0;
          e = buf.length;
        }
        if (e > s && buf[e - 1] === 0x0d) e--;
        const decoded = decodeLine(buf, s, e, offset, line, next);
        if (decoded.text !== '') out.push(decoded);
      }
      this.carry = [];
      this.carryLen = 0;
      this.pos = { offset: next, line };
      at = nl + 1;
    }
  }

  /**
   * The end of a finished file: bytes after the last newline are taken as a last line (a file may
   * simply lack its final newline; the parser reports it when it is not a whole JSON value).
   */
  finish(out: RawLine[]): void {
    const offset = this.pos.offset;
    const line = this.pos.line + 1;
    if (this.skipping >= 0) {
      out.push(tooLong(offset, line, this.skipping, this.max, true));
      this.pos = { offset: offset + this.skipping, line };
    } else if (this.carryLen > 0) {
      const buf = this.carry.length === 1 ? this.carry[0]! : Buffer.concat(this.carry);
      const decoded = decodeLine(buf, 0, buf.length, offset, line, offset + buf.length);
      decoded.unterminated = true;
      if (decoded.text !== '') out.push(decoded);
      this.pos = { offset: offset + buf.length, line };
    }
    this.skipping = -1;
    this.carry = [];
    this.carryLen = 0;
  }
}

/**
 * Reads the complete lines after `from`, in batches (so memory stays bounded on big files), skipping
 * blank lines; lines over the cap come out as problem lines (text null) without being read into
 * memory. The generator's return value is the position to resume from next time, plus a problem
 * about the file as a whole (a damaged or oversized gzip archive), if any.
 */
export async function* readLines(
  file: string,
  from: ReadPosition,
  opts: ReadOptions,
): AsyncGenerator<RawLine[], ReadPosition & { fileProblem?: string; head?: Buffer }> {
  const max = opts.maxLineBytes ?? MAX_LINE_BYTES;
  if (opts.gzip) return yield* readGzip(file, from, max, opts.maxGzipBytes ?? MAX_GZIP_BYTES);
  if (opts.whole) return yield* readWhole(file, from, max);
  const fd = openSync(file, 'r');
  try {
    const actual = fstatSync(fd).size;
    const size = opts.end !== undefined && opts.end < actual ? opts.end : actual;
    const limited = size < actual;
    const chunk = opts.chunkBytes ?? CHUNK_BYTES;
    const split = new LineSplitter(from, max);
    let readAt = from.offset;
    let fresh: Buffer | null = null;
    let head: Buffer | undefined;
    while (readAt < size) {
      // A line being carried keeps pieces of earlier reads: those buffers are not reused.
      if (!fresh || split.holdsBytes) fresh = Buffer.allocUnsafe(Math.min(chunk, size - from.offset));
      const n = readSync(fd, fresh, 0, Math.min(fresh.length, size - readAt), readAt);
      if (n <= 0) break;
      if (readAt === 0 && opts.headBytes) head = Buffer.from(fresh.subarray(0, Math.min(n, opts.headBytes)));
      readAt += n;
      const lines: RawLine[] = [];
      split.feed(fresh.subarray(0, n), lines);
      if (lines.length) yield lines;
    }
    // A file still being written keeps its unfinished last line (even one over the cap) for later;
    // so does one read only up to a size (it has more bytes, read by the next sync).
    if (opts.active || limited) return head ? { ...split.pos, head } : split.pos;
    const lines: RawLine[] = [];
    split.finish(lines);
    if (lines.length) yield lines;
    return head ? { ...split.pos, head } : split.pos;
  } finally {
    closeSync(fd);
  }
}

async function* readWhole(file: string, from: ReadPosition, max: number): AsyncGenerator<RawLine[], ReadPosition> {
  const size = statSync(file).size;
  if (from.offset >= size || size === 0) return from;
  if (size > max) {
    yield [tooLong(0, 1, size, max, true)];
    return { offset: size, line: 1 };
  }
  const buf = readFileSync(file);
  const line = decodeLine(buf, 0, buf.length, 0, 1, buf.length);
  if (line.text === null || line.text.trim() !== '') yield [line];
  return { offset: buf.length, line: 1 };
}

/**
 * A `.gz` archive, decompressed as a stream (never whole in memory). A damaged archive yields what
 * was decompressed before the damage, with a problem for the file.
 */
async function* readGzip(file: string, from: ReadPosition, max: number, maxBytes: number): AsyncGenerator<RawLine[], ReadPosition & { fileProblem?: string; head?: Buffer }> {
  // Decompressed offsets: lines before `from` were read by an earlier sync.
  const split = new LineSplitter({ offset: 0, line: 0 }, max);
  const source = createReadStream(file);
  const gunzip = createGunzip({ chunkSize: 1024 * 1024 });
  source.on('error', (err) => gunzip.destroy(err));
  source.pipe(gunzip);
  let fileProblem: string | undefined;
  let total = 0;
  let cut = false;
  try {
    for await (const data of gunzip as AsyncIterable<Buffer>) {
      let chunk = data;
      if (total + chunk.length > maxBytes) {
        chunk = chunk.subarray(0, maxBytes - total);
        cut = true;
      }
      total += chunk.length;
      const lines: RawLine[] = [];
      split.feed(chunk, lines);
      const fresh = lines.filter((l) => l.offset >= from.offset);
      if (fresh.length) yield fresh;
      if (cut) break;
    }
  } catch (err) {
    fileProblem = `damaged gzip archive (${(err as Error).message}); indexed what could be decompressed`;
  } finally {
    source.destroy();
    gunzip.destroy();
  }
  if (cut) {
    // The rest of the archive is skipped: resume (if it ever changes) after all that was read.
    fileProblem = `gzip archive decompresses to more than ${bytesText(maxBytes)}: the rest was skipped`;
    const end = Math.max(from.offset, total);
    return { offset: end, line: split.pos.line + (split.pending > 0 ? 1 : 0), fileProblem };
  }
  const lines: RawLine[] = [];
  split.finish(lines);
  const fresh = lines.filter((l) => l.offset >= from.offset);
  if (fresh.length) yield fresh;
  const end = split.pos.offset >= from.offset ? split.pos : from;
  return fileProblem ? { ...end, fileProblem } : end;
}

/** Decodes one line; blank lines come back with text ''. */
function decodeLine(buf: Buffer, start: number, end: number, offset: number, line: number, next: number): RawLine {
  let s = start;
  while (s < end && (buf[s] === 0x20 || buf[s] === 0x09)) s++;
  if (s === end) return { text: '', offset, length: end - start, line, next };
  const text = buf.toString('utf8', start, end);
  if (text.includes('\uFFFD')) {
    try {
      strictUtf8.decode(buf.subarray(start, end));
    } catch {
      return { text: null, offset, length: end - start, line, next, problem: 'invalid UTF-8' };
    }
  }
  return { text, offset, length: end - start, line, next };
}
