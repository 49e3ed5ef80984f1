import type { Database, SqlValue } from 'sql.js';
import { FastStatement } from '../store/fastInsert';

/**
 * Rows for one table, inserted `per` at a time by one multi-row INSERT: sqlite runs one statement
 * for many rows, whose values are bound the fast way (store/fastInsert.ts). Rows wait here
 * until the batch is full or `flush()` is called; whoever reads the table in the same transaction
 * must flush first (the event writer does before each of its reads, and at commit).
 */
export class RowBatch {
  private readonly waiting: SqlValue[][] = [];
  private single: FastStatement | null = null;
  private multi: FastStatement | null = null;
  /**
   * Goes up each time the waiting rows are written or discarded: a row added at generation `g` is
   * still waiting (and may still be changed in place) while `generation === g` after its `add`.
   */
  generation = 0;

  constructor(
    private readonly db: Database,
    /** `INSERT [OR …] INTO table [(columns)]` */
    private readonly head: string,
    private readonly columns: number,
    /**
     * Rows a statement (512: a first index of the 1M sample's transcripts took ~2% less CPU than
     * with 128, alternating in one process; 256 no less than 128).
     */
    private readonly per = 512,
    /** After the values (an `ON CONFLICT … DO UPDATE` clause). */
    private readonly tail = '',
  ) {}

  get pending(): number {
    return this.waiting.length;
  }

  add(row: SqlValue[]): void {
    if (row.length !== this.columns) throw new Error(`${this.head}: ${row.length} values for ${this.columns} columns`);
    if (this.waiting.push(row) === this.per) this.flush();
  }

  flush(): void {
    const n = this.waiting.length;
    if (n === 0) return;
    this.generation++;
    if (n === this.per) {
      this.multi ??= FastStatement.prepare(this.db, `${this.head} VALUES ${placeholders(this.columns, this.per)}${this.tail}`);
      this.multi.runRows(this.waiting);
    } else {
      this.single ??= FastStatement.prepare(this.db, `${this.head} VALUES ${placeholders(this.columns, 1)}${this.tail}`);
      for (const row of this.waiting) this.single.run(row);
    }
    this.waiting.length = 0;
  }

  /** Forgets the rows not yet written (the transaction is rolled back). */
  discard(): void {
    this.generation++;
    this.waiting.length = 0;
  }

  /** Frees the statements (they do not survive `db.export()`); they are made again on next use. */
  free(): void {
    this.single?.free();
    this.multi?.free();
    this.single = this.multi = null;
  }
}

function placeholders(columns: number, rows: number): string {
  const one = `(${new Array<string>(columns).fill('?').join(',')})`;
  return new Array<string>(rows).fill(one).join(',');
}
