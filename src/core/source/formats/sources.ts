/**
 * Which kind of producer a session came from, for the icon the tree gives it: the format names of
 * formats/ grouped by the producer a user knows. Kept as bits in the index (`sessions.sources`).
 */
import type { SessionSource } from '../../../protocol/model';

/** Most specific first: a session seen in several is shown as the first of its sources here. */
export const SESSION_SOURCES: readonly SessionSource[] = ['plugin', 'transcript', 'otlp', 'claude-code', 'codex', 'other'];

/** The producer kind of a format name (null: the OpenClaw plugin's own events). */
export function sourceOfFormat(format: string | null): SessionSource {
  if (format === null || format === 'openclaw' || format === 'openclaw-phase1' || format === 'knostic') return 'plugin';
  if (format === 'openclaw-transcript') return 'transcript';
  if (/otlp|otel|opentelemetry/i.test(format)) return 'otlp';
  if (/claude/i.test(format)) return 'claude-code';
  if (/codex/i.test(format)) return 'codex';
  return 'other';
}

export function sourceBit(format: string | null): number {
  return 1 << SESSION_SOURCES.indexOf(sourceOfFormat(format));
}

/** The sources in a bit set, most specific first. */
export function sourcesOf(bits: number): SessionSource[] {
  return SESSION_SOURCES.filter((_, i) => (bits & (1 << i)) !== 0);
}
