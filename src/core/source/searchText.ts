import type { SearchField } from '../../protocol/model';
import { errorText, isObj, str, type Obj } from './eventFields';

export interface SearchPart {
  field: SearchField;
  text: string;
}

/**
 * Most characters of one event that are searchable: a tool result holding a whole file is cut
 * here, so one event cannot make the search index grow without bound. Text past the cap is not
 * found by full-text search (the event itself is unchanged).
 */
export const SEARCH_TEXT_MAX = 8192;

/** The kinds whose events carry text worth searching; any failed event is searched for its error too. */
export const SEARCH_KINDS: readonly string[] = [
  'tool.start', 'tool.end', 'message.inbound', 'message.outbound', 'llm.input', 'run.start', 'run.end',
  'subagent.spawn', 'subagent.end', 'error',
];

/**
 * The searchable text of an (OpenClaw-shaped) event, by part, in the order it is indexed: tool
 * arguments and results, message contents, prompts, the final reply of a run, subagent labels and
 * tasks, errors. String values of structured arguments/results are taken in order (keys are not).
 * The parts together are at most SEARCH_TEXT_MAX characters. The same function gives the text the
 * search index was filled with and the text snippets are cut from, so they always agree.
 */
export function searchPartsOf(o: Obj): SearchPart[] {
  const data: Obj = isObj(o.data) ? o.data : {};
  const kind = str(o.kind) ?? '';
  const parts: SearchPart[] = [];
  let room = SEARCH_TEXT_MAX;
  const add = (field: SearchField, v: unknown) => {
    if (room <= 0) return;
    const texts: string[] = [];
    collectStrings(v, texts, { left: room });
    let text = texts.join(' ').trim();
    if (!text || (field === 'error' && parts.some((p) => p.field === 'error' && p.text === text))) return;
    if (text.length > room) text = text.slice(0, room);
    room -= text.length + 1;
    parts.push({ field, text });
  };
  switch (kind) {
    case 'tool.start':
    case 'tool.end':
      add('args', [str(data.toolName), data.params]);
      add('result', data.result);
      add('error', errorText(data.error));
      break;
    case 'message.inbound':
    case 'message.outbound':
      add('message', data.contentPreview ?? data.content);
      add('error', errorText(data.error));
      break;
    case 'llm.input':
      add('prompt', data.prompt);
      break;
    case 'run.start':
      add('prompt', data.inputMessage);
      break;
    case 'run.end':
      add('reply', data.lastAssistantMessage);
      break;
    case 'subagent.spawn':
      add('label', data.label);
      break;
    case 'subagent.end':
      add('label', [data.label, data.task]);
      add('error', errorText(data.error));
      break;
    case 'error':
      add('error', data.message ?? data.error);
      break;
  }
  add('error', errorText(o.error));
  return parts;
}

/** The parts as the one document the search index holds (parts separated by a newline). */
export function searchDocumentOf(parts: SearchPart[]): string {
  return parts.map((p) => p.text).join('\n');
}

/** String (and number) values of `v` in order, depth first, until `budget.left` characters are taken. */
function collectStrings(v: unknown, out: string[], budget: { left: number }, depth = 0): void {
  if (budget.left <= 0 || v == null || depth > 32) return;
  if (typeof v === 'string') {
    const s = v.length > budget.left ? v.slice(0, budget.left) : v;
    if (s) {
      out.push(s);
      budget.left -= s.length + 1;
    }
  } else if (typeof v === 'number' || typeof v === 'boolean') {
    // Numbers are searchable (exit codes, line numbers); booleans are noise.
    if (typeof v === 'number') collectStrings(String(v), out, budget, depth);
  } else if (Array.isArray(v)) {
    for (const x of v) {
      if (budget.left <= 0) break;
      collectStrings(x, out, budget, depth + 1);
    }
  } else if (isObj(v)) {
    // A blob reference in place of the value: its contents are not in the line, nothing to index.
    if (v._blob === true) return;
    for (const x of Object.values(v)) {
      if (budget.left <= 0) break;
      collectStrings(x, out, budget, depth + 1);
    }
  }
}
