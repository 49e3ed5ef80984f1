/**
 * Tool calls inside a run: tool.start / tool.end pairs (sometimes in parallel), result capture per agent
 * (summary for main, full for coder and research) and externalization of big params or results.
 */
import { makeTool, startParams, TOOL_NAMES, type ToolCall, type ToolOpts, type ToolStyle } from './content';
import { Emitter, NO_SID, type RunOpts, type Session, type ToolPlan } from './emitter';
import { BLOB_THRESHOLD, UNKNOWN } from './world';
import type { AgentName, ProducerBlobRef } from './writer';

export type Outcome = 'ok' | 'failed' | 'aborted';

const STYLES: Record<AgentName, ToolStyle> = {
  main: { textKeys: false, pathKey: 0.15, docs: false },
  coder: { textKeys: true, pathKey: 0.05, docs: false },
  research: { textKeys: false, pathKey: 0.1, docs: true },
};
const TOOL_WEIGHTS: Record<AgentName, number[]> = {
  // read, write, edit, exec, grep, glob
  main: [30, 8, 14, 18, 14, 16],
  coder: [32, 10, 20, 22, 10, 6],
  research: [45, 5, 2, 3, 25, 20],
};
const SIZE_HINT: Record<AgentName, number> = { main: 30, coder: 30, research: 30 };
const LARGE_P: Record<AgentName, number> = { main: 0.03, coder: 0.08, research: 0.06 };

export class ToolCalls extends Emitter {
  protected makeCall(s: Session, planned: ToolPlan | undefined): ToolCall {
    const rng = this.rng;
    const name = planned?.name ?? rng.weighted(TOOL_NAMES, TOOL_WEIGHTS[s.agent]);
    const opts: ToolOpts = { ...planned?.opts };
    if (!planned) {
      // Keep a few blobs early in every directory, then about 2% of tool calls.
      const boost = s.agent === 'coder' ? this.world.blobCount.coder < 6 : this.world.blobCount[s.agent] < 1;
      const bigKind = s.agent === 'main' ? name === 'write' : name !== 'edit' && name !== 'glob';
      if (bigKind && rng.chance(boost ? 0.35 : LARGE_P[s.agent])) opts.large = true;
      if (name === 'exec' && rng.chance(0.05)) opts.fail = true;
      if (name === 'read' && rng.chance(0.03)) opts.enoent = true;
    }
    return makeTool(rng, name, STYLES[s.agent], opts, SIZE_HINT[s.agent]);
  }

  /** Runs one turn's tool calls, sometimes in parallel (all starts, then the ends as they finish). */
  protected tools(s: Session, runId: string, calls: ToolCall[], o: RunOpts): { tokens: number; outcome: Outcome } {
    const rng = this.rng;
    const ids = calls.map(() => `toolu_${rng.hex(24)}`);
    const parallel = calls.length > 1 && calls.every((c) => c.name === 'read' || c.name === 'grep' || c.name === 'glob') && rng.chance(0.5);
    let tokens = 0;
    let outcome: Outcome = 'ok';
    const start = (i: number): void => {
      this.tick(rng.int(2, 30));
      const c = calls[i]!;
      this.emit(s, runId, 'tool.start', 'hook', 'before_tool_call', { toolName: c.name, toolCallId: ids[i], params: startParams(c.params) }, NO_SID);
    };
    if (parallel) {
      calls.forEach((_, i) => start(i));
      const t0 = this.t;
      const order = calls.map((c, i) => ({ i, at: t0 + c.durationMs })).sort((a, b) => a.at - b.at || a.i - b.i);
      for (const { i, at } of order) {
        this.t = Math.max(this.t, at);
        this.toolEnd(s, runId, calls[i]!, ids[i]!);
        tokens += calls[i]!.tokens;
      }
      return { tokens, outcome };
    }
    for (let i = 0; i < calls.length && outcome === 'ok'; i++) {
      const c = calls[i]!;
      start(i);
      if (o.deadline !== undefined && this.t + c.durationMs > o.deadline) {
        c.durationMs = Math.max(1, o.deadline - this.t);
        c.result = undefined;
        c.error = 'Aborted: subagent run timed out';
        outcome = 'aborted';
      } else if (o.fail && c.error) {
        outcome = 'failed';
      }
      this.tick(c.durationMs);
      this.toolEnd(s, runId, c, ids[i]!);
      tokens += c.tokens;
    }
    return { tokens, outcome };
  }

  private toolEnd(s: Session, runId: string, c: ToolCall, toolCallId: string): void {
    const id = this.world.ids.next();
    const data: Record<string, unknown> = { toolName: c.name, toolCallId, isError: !!c.error, durationMs: c.durationMs };
    let blobRefs: ProducerBlobRef[] | undefined;
    const keep = (key: 'params' | 'result', role: 'input' | 'result', value: unknown, text: string): void => {
      if (s.agent !== 'main' || key === 'params') {
        if (text.length > BLOB_THRESHOLD) {
          const x = this.world.externalize(s.agent, this.rng, id, role, text);
          if ('ref' in x) (blobRefs ??= []).push(x.ref);
          else data[key] = x.inline;
          return;
        }
        data[key] = value;
      } else {
        data[key] = text.slice(0, 500); // summary capture: first 500 chars of the JSON, often cut mid-value
      }
    };
    keep('params', 'input', c.params, JSON.stringify(c.params));
    if (c.result !== undefined) keep('result', 'result', c.result, typeof c.result === 'string' ? c.result : JSON.stringify(c.result));
    if (c.error) data.error = c.error;
    if (c.filePath) data.filePath = c.filePath;
    if (c.execCommand) data.execCommand = c.execCommand;
    this.emit(s, runId, 'tool.end', 'hook', 'after_tool_call', data, { id, sessionId: UNKNOWN, blobRefs });
  }

  /** A subagent session run to completion (or timeout) while the parent waits. Returns tokens it adds to the parent. */
}
