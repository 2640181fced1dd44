/**
 * `npm run replay`: can this build's workflow code take over the workflows
 * that are running? Replays histories against the workflow bundle this build
 * would run (WORKFLOW_BUNDLE_PATH, or the sources bundled now) and fails on a
 * determinism error. A deploy runs it before making the new build current
 * (docs/operations.md).
 *
 *   npm run replay -- --from-server [--address host:port] [--namespace ns] [--sample N] [--query '...']
 *     a sample of N workflows of each type from a running server (default: the
 *     configured TEMPORAL_ADDRESS and namespace, N = 20, running ones).
 *   npm run replay -- --histories <dir>
 *     every history JSON under <dir> (the committed corpus: test/replay/histories).
 *
 * A workflow PINNED to another build never runs this build's code: its
 * failure is reported but does not fail the run (workflows/versioning.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection, type HistoryAndWorkflowId } from '@temporalio/client';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import { dataConverter } from '../codec/data-converter';
import { ConfigError, loadConfig } from '../config';
import type { PayloadKey } from '../config/payload-keys';
import { temporalConnectionOptions } from '../config/temporal';
import * as workflows from '../workflows';
import { WORKFLOWS_PATH } from './worker';

export interface ReplayCase extends HistoryAndWorkflowId {
  /** What the report calls it: the workflow ID and run, or the file. */
  label: string;
  workflowType: string;
  /** Pinned to this build ID: its replay failure does not block a deploy. */
  pinnedTo?: string;
}

export interface ReplayOutcome {
  label: string;
  workflowType: string;
  pinnedTo?: string;
  error?: string;
}

export interface ReplayReport {
  outcomes: ReplayOutcome[];
  /** Replay failures of workflows this build would run (not pinned elsewhere). */
  failed: ReplayOutcome[];
}

/** The bundle to replay against: a prebuilt one, or these sources. */
export type BundleSource = { bundlePath: string } | { workflowsPath: string };

export async function replay(cases: ReplayCase[], bundle: BundleSource, payloadKeys: readonly PayloadKey[]): Promise<ReplayReport> {
  const options: ReplayWorkerOptions = {
    ...('bundlePath' in bundle ? { workflowBundle: { codePath: bundle.bundlePath } } : { workflowsPath: bundle.workflowsPath }),
    dataConverter: dataConverter(payloadKeys),
  };
  const outcomes: ReplayOutcome[] = [];
  if (cases.length > 0) {
    // Replay reports by workflow ID; the label keeps runs and files apart.
    const byId = new Map(cases.map((c, i) => [`${i}`, c]));
    const histories = [...byId].map(([id, c]) => ({ workflowId: id, history: c.history }));
    for await (const result of Worker.runReplayHistories(options, histories)) {
      const c = byId.get(result.workflowId)!;
      outcomes.push({
        label: c.label, workflowType: c.workflowType,
        ...(c.pinnedTo ? { pinnedTo: c.pinnedTo } : {}),
        ...(result.error ? { error: result.error.message } : {}),
      });
    }
  }
  return { outcomes, failed: outcomes.filter((o) => o.error && !o.pinnedTo) };
}

export interface ServerSample {
  client: Client;
  /** Workflows per type (most recent first). */
  sample: number;
  /** Which workflow types; default: every type in the bundle. */
  types?: readonly string[];
  /** Visibility query added to the type filter; default: the running ones. */
  query?: string;
}

const PINNED = temporal.api.enums.v1.VersioningBehavior.VERSIONING_BEHAVIOR_PINNED;

/** Up to `sample` histories of each workflow type from the server. */
export async function sampleFromServer({ client, sample, types = Object.keys(workflows), query = "ExecutionStatus = 'Running'" }: ServerSample): Promise<ReplayCase[]> {
  const cases: ReplayCase[] = [];
  for (const type of types) {
    let taken = 0;
    for await (const info of client.workflow.list({ query: `WorkflowType = '${type}' AND (${query})`, pageSize: sample })) {
      if (taken++ >= sample) break;
      const versioning = info.raw.versioningInfo;
      const pinned = versioning?.behavior === PINNED || versioning?.versioningOverride?.pinned ? versioning?.deploymentVersion?.buildId : undefined;
      const history = await client.workflow.getHandle(info.workflowId, info.runId).fetchHistory();
      cases.push({
        workflowId: info.workflowId, history, workflowType: type, label: `${info.workflowId} (run ${info.runId})`,
        ...(pinned ? { pinnedTo: pinned } : {}),
      });
    }
  }
  return cases;
}

/** Every history JSON under `dir` (`temporal workflow show --output json`, or the recorded corpus). */
export function historiesIn(dir: string): ReplayCase[] {
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.json') && !f.endsWith('build.json'))
    .sort();
  return files.map((file) => {
    const history = historyFromJSON(JSON.parse(readFileSync(join(dir, file), 'utf8')));
    const workflowType = history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? 'unknown';
    return { workflowId: file, history, workflowType, label: relative(dir, join(dir, file)) };
  });
}

function print(report: ReplayReport): void {
  for (const o of report.outcomes) {
    const verdict = !o.error ? 'ok' : o.pinnedTo ? `FAILS, but pinned to build ${o.pinnedTo} (stays there)` : 'FAILS';
    console.log(`${verdict.padEnd(4)}  ${o.workflowType.padEnd(16)} ${o.label}${o.error ? `\n      ${o.error.split('\n')[0]}` : ''}`);
  }
  const byType = new Map<string, number>();
  for (const o of report.outcomes) byType.set(o.workflowType, (byType.get(o.workflowType) ?? 0) + 1);
  console.log(`replayed ${report.outcomes.length} histories (${[...byType].map(([t, n]) => `${t} ${n}`).join(', ') || 'none'}); ${report.failed.length} failed`);
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') }); // the report, not the replay workers' life cycle
  const { values } = parseArgs({
    options: {
      'from-server': { type: 'boolean', default: false },
      address: { type: 'string' },
      namespace: { type: 'string' },
      sample: { type: 'string', default: '20' },
      query: { type: 'string' },
      histories: { type: 'string' },
    },
  });
  const sample = Number(values.sample);
  if (!Number.isInteger(sample) || sample < 1) throw new ConfigError([`--sample: must be a positive whole number, got "${values.sample}"`]);
  if (values['from-server'] === Boolean(values.histories)) throw new ConfigError(['give either --from-server or --histories <dir>']);
  const config = loadConfig({
    ...process.env,
    ...(values.address ? { TEMPORAL_ADDRESS: values.address } : {}),
    ...(values.namespace ? { TEMPORAL_NAMESPACE: values.namespace } : {}),
  });
  const bundle: BundleSource = config.worker.bundlePath ? { bundlePath: config.worker.bundlePath } : { workflowsPath: WORKFLOWS_PATH };

  let cases: ReplayCase[];
  if (values.histories) {
    cases = historiesIn(values.histories);
  } else {
    const connection = await Connection.connect(temporalConnectionOptions(config.temporal));
    try {
      const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter: dataConverter(config.payloadKeys) });
      cases = await sampleFromServer({ client, sample, ...(values.query ? { query: values.query } : {}) });
    } finally {
      await connection.close();
    }
    console.log(`${cases.length} workflows from ${config.temporal.address} (namespace ${config.temporal.namespace}), up to ${sample} per type`);
  }
  const report = await replay(cases, bundle, config.payloadKeys);
  print(report);
  process.exitCode = report.failed.length > 0 ? 1 : 0;
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof ConfigError ? err.message : err);
    process.exit(2);
  });
}
