/**
 * Making a worker build the deployment's current version: from then on new
 * workflows, and AUTO_UPGRADE ones at their next task, run on it
 * (docs/operations.md). A deploy step, run once the new build's workers poll:
 * `make up` calls it after starting the worker; elsewhere
 * `npm run deployment:set-current` (the configuration's WORKER_BUILD_ID), or
 * `temporal worker deployment set-current-version`.
 */
import { Connection } from '@temporalio/client';
import { loadConfig, ConfigError, type WorkerDeploymentVersion } from '../config';
import { temporalConnectionOptions } from '../config/temporal';

const NOT_FOUND = 5; // gRPC status: the version is not registered yet (its workers have not polled)
const FAILED_PRECONDITION = 9; // the version's workers do not poll every task queue the deployment had yet

/**
 * Sets `version` current in its deployment. A version exists once one of its
 * workers polled; until then (and while not all task queues are polled) this
 * retries for up to `waitMs`. Returns the build ID that was current before.
 */
export async function setCurrentVersion(
  connection: Connection,
  namespace: string,
  version: WorkerDeploymentVersion,
  { waitMs = 30_000, identity = 'xs-backoffice deploy' } = {},
): Promise<string | undefined> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const response = await connection.workflowService.setWorkerDeploymentCurrentVersion({
        namespace, deploymentName: version.deploymentName, buildId: version.buildId, identity,
      });
      return response.previousDeploymentVersion?.buildId ?? undefined;
    } catch (err) {
      const code = (err as { code?: number }).code;
      if ((code !== NOT_FOUND && code !== FAILED_PRECONDITION) || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.worker.deployment) throw new ConfigError(['WORKER_VERSIONING: false, so there is no deployment version to set']);
  const connection = await Connection.connect(temporalConnectionOptions(config.temporal));
  try {
    const previous = await setCurrentVersion(connection, config.temporal.namespace, config.worker.deployment);
    const { deploymentName, buildId } = config.worker.deployment;
    console.log(`deployment ${deploymentName}: current version ${buildId} (was ${previous ?? 'none'})`);
  } finally {
    await connection.close();
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof ConfigError ? err.message : err);
    process.exit(1);
  });
}
