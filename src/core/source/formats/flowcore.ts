/**
 * FlowCore telemetry (seed 000, formats note §4): event records `{type|event|name, timestamp|ts,
 * sessionId?, metadata}` as JSONL lines, or batch bodies `{"events":[…]}` (a line or a whole
 * `.json` file). Checked against the seed's contract table: unknown names, metadata of the wrong
 * type, and e-mail addresses outside `epk_invite_sent.invitedEmail` (PII) become problems.
 * sessionStart/sessionEnd are session events, agentRun a run; the rest keep their own name.
 */
import { idOf, isObj, str, timeOf, type Obj } from '../eventFields';
import { lineEventId, shortHash, type Format, type MapContext, type OpenClawShaped } from './types';

type FieldType = 'string' | 'boolean' | 'number' | 'string[]' | 'string|number';

interface Contract {
  fields: Record<string, FieldType>;
  /** `[key: string]: unknown`: other keys allowed. */
  open?: boolean;
}

/** The seed's contract table (Phase 17). */
export const FLOWCORE_CONTRACTS: Record<string, Contract> = {
  sessionStart: { fields: {} },
  sessionEnd: { fields: {} },
  save: { fields: { action: 'string' }, open: true },
  share: { fields: { target: 'string' }, open: true },
  agentRun: { fields: { agentName: 'string', success: 'boolean', attachmentsUsed: 'number' }, open: true },
  pitch_sent: { fields: { campaignId: 'string', contactName: 'string', assetIds: 'string[]' } },
  tracker_update: { fields: { campaignId: 'string', logCount: 'number', source: 'string' } },
  tabChange: { fields: { fromTab: 'string', toTab: 'string' } },
  idle: { fields: { reason: 'string' } },
  dashboard_opened: { fields: { campaignId: 'string', period: 'string|number', dataPoints: 'number' } },
  flow_hub_opened: { fields: { period: 'number' } },
  flow_hub_tab_changed: { fields: { tab: 'string' } },
  flow_brief_generated: { fields: { period: 'number', forceRefresh: 'boolean', cached: 'boolean' } },
  epk_metrics_viewed: { fields: { epkId: 'string', groupBy: 'string', eventCount: 'number' } },
  epk_asset_tracked: { fields: { epkId: 'string', assetId: 'string', eventType: 'string' } },
  epk_collaborators_loaded: { fields: { collaboratorCount: 'number' } },
  epk_invite_sent: { fields: { role: 'string', invitedEmail: 'string', inviteId: 'string' } },
  epk_invite_revoked: { fields: { inviteId: 'string' } },
  epk_collaborator_removed: { fields: { collaboratorId: 'string' } },
  epk_comments_loaded: { fields: { commentCount: 'number' } },
  epk_comment_created: { fields: { hasParent: 'boolean', commentId: 'string' } },
  epk_comment_updated: { fields: { commentId: 'string' } },
  epk_comment_deleted: { fields: { commentId: 'string' } },
};

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/;

/** The event name of a record: `type`, `event` or `name`. */
function nameOf(o: Obj): string | null {
  return str(o.type) ?? str(o.event) ?? str(o.name);
}

export const flowcore: Format = {
  name: 'flowcore',
  detect(o) {
    if (Array.isArray(o.events)) return true;
    const name = nameOf(o);
    return name !== null && (name in FLOWCORE_CONTRACTS || isObj(o.metadata));
  },
  map(o: Obj, ctx: MapContext) {
    const events: OpenClawShaped[] = [];
    const problems: string[] = [];
    if (Array.isArray(o.events)) {
      if (o.events.length > 50) problems.push(`FlowCore batch of ${o.events.length} events (the contract sends at most 50)`);
      o.events.forEach((e, i) => {
        if (!isObj(e)) {
          problems.push(`events[${i}]: not an event object`);
          return;
        }
        mapOne(e, ctx, i, `events[${i}].`, events, problems);
      });
    } else {
      mapOne(o, ctx, 0, '', events, problems);
    }
    return { events, problems };
  },
};

