/**
 * Which code is this? The build of the source tree, for the worker's
 * deployment version (when WORKER_BUILD_ID is not given) and for the folder a
 * recorded history goes to (test/replay/histories/<build>/).
 *
 * From git when the tree is a checkout: the package version, the commit, and
 * for uncommitted changes to the workflow code a hash of the diff, so two
 * different working trees never share a build ID. Without git (an image built
 * without its .git) only the version is known: production therefore requires
 * WORKER_BUILD_ID (config/index.ts).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** What decides how a workflow replays: its code and the pure rules it imports. */
const WORKFLOW_SOURCES = ['workflows', 'domain'];

export interface SourceBuild {
  version: string;
  /** Short commit of HEAD; undefined without git. */
  commit?: string;
  commitFull?: string;
  /** The commit's date, YYYY-MM-DD. */
  commitDay?: string;
  /** Hash of the uncommitted changes to the workflow code, if any. */
  wip?: string;
}

function git(root: string, args: string[]): string | undefined {
  const run = spawnSync('git', args, { cwd: root, encoding: 'utf8', timeout: 10_000 });
  return run.status === 0 ? run.stdout : undefined;
}

export function sourceBuild(root: string): SourceBuild {
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const head = git(root, ['log', '-1', '--format=%H %h %cs'])?.trim();
  if (!head) return { version };
  const [commitFull, commit, commitDay] = head.split(' ');
  const diff = git(root, ['diff', 'HEAD', '--', ...WORKFLOW_SOURCES]) ?? '';
  const untracked = git(root, ['ls-files', '--others', '--exclude-standard', '--', ...WORKFLOW_SOURCES]) ?? '';
  const changed = diff + untracked.split('\n').filter(Boolean).map((f) => `${f}\n${readFileSync(join(root, f), 'utf8')}`).join('\n');
  const wip = changed ? createHash('sha256').update(changed).digest('hex').slice(0, 6) : undefined;
  return { version, commit, commitFull, commitDay, ...(wip ? { wip } : {}) };
}

/** `0.1.0-9cad725`, `0.1.0-9cad725-wip3fa2c1` with uncommitted workflow changes, `0.1.0` without git. */
export function derivedBuildId(build: SourceBuild): string {
  return [build.version, build.commit, build.wip && `wip${build.wip}`].filter(Boolean).join('-');
}

/** The directory of package.json above this file (config/ in the sources, dist/config/ compiled). */
export function projectRoot(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}
