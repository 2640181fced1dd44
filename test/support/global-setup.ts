/**
 * Starts the real servers the integration tests share, on free loopback ports
 * with throw-away state: FerretDB and the Temporal CLI dev server (with the
 * project's search attributes). The Java time-skipping server is started by
 * each workflow test file through @temporalio/testing.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type ManagedProcess } from '../../stack/processes';
import { startFerretDb, startTemporalServer } from '../../stack/services';

declare global {
  var __XS_TEST_SERVERS__: ManagedProcess[] | undefined;
}

export default async function globalSetup(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'xs-test-'));
  const [mongoPort, temporalPort] = [await freePort(), await freePort()];
  const servers = await Promise.all([
    startFerretDb({ port: mongoPort, dataDir: join(dir, 'ferretdb'), logFile: join(dir, 'ferretdb.log') }),
    startTemporalServer({ port: temporalPort, uiPort: 0, logFile: join(dir, 'temporal.log') }),
  ]);
  globalThis.__XS_TEST_SERVERS__ = servers;
  process.env.XS_TEST_DIR = dir;
  process.env.XS_TEST_MONGODB_URL = `mongodb://127.0.0.1:${mongoPort}`;
  process.env.XS_TEST_TEMPORAL_ADDRESS = `127.0.0.1:${temporalPort}`;
}
