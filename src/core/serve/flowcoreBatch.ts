/**
 * FlowCore's `POST /api/telemetry/batch` body `{"events":[…]}` (at most 50 events): each event is
 * checked against the contract table; one that breaks it is refused (reported, not written); e-mail
 * addresses outside `epk_invite_sent.invitedEmail` are replaced before anything is written and
 * reported. The accepted events become JSONL lines, one per event, which the FlowCore reader
 * indexes.
 */
import { isObj, type Obj } from '../source/eventFields';
import { checkFlowcoreEvent } from '../source/formats/flowcore';
import { redactEmails } from '../ops/exportJsonl';
import { HttpError } from './body';

export const MAX_BATCH_EVENTS = 50;

export interface BatchResult {
  /** The accepted events, one JSON line each (already redacted). */
  lines: Buffer;
  accepted: number;
  rejected: number;
  /** Addresses replaced, per event. */
  redacted: number;
  /** One line per problem: `events[i]: …`. */
  problems: string[];
}

export function checkBatch(body: unknown): BatchResult {
  if (!isObj(body) || !Array.isArray(body.events)) throw new HttpError(400, 'the body must be {"events":[…]}');
  const events = body.events as unknown[];
  if (events.length > MAX_BATCH_EVENTS) throw new HttpError(413, `batch of ${events.length} events: at most ${MAX_BATCH_EVENTS} per request`);
  const out: Buffer[] = [];
  const problems: string[] = [];
  let rejected = 0;
  let redacted = 0;
  events.forEach((e, i) => {
    if (!isObj(e)) {
      rejected++;
      problems.push(`events[${i}]: not an event object (refused)`);
      return;
    }
    const checked = checkFlowcoreEvent(e);
    if (checked.contract.length) {
      rejected++;
      for (const p of checked.contract) problems.push(`events[${i}]: ${p} (refused)`);
      return;
    }
    let line: Buffer = Buffer.from(JSON.stringify(e), 'utf8');
    if (checked.pii.length) {
      line = redactEmails(line);
      if (checkFlowcoreEvent(JSON.parse(line.toString('utf8')) as Obj).pii.length) {
        rejected++;
        problems.push(`events[${i}]: PII: an e-mail address could not be redacted (refused)`);
        return;
      }
      redacted++;
      for (const f of checked.pii) problems.push(`events[${i}]: PII: e-mail address in ${f} (redacted)`);
    }
    out.push(line, NEWLINE);
  });
  return { lines: Buffer.concat(out), accepted: events.length - rejected, rejected, redacted, problems };
}

const NEWLINE = Buffer.from('\n');