function mapOne(e: Obj, ctx: MapContext, i: number, where: string, events: OpenClawShaped[], problems: string[]): void {
  const name = nameOf(e) ?? '(no name)';
  const ts = timeOf(e.timestamp) ?? timeOf(e.ts);
  const sessionKey = idOf(e.sessionId);
  const meta: Obj = isObj(e.metadata) ? e.metadata : {};
  const checked = checkFlowcoreEvent(e);
  problems.push(...checked.contract.map((p) => `${where}${p}`), ...checked.pii.map((f) => `PII: e-mail address in ${where}${f}`));
  const id = lineEventId(ctx, i * 2);
  const data: Obj = { event: name, ...meta };
  if (name === 'sessionStart' || name === 'sessionEnd') {
    events.push({ id, ts, kind: name === 'sessionStart' ? 'session.start' : 'session.end', sessionKey, data });
  } else if (name === 'agentRun') {
    const runId = `${sessionKey ?? 'flowcore'}#${shortHash(ctx)}${i ? `.${i}` : ''}`;
    const agentId = str(meta.agentName);
    events.push({ id: lineEventId(ctx, i * 2 + 1), ts, kind: 'run.start', agentId, sessionKey, runId, data: { ...data, isHeartbeat: false } });
    events.push({
      id, ts, kind: 'run.end', agentId, sessionKey, runId, data: { ...data, stopReason: meta.success === false ? 'failed' : 'success' },
      ...(meta.success === false ? { error: { message: `agent ${agentId ?? ''} run failed`.replace('  ', ' ') } } : {}),
    });
  } else {
    events.push({ id, ts, kind: name, sessionKey, data });
  }
}

/**
 * One FlowCore event checked against the contract table: `contract` lists what breaks it (unknown
 * name, metadata of the wrong type), `pii` the paths of strings holding an e-mail address outside
 * `epk_invite_sent`'s `metadata.invitedEmail`.
 */
export function checkFlowcoreEvent(e: Obj): { name: string | null; contract: string[]; pii: string[] } {
  const name = nameOf(e);
  const shown = name ?? '(no name)';
  const contract: string[] = [];
  const meta: Obj = isObj(e.metadata) ? e.metadata : {};
  const table = name === null ? undefined : FLOWCORE_CONTRACTS[name];
  if (!table) contract.push(`unknown FlowCore event name "${shown}"`);
  else {
    for (const [field, type] of Object.entries(table.fields)) {
      const v = meta[field];
      if (v !== undefined && v !== null && !hasType(v, type)) contract.push(`${shown}: metadata.${field} should be ${type}, got ${describe(v)}`);
    }
  }
  if (e.metadata !== undefined && !isObj(e.metadata)) contract.push(`${shown}: metadata should be an object, got ${describe(e.metadata)}`);
  const pii = emailFields(e, '').filter((field) => !(name === 'epk_invite_sent' && field === 'metadata.invitedEmail'));
  return { name, contract, pii };
}

function hasType(v: unknown, t: FieldType): boolean {
  switch (t) {
    case 'string[]':
      return Array.isArray(v) && v.every((x) => typeof x === 'string');
    case 'string|number':
      return typeof v === 'string' || typeof v === 'number';
    default:
      return typeof v === t;
  }
}

function describe(v: unknown): string {
  return Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v;
}

/** Paths of string values (at any depth) holding an e-mail address. */
function emailFields(v: unknown, path: string): string[] {
  if (typeof v === 'string') return EMAIL.test(v) ? [path] : [];
  if (Array.isArray(v)) return v.flatMap((x, i) => emailFields(x, `${path}[${i}]`));
  if (isObj(v)) return Object.entries(v).flatMap(([k, x]) => emailFields(x, path ? `${path}.${k}` : k));
  return [];
}
