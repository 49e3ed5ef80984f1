import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { gunzipTolerant } from './gzip';

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
}

const NEWLINE = 0x0a;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads the complete lines after `from`, in batches (so memory stays bounded on big files), skipping
 * blank lines. The generator's return value is the position to resume from next time, plus a
 * problem about the file as a whole (a damaged gzip archive), if any.
 */
export function* readLines(
  file: string,
  from: ReadPosition,
  opts: ReadOptions,
): Generator<RawLine[], ReadPosition & { fileProblem?: string }> {
  if (opts.gzip) return yield* readGzip(file, from);
  if (opts.whole) return yield* readWhole(file, from);
  const fd = openSync(file, 'r');
  try {
    const actual = fstatSync(fd).size;
    const size = opts.end !== undefined && opts.end < actual ? opts.end : actual;
    const limited = size < actual;
    const chunk = opts.chunkBytes ?? 8 * 1024 * 1024;
    let pos = { ...from };
    let carry: Buffer | null = null; // an incomplete line waiting for more bytes
    let readAt = from.offset;
    while (readAt < size) {
      const fresh = Buffer.allocUnsafe(Math.min(chunk, size - readAt));
      const n = readSync(fd, fresh, 0, fresh.length, readAt);
      if (n <= 0) break;
      readAt += n;
      const buf: Buffer = carry ? Buffer.concat([carry, fresh.subarray(0, n)]) : fresh.subarray(0, n);
      const { lines, consumed, lastLine } = splitLines(buf, pos);
      pos = { offset: pos.offset + consumed, line: lastLine };
      carry = consumed < buf.length ? buf.subarray(consumed) : null;
      if (lines.length) yield lines;
    }
    const tail = opts.active || limited ? null : tailLine(carry, pos);
    if (!tail) return pos;
    if (tail.line.text !== '') yield [tail.line];
    return tail.end;
  } finally {
    closeSync(fd);
  }
}

function* readWhole(file: string, from: ReadPosition): Generator<RawLine[], ReadPosition> {
  const buf = readFileSync(file);
  if (from.offset >= buf.length) return from;
  const line = decodeLine(buf, 0, buf.length, 0, 1, buf.length);
  if (line.text === null || line.text.trim() !== '') yield [line];
  return { offset: buf.length, line: 1 };
}

function* readGzip(file: string, from: ReadPosition): Generator<RawLine[], ReadPosition & { fileProblem?: string }> {
  const { data, damage } = gunzipTolerant(readFileSync(file));
  const fileProblem = damage === null ? undefined : `damaged gzip archive (${damage}); indexed what could be decompressed`;
  const buf = data.subarray(from.offset);
  const { lines, consumed, lastLine } = splitLines(buf, from);
  if (lines.length) yield lines;
  let end: ReadPosition = { offset: from.offset + consumed, line: lastLine };
  const tail = tailLine(consumed < buf.length ? buf.subarray(consumed) : null, end);
  if (tail) {
    if (tail.line.text !== '') yield [tail.line];
    end = tail.end;
  }
  return fileProblem ? { ...end, fileProblem } : end;
}

/**
 * Bytes after the last newline of a finished file: taken as a last line (a file may simply lack
 * its final newline); the parser reports it when it is not a whole JSON value.
 */
function tailLine(carry: Buffer | null, pos: ReadPosition): { line: RawLine; end: ReadPosition } | null {
  if (!carry || carry.length === 0) return null;
  const line = decodeLine(carry, 0, carry.length, pos.offset, pos.line + 1, pos.offset + carry.length);
  line.unterminated = true;
  return { line, end: { offset: pos.offset + carry.length, line: pos.line + 1 } };
}

/** Splits `buf` at newlines; returns the non-blank complete lines and how many bytes were used. */
function splitLines(buf: Buffer, start: ReadPosition): { lines: RawLine[]; consumed: number; lastLine: number } {
  const lines: RawLine[] = [];
  let at = 0;
  let line = start.line;
  for (;;) {
    const nl = buf.indexOf(NEWLINE, at);
    if (nl < 0) break;
    line++;
    let end = nl;
    if (end > at && buf[end - 1] === 0x0d) end--;
    const decoded = decodeLine(buf, at, end, start.offset + at, line, start.offset + nl + 1);
    if (decoded.text !== '') lines.push(decoded);
    at = nl + 1;
  }
  return { lines, consumed: at, lastLine: line };
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
