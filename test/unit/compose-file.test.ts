/**
 * docker-compose.yml is checked without a Docker engine by tools/compose-check (built by
 * scripts/setup.sh): the Compose specification's loader and JSON schema, plus what users rely
 * on (healthchecks where others wait for them, no host port published twice). The broken copies
 * prove the check can fail, and that it names the problem.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binaries } from '../../stack/binaries';
import { STOP_GRACE_PERIOD_S } from '../../workers/shutdown';

const ROOT = join(__dirname, '..', '..');
const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');
const SERVICES = ['postgresql', 'temporal', 'temporal-setup', 'schedules', 'temporal-ui', 'mongo', 'maildev', 'worker', 'api', 'codec'];
/** The worker's stop_grace_period, as the project derives it from its activity timeouts. */
const WORKER_GRACE = `worker=${STOP_GRACE_PERIOD_S}s`;

let bin: string;
let dir: string;
const original = readFileSync(COMPOSE_FILE, 'utf8');

beforeAll(() => {
  const path = binaries().composeCheck;
  if (!path) throw new Error('the compose-check binary is not in the setup cache: run `make setup` again');
  bin = path;
  dir = mkdtempSync(join(tmpdir(), 'compose-check-'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function check(file: string, ...flags: string[]): { code: number | null; stdout: string; stderr: string } {
  const run = spawnSync(bin, [...flags, file], { encoding: 'utf8', timeout: 30_000 });
  if (run.error) throw run.error;
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** Writes a copy of docker-compose.yml changed by `edit` to the temp dir; fails if the edit changed nothing. */
function brokenCopy(name: string, edit: (yaml: string) => string): string {
  const yaml = edit(original);
  expect(yaml).not.toBe(original);
  const file = join(dir, name);
  writeFileSync(file, yaml);
  return file;
}

function replaceOnce(yaml: string, from: string, to: string): string {
  expect(yaml.split(from)).toHaveLength(2);
  return yaml.replace(from, to);
}

/** Removes the `healthcheck:` block of one service (the lines indented under it). */
function withoutHealthcheck(yaml: string, service: string): string {
  const lines = yaml.split('\n');
  const start = lines.indexOf(`  ${service}:`);
  expect(start).toBeGreaterThanOrEqual(0);
  let end = lines.findIndex((line, i) => i > start && /^ {0,2}\S/.test(line));
  if (end < 0) end = lines.length;
  const at = lines.findIndex((line, i) => i > start && i < end && line === '    healthcheck:');
  expect(at).toBeGreaterThan(start);
  let after = at + 1;
  while (after < end && (lines[after] ?? '').startsWith('      ')) after++;
  lines.splice(at, after - at);
  return lines.join('\n');
}

describe('docker-compose.yml (tools/compose-check)', () => {
  test('is a valid Compose file with every service docs/operations.md promises', () => {
    const result = check(COMPOSE_FILE);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    for (const service of SERVICES) expect(result.stdout).toMatch(new RegExp(`^service ${service}\\s.*healthcheck`, 'm'));
    expect(result.stdout).toMatch(/^service worker\s.*replicas 2; healthcheck yes/m);
    expect(result.stdout).toMatch(/^service api\s.*healthcheck yes; ports 3000->3000\/tcp/m);
    expect(result.stdout).toContain('docker-compose.yml is valid');
  });

  test('the worker may drain as long as workers/shutdown.ts says (derived from the activity profiles), no less and no more', () => {
    const result = check(COMPOSE_FILE, '-stop-grace', WORKER_GRACE);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^service worker\\s.*; stop grace ${STOP_GRACE_PERIOD_S}s$`, 'm'));
    // Schedules are applied by a one-shot job the workers do not wait for.
    expect(result.stdout).toMatch(/^service schedules\s.*depends on temporal-setup\(completed_successfully\); stop grace/m);
    expect(result.stdout).not.toMatch(/^service worker\s.*depends on .*schedules/m);
  });

  test('a worker stopped before it drained (Docker\'s default 10 s) is refused, naming the grace it needs', () => {
    const file = brokenCopy('short-grace.yml', (yaml) => replaceOnce(yaml, `    stop_grace_period: ${STOP_GRACE_PERIOD_S}s\n`, ''));
    const result = check(file, '-stop-grace', WORKER_GRACE);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('service "worker" stops after 10s (stop_grace_period), less than the ');
    expect(result.stderr).toContain(`set stop_grace_period: ${STOP_GRACE_PERIOD_S}s`);
  });

  test('an unknown top-level key fails the Compose JSON schema', () => {
    const file = brokenCopy('unknown-key.yml', (yaml) => `${yaml}\nservicez:\n  api:\n    image: node:20\n`);
    const result = check(file);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('is not a valid Compose file');
    expect(result.stderr).toContain("additional properties 'servicez' not allowed");
  });

  test('a service others wait for with service_healthy must have a healthcheck', () => {
    const file = brokenCopy('no-healthcheck.yml', (yaml) => withoutHealthcheck(yaml, 'postgresql'));
    const result = check(file);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('1 problem(s)');
    expect(result.stderr).toContain('service "postgresql" has no healthcheck, but "temporal" waits for it with condition: service_healthy');
  });

  test('the worker must have a healthcheck', () => {
    const file = brokenCopy('worker-no-healthcheck.yml', (yaml) => withoutHealthcheck(yaml, 'worker'));
    const result = check(file);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('service "worker" has no healthcheck; it must have one');
  });

  test('a host port published twice is refused', () => {
    const file = brokenCopy('port-twice.yml', (yaml) => replaceOnce(yaml, '- "1080:1080"', '- "3000:1080"'));
    const result = check(file);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('host port 3000/tcp is published by both "api" and "maildev"');
  });

  test('a depends_on naming no service fails the loader', () => {
    const file = brokenCopy('unknown-dependency.yml', (yaml) =>
      replaceOnce(yaml, '      maildev:\n        condition: service_started', '      mail:\n        condition: service_started'),
    );
    const result = check(file);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('service "worker" depends on undefined service "mail"');
  });

  test('variables are interpolated from the env defaults, and an unset one is named', () => {
    const file = brokenCopy('variables.yml', (yaml) => replaceOnce(yaml, '- "3000:3000"', '- "${API_PORT}:3000"'));
    const withDefaults = check(file, '-env-file', join(ROOT, '.env.example'));
    expect(withDefaults.code).toBe(0);
    expect(withDefaults.stdout).toMatch(/^service api\s.*ports 3000->3000\/tcp/m);
    const without = check(file);
    expect(without.code).toBe(1);
    expect(without.stderr).toContain('variable ${API_PORT} is not set');
  });
});
