// A jest reporter: when a test file fails, prints where its logs are and their last lines (test/support/test-logs.ts).
const { existsSync, readFileSync } = require('node:fs');
const { logFileFor, pruneOldRuns, runLogDir } = require('./log-files');

const TAIL = 80;

class LogsOnFailure {
  onRunStart() {
    pruneOldRuns();
  }

  onTestResult(test, result) {
    if (!(result.numFailingTests > 0 || result.testExecError)) return;
    const file = logFileFor(test.path);
    if (!existsSync(file)) return;
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    process.stderr.write(`\nlogs of ${test.path} (${lines.length} lines, last ${Math.min(TAIL, lines.length)}): ${file}\n${lines.slice(-TAIL).join('\n')}\n\n`);
  }

  onRunComplete() {
    process.stderr.write(`test logs: ${runLogDir()}\n`);
  }
}

module.exports = LogsOnFailure;
