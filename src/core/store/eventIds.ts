/**
 * Event ids as stored in the index. The producer's ids are `evt_` + 12 hex digits (or, from
 * `randomUUID().slice(0, 12)`, 8 hex, a dash and 3 hex); those are stored as integers, which
 * binds faster and indexes smaller than text. The mapping is one-to-one; any other id stays text.
 */

const HEX12 = /^evt_[0-9a-f]{12}$/;
const UUID12 = /^evt_[0-9a-f]{8}-[0-9a-f]{3}$/;
const UUID_FLAG = 2 ** 48;

export function encodeEventId(id: string): string | number {
  if (id.length !== 16) return id;
  if (HEX12.test(id)) return parseInt(id.slice(4), 16);
  if (UUID12.test(id)) return UUID_FLAG + parseInt(id.slice(4, 12) + id.slice(13), 16);
  return id;
}

export function decodeEventId(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v !== 'number') return String(v);
  if (v >= UUID_FLAG) {
    const h = (v - UUID_FLAG).toString(16).padStart(11, '0');
    return `evt_${h.slice(0, 8)}-${h.slice(8)}`;
  }
  return `evt_${v.toString(16).padStart(12, '0')}`;
}
