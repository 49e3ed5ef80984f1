/**
 * Format detection and normalization: any parsed line becomes 0..n events in the OpenClaw
 * plugin's shape. OpenClaw events (they have `kind`) pass through untouched; the other producers
 * are tried in a fixed order; a line in no known format is kept as one `(unknown format)` event.
 */
import { timeOf, type Obj } from '../eventFields';
import { flowcore } from './flowcore';
import { claudeCode } from './claudeCode';
import { codex } from './codex';
import { knostic } from './knostic';
import { otlp } from './otlp';
import { phase1 } from './phase1';
import { seed001 } from './seed001';
import { transcript } from './transcript';
import { lineEventId, lineHash, statelessState, type Format, type MapContext, type MapFile, type MapState, type OpenClawShaped } from './types';

export { lineHash } from './types';
export type { MapContext, MapFile, MapState, OpenClawShaped, TranscriptFileContext } from './types';

export const OPENCLAW = 'openclaw';
export const UNKNOWN_FORMAT = 'unknown';
export const UNKNOWN_KIND = '(unknown format)';

/** Tried in this order after OpenClaw's own `kind`. */
export const FORMATS: readonly Format[] = [otlp, claudeCode, codex, phase1, seed001, knostic, transcript, flowcore];

export interface Normalized {
  format: string;
  events: OpenClawShaped[];
  problems: string[];
}

export function isOpenClaw(o: Obj): boolean {
  return typeof o.kind === 'string';
}

export function normalize(o: Obj, ctx: MapContext): Normalized {
  if (isOpenClaw(o)) return { format: OPENCLAW, events: [o as unknown as OpenClawShaped], problems: [] };
  for (const f of FORMATS) {
    if (f.detect(o)) {
      const m = f.map(o, ctx);
      return { format: f.name, events: m.events, problems: m.problems };
    }
  }
  return {
    format: UNKNOWN_FORMAT,
    events: [{ id: lineEventId(ctx, 0), ts: timeOf(o.ts) ?? timeOf(o.timestamp) ?? timeOf(o.time), kind: UNKNOWN_KIND, data: o }],
    problems: [],
  };
}


/**
 * A line read back on its own (replay, tool details): the event with id `eid` among what the line
 * maps to. Ids and data do not depend on the index, so this finds the indexed event again (a
 * transcript line is read with what its file says about its session: `state.transcript`).
 */
export function eventFromLine(o: Obj, text: string, eid: string, state: MapState = statelessState(), file?: MapFile): OpenClawShaped | null {
  const n = normalize(o, { hash: lineHash(text), state, readBack: true, ...(file ? { file } : {}) });
  return n.events.find((e) => e.id === eid) ?? null;
}
