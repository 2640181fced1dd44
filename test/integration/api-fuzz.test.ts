/**
 * Property-based fuzzing of the whole OpenAPI document with schemathesis
 * (installed by scripts/setup.sh, path from stack/binaries.ts): every
 * operation gets examples, boundary values, random valid and invalid inputs
 * and chains of calls, and every answer must be no server error and match the
 * document (status code, content type, headers, body schema).
 *
 * Reproducible: derandomized with a fixed seed and no example database. The
 * JUnit report and schemathesis' own output land in a temporary directory,
 * named on failure together with the curl lines that reproduce each failure.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCAL_API_KEYS } from '../../config/api-keys';
import { binaries } from '../../stack/binaries';
import { startApiHarness, type ApiHarness } from '../support/api-harness';

// ~2 min on an idle 2-core machine; 13x slower seen when other heavy jobs shared it.
const RUN_TIMEOUT_MS = 25 * 60_000;
/** Per operation and phase; about 1.5 minutes for the whole document on 2 cores. */
const MAX_EXAMPLES = 50;

/**
 * What the fuzzer asserts. Left out: positive_data_acceptance (well-formed
 * requests are refused by design with 422, e.g. an unknown company, a
 * password breaking the policy, a month still to come), unsupported_method and
 * allow_header_conformance (unrouted methods answer 404, not 405), use_after_free
 * (the one DELETE cancels a card block; the card stays) and
 * object_level_authorization (needs a second caller's resources; the roles are
 * tested in api-security.test.ts).
 */
const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_schema_conformance',
  'response_headers_conformance',
  'negative_data_rejection',
  'missing_required_header',
  'ignored_auth',
  'ensure_resource_availability',
  'unsupported_method',
  'allow_header_conformance',
];

let h: ApiHarness;
beforeAll(async () => {
  h = await startApiHarness();
});
afterAll(() => h?.close());

function run(command: string, args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, NO_COLOR: '1', COLUMNS: '160' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGTERM'), RUN_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

test(
  'schemathesis finds no server error and no answer outside the OpenAPI document',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xs-fuzz-'));
    const args = [
      'run',
      `${h.baseUrl}/openapi.json`,
      '--url',
      h.baseUrl,
      '--header',
      `Authorization: Bearer ${LOCAL_API_KEYS.backoffice}`,
      '--checks',
      CHECKS.join(','),
      '--max-examples',
      String(MAX_EXAMPLES),
      // Derandomized: the same examples every run. This mode keeps no example database and ignores --seed.
      '--generation-deterministic',
      // Only the key above: generated X-API-Key values would contradict it (ignored_auth still tries without and with bad keys).
      '--generation-with-security-parameters',
      'false',
      // One worker: Python before 3.11.8 can fail ast.parse in concurrent threads (CPython gh-106905), which schemathesis does while generating.
      '--workers',
      '1',
      '--request-timeout',
      '30',
      '--report',
      'junit',
      '--report-junit-path',
      join(dir, 'junit.xml'),
      '--no-color',
    ];
    const { code, output } = await run(binaries().schemathesis, args, dir);
    writeFileSync(join(dir, 'output.txt'), output);
    if (code !== 0) {
      const how = code === null ? `was stopped after ${RUN_TIMEOUT_MS / 60_000} minutes` : `exited with ${code}`;
      throw new Error(
        `schemathesis ${how}; JUnit report and output in ${dir}. ` +
          `The curl lines show the key as [Filtered]: it is LOCAL_API_KEYS.backoffice (config/api-keys.ts).\n\n${output}`,
      );
    }
  },
  RUN_TIMEOUT_MS + 30_000,
);
