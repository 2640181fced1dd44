/**
 * Recording workflow histories for the replay test. A workflow test calls
 * `recordHistory(handle, name)` at the end of a scenario; it writes
 * test/replay/histories/<name>.json only when RECORD_HISTORIES=1
 * (`npm run record-histories`), and does nothing otherwise, so the committed
 * histories change only when someone re-records them on purpose.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';

export const HISTORIES_DIR = join(__dirname, '..', 'replay', 'histories');

export async function recordHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const history = await handle.fetchHistory();
  // The proto3 JSON form (as `temporal workflow show --output json` writes it).
  writeFileSync(join(HISTORIES_DIR, `${name}.json`), JSON.stringify(JSON.parse(historyToJSON(history)), null, 1) + '\n');
}
