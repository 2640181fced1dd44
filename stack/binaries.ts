/** Where scripts/setup.sh put the binaries it built (cached outside the repository). */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface Binaries {
  temporal: string;
  ferretdb: string;
  testServer: string;
  /** schemathesis' `st` command (in a Python venv), for the API fuzz test. */
  schemathesis: string;
  /** tools/compose-check: validates docker-compose.yml without a Docker engine. */
  composeCheck: string;
}

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.XS_CACHE_DIR || join(homedir(), '.cache', 'xs-backoffice');
}

export function binaries(env: NodeJS.ProcessEnv = process.env): Binaries {
  const file = join(cacheDir(env), 'paths.json');
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: run \`make setup\` (or \`make up\` / \`make test\`, which run it) first`);
  }
  const paths = JSON.parse(readFileSync(file, 'utf8')) as Binaries;
  for (const [name, path] of Object.entries(paths)) {
    if (!existsSync(path)) throw new Error(`${name} binary ${path} is missing: run \`make setup\` again`);
  }
  return paths;
}
