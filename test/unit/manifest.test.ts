/**
 * The published manifest: the Marketplace icon is a real 128×128 PNG, the walkthrough's steps point
 * at media that exist and complete on commands and settings the extension contributes, and the
 * settings restricted in untrusted workspaces are real settings (a typo would silently restrict
 * nothing). Read from the real package.json and files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', '..');
interface Step { id: string; description: string; media: { image?: string; markdown?: string; altText?: string }; completionEvents: string[] }
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  icon: string;
  keywords: string[];
  categories: string[];
  homepage: string;
  bugs: { url: string };
  repository: { url: string };
  capabilities: { untrustedWorkspaces: { supported: boolean | 'limited'; restrictedConfigurations?: string[] }; virtualWorkspaces: { supported: boolean } };
  contributes: {
    commands: { command: string }[];
    configuration: { properties: Record<string, unknown> };
    walkthroughs: { id: string; steps: Step[] }[];
  };
};
const commands = new Set(pkg.contributes.commands.map((c) => c.command));
const settings = new Set(Object.keys(pkg.contributes.configuration.properties));

test('the icon is a 128×128 PNG', () => {
  const png = readFileSync(path.join(root, pkg.icon));
  assert.ok(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), 'PNG signature');
  assert.equal(png.toString('latin1', 12, 16), 'IHDR');
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [128, 128]);
});

test('keywords, categories and links are set; links follow the repository host', () => {
  assert.ok(pkg.keywords.length >= 5 && pkg.keywords.length <= 30);
  assert.ok(pkg.categories.includes('Visualization'));
  const host = new URL(pkg.repository.url).host;
  assert.equal(new URL(pkg.homepage).host, host);
  assert.equal(new URL(pkg.bugs.url).host, host);
});

test('untrusted workspaces: limited, restricting only real settings, including the ones that choose folders to read, write or delete in', () => {
  const u = pkg.capabilities.untrustedWorkspaces;
  assert.equal(u.supported, 'limited');
  for (const s of u.restrictedConfigurations ?? []) assert.ok(settings.has(s), `${s} is a contributed setting`);
  for (const s of ['agentTelemetry.directories', 'agentTelemetry.indexPath', 'agentTelemetry.retention.maxAgeDays']) {
    assert.ok(u.restrictedConfigurations?.includes(s), `${s} is restricted`);
  }
  assert.equal(pkg.capabilities.virtualWorkspaces.supported, false);
});

test('the walkthrough: four steps with existing media, completed by contributed commands and settings', () => {
  const [w] = pkg.contributes.walkthroughs;
  assert.ok(w);
  assert.deepEqual(w.steps.map((s) => s.id), ['openSample', 'addFolder', 'openReplay', 'setRetention']);
  for (const step of w.steps) {
    const media = step.media.image ?? step.media.markdown;
    assert.ok(media && existsSync(path.join(root, media)), `${step.id}: media ${media}`);
    if (step.media.image) assert.ok(step.media.altText, `${step.id}: image alt text`);
    assert.ok(step.completionEvents.length > 0);
    for (const ev of step.completionEvents) {
      const [kind, what] = ev.split(':', 2) as [string, string];
      if (kind === 'onCommand') assert.ok(commands.has(what), `${step.id}: ${what} is a contributed command`);
      else if (kind === 'onSettingChanged') assert.ok(settings.has(what), `${step.id}: ${what} is a contributed setting`);
      else assert.fail(`${step.id}: unexpected completion event ${ev}`);
    }
    // Command links in the description run contributed commands (or VS Code's own settings editor).
    for (const m of step.description.matchAll(/\(command:([\w.]+)/g)) {
      assert.ok(commands.has(m[1]!) || m[1] === 'workbench.action.openSettings', `${step.id}: link to ${m[1]}`);
    }
  }
});
