/**
 * Quiet test runs: every log line of a test file (the Temporal SDK's worker
 * and bundler lines, the workflows' and activities' logs, the API's request
 * logs) goes to a file of its own under .test-logs/<run>/ instead of the
 * terminal (the Java test servers' stderr to java-test-servers.log there).
 * test/support/logs-on-failure.js prints the end of that file when the test
 * file fails.
 *
 * Runs before each integration test file (jest setupFilesAfterEnv): each file
 * has its own module registry, so its own SDK Runtime, created on first use
 * (a file that starts no worker starts no Runtime) with these options.
 */
import { Runtime } from '@temporalio/worker';
import pino from 'pino';
import { createLogger, setDefaultLogDestination } from '../../observability/logger';
import { sdkLogging } from '../../workers/logging';
import { logFileFor } from './log-files';

const testPath = expect.getState().testPath;

/** For what a test wants on record (figures, timings) without printing it on success: its log file. */
export const testLog = () => createLogger('info', { source: 'test' });

if (testPath) {
  const file = logFileFor(testPath);
  setDefaultLogDestination(pino.destination({ dest: file, sync: true, mkdir: true }));
  Runtime.defaultOptions = sdkLogging(createLogger('info', { test: testPath.slice(testPath.lastIndexOf('/') + 1) }), 'info');
}
