/**
 * Patch IDs in three places: the workflow sources, their git history, and the
 * patch markers of the recorded histories; and the registry that must account
 * for every one of them (workflows/patches.json).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { History } from '@temporalio/common/lib/proto-utils';

export const WORKFLOWS_DIR = join(__dirname, '..', '..', 'workflows');
export const REGISTRY_PATH = join(WORKFLOWS_DIR, 'patches.json');

export type PatchState = 'patched' | 'deprecated' | 'removed';
export interface PatchEntry {
  workflow: string;
  state: PatchState;
  /** Commits: where the patch came in, was deprecated, was removed. */
  patched: string;
  deprecated?: string | null;
  removed?: string | null;
  /** Why a patched entry has no history in the corpus (its branch cannot be recorded). */
  noHistory?: string;
  /** Only for the one historical removal without deprecation (see the test). */
  removedWithoutDeprecation?: string;
}

export function loadRegistry(): Record<string, PatchEntry> {
  return (JSON.parse(readFileSync(REGISTRY_PATH, 'utf8')) as { patches: Record<string, PatchEntry> }).patches;
}

export interface PatchCall {
  id: string;
  kind: 'patched' | 'deprecatePatch';
  where: string;
}

const CALL = /\b(patched|deprecatePatch)\(\s*(?:'([^']*)'|"([^"]*)"|(\w+))\s*\)/g;
const CONSTANT = /\bconst\s+(\w+)\s*=\s*['"]([^'"]+)['"]/g;

/**
 * The patch calls in some source text. An ID is a string literal or a
 * constant of one declared in the same text (or in `constants`); anything
 * else lands in `unresolved`.
 */
export function patchCalls(text: string, where: string, constants = new Map<string, string>()): { calls: PatchCall[]; unresolved: string[] } {
  const local = new Map(constants);
  for (const [, name, value] of text.matchAll(CONSTANT)) local.set(name!, value!);
  const calls: PatchCall[] = [];
  const unresolved: string[] = [];
  for (const [call, kind, single, double, name] of text.matchAll(CALL)) {
    const id = single ?? double ?? local.get(name!);
    if (id === undefined) unresolved.push(`${where}: ${call}`);
    else calls.push({ id, kind: kind as PatchCall['kind'], where });
  }
  return { calls, unresolved };
}

/** The patch calls of today's workflows/ sources. */
export function sourcePatchCalls(): { calls: PatchCall[]; unresolved: string[] } {
  const files = readdirSync(WORKFLOWS_DIR, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).sort();
  const texts = files.map((f) => ({ f, text: readFileSync(join(WORKFLOWS_DIR, f), 'utf8') }));
  // Constants may be exported from one file and used in another.
  const constants = new Map<string, string>();
  for (const { text } of texts) for (const [, name, value] of text.matchAll(CONSTANT)) constants.set(name!, value!);
  const all = texts.map(({ f, text }) => patchCalls(text.replace(/^\s*(\/\/|\*).*$/gm, ''), `workflows/${f}`, constants));
  return { calls: all.flatMap((a) => a.calls), unresolved: all.flatMap((a) => a.unresolved) };
}

/**
 * Every patch ID that ever appeared in workflows/ according to git: each
 * commit's diff, with the constants that diff declares. Undefined when this
 * is not a git checkout.
 */
export function patchIdsInGitHistory(root: string): Map<string, string> | undefined {
  const log = spawnSync('git', ['log', '-p', '--format=@@commit %h', '--', 'workflows'], { cwd: root, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (log.status !== 0) return undefined;
  const seen = new Map<string, string>(); // id -> oldest commit it appears in
  for (const chunk of log.stdout.split('@@commit ').slice(1)) {
    const commit = chunk.slice(0, chunk.indexOf('\n'));
    // Lines of the diff without their +/-/space prefix, comments dropped.
    const code = chunk
      .split('\n')
      .filter((l) => /^[-+ ]/.test(l) && !/^(\+\+\+|---) /.test(l))
      .map((l) => l.slice(1))
      .filter((l) => !/^\s*(\/\/|\*)/.test(l))
      .join('\n');
    for (const { id } of patchCalls(code, commit).calls) seen.set(id, commit);
  }
  return seen;
}

export interface PatchMarker {
  id: string;
  deprecated: boolean;
}

/** The patch markers Core recorded in a history (name core_patch, JSON details 'patch-data': { id, deprecated }). */
export function patchMarkers(history: History): PatchMarker[] {
  return (history.events ?? []).flatMap((e) => {
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_patch') return [];
    const payload = marker.details?.['patch-data']?.payloads?.[0];
    const data = JSON.parse(Buffer.from(payload!.data!).toString('utf8')) as { id: string; deprecated: boolean };
    return [{ id: data.id, deprecated: data.deprecated }];
  });
}
