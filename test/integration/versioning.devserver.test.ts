/**
 * Worker Deployment Versioning and `npm run replay -- --from-server` on the
 * shared dev server, in a namespace of this file's own: a versioned worker
 * gets work once its build is made current, each workflow type runs with its
 * behaviour (workflows/versioning.ts), and the running workflows replay
 * against this bundle while a change not behind patched() fails.
 */
import { temporal } from '@temporalio/proto';
import { VERSIONING_BEHAVIOUR } from '../../workflows/versioning';
import { contractWorkflowId, digestWorkflowId } from '../../workflows/definitions';
import { setCurrentVersion } from '../../workers/deployment';
import { replay, sampleFromServer } from '../../workers/replay';
import { WORKFLOWS_PATH } from '../../workers/worker';
import { startDevServerHarness, type DevServerHarness } from '../support/api-harness';
import { TEST_PAYLOAD_KEYS, uniqueName } from '../support/servers';

const CHANGED = require.resolve('../replay/changed-workflows');
const Behaviour = temporal.api.enums.v1.VersioningBehavior;
const version = { deploymentName: uniqueName('xs'), buildId: 'build-1' };
let h: DevServerHarness;

beforeAll(async () => {
  h = await startDevServerHarness({
    namespace: uniqueName('versioning'),
    worker: { workerDeploymentOptions: { version, useWorkerVersioning: true, defaultVersioningBehavior: 'AUTO_UPGRADE' } },
  });
});
afterAll(() => h?.close());

test('a versioned worker runs workflows once its build is current; each type with its own behaviour', async () => {
  expect(await setCurrentVersion(h.connection, h.namespace, version)).toBeUndefined(); // nothing was current before
  const companyId = uniqueName('co');
  const contract = await h.client.workflow.start('contractApproval', {
    taskQueue: h.taskQueue, workflowId: contractWorkflowId(companyId), args: [{ companyId, companyName: 'Kade B.V.', submittedAt: new Date().toISOString() }],
  });
  const digest = await h.client.workflow.start('monthlyDigest', { taskQueue: h.taskQueue, workflowId: digestWorkflowId('2020-01'), args: [{ period: '2020-01' }] });
  await digest.result();
  await contract.query('__stack_trace'); // its first task ran

  for (const [handle, type] of [[contract, 'contractApproval'], [digest, 'monthlyDigest']] as const) {
    const info = (await handle.describe()).raw.workflowExecutionInfo!.versioningInfo!;
    expect({ type, behaviour: Behaviour[info.behavior!], buildId: info.deploymentVersion?.buildId }).toEqual({
      type, behaviour: `VERSIONING_BEHAVIOR_${VERSIONING_BEHAVIOUR[type]}`, buildId: 'build-1',
    });
  }
});

test('replay --from-server: the running workflows replay against this bundle, and a change not behind patched() fails', async () => {
  // Visibility is eventually consistent: the running contract shows up after a moment.
  let cases: Awaited<ReturnType<typeof sampleFromServer>> = [];
  for (let i = 0; i < 50 && !cases.some((c) => c.workflowType === 'contractApproval'); i++) {
    cases = await sampleFromServer({ client: h.client, sample: 5 });
    if (!cases.length) await new Promise((r) => setTimeout(r, 200));
  }
  expect(cases.map((c) => c.workflowType)).toEqual(['contractApproval']);
  const current = await replay(cases, { workflowsPath: WORKFLOWS_PATH }, TEST_PAYLOAD_KEYS);
  expect(current.outcomes).toEqual([{ label: cases[0]!.label, workflowType: 'contractApproval' }]);
  expect(current.failed).toEqual([]);

  const changed = await replay(cases, { workflowsPath: CHANGED }, TEST_PAYLOAD_KEYS);
  expect(changed.failed).toEqual([expect.objectContaining({ workflowType: 'contractApproval', error: expect.stringMatching(/nondetermin/i) })]);
});
