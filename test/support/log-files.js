// Where a test file's logs go (plain JS: jest.config.js and the reporter load it without a transform).
const { mkdirSync, readdirSync, rmSync } = require('node:fs');
const { join, relative } = require('node:path');

const ROOT = join(__dirname, '..', '..');
const LOGS = join(ROOT, '.test-logs');
/** Runs kept: the newest ones. */
const KEEP = 5;

/** This run's folder: named once in the jest parent (jest.config.js), inherited by the workers through the environment. */
function runLogDir() {
  if (!process.env.XS_TEST_LOG_DIR) {
    process.env.XS_TEST_LOG_DIR = join(LOGS, new Date().toISOString().replace(/[:.]/g, '-'));
    // The Java time-skipping servers' stderr (scripts/setup.sh writes their launcher), one file for the run:
    // the servers are spawned by the SDK's core, which sees the real environment, not a test file's copy.
    process.env.XS_TEST_SERVER_LOG = join(process.env.XS_TEST_LOG_DIR, 'java-test-servers.log');
    mkdirSync(process.env.XS_TEST_LOG_DIR, { recursive: true });
  }
  return process.env.XS_TEST_LOG_DIR;
}

function logFileFor(testPath) {
  return join(runLogDir(), `${relative(ROOT, testPath).replace(/[\\/]/g, '__')}.log`);
}

/** Forgets all but the newest runs' logs. */
function pruneOldRuns() {
  mkdirSync(LOGS, { recursive: true });
  const runs = readdirSync(LOGS).sort();
  for (const old of runs.slice(0, Math.max(0, runs.length - KEEP))) rmSync(join(LOGS, old), { recursive: true, force: true });
}

module.exports = { runLogDir, logFileFor, pruneOldRuns };
