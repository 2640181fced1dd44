/**
 * Every Update the API sends goes through here, so each is idempotent and bounded the same way:
 *
 * - its `updateId` is derived from the caller and the request's Idempotency-Key (and the workflow and
 *   Update names): a retry with the same key is the same Update, and Temporal answers it with the first
 *   outcome instead of running it again (or refusing it as a repeat). Without an Idempotency-Key each
 *   request is an Update of its own (a random ID): a client that wants safe retries sends the key.
 * - it waits for the outcome only until the request's Temporal deadline (api/app.ts,
 *   TEMPORAL_CALL_TIMEOUT_MS). An Update still running then is not lost and not refused: the API answers
 *   202 with the URL of its outcome (`GET /v1/cases/{workflowId}/updates/{updateId}`, `readOutcome`), and
 *   the Idempotency-Key stays open, so the same request sent again waits for the same Update again.
 *   That answer is in the OpenAPI document of every endpoint that declares `sendsUpdate` (api/operations.ts);
 *   an Update sent while serving one that does not is refused here (500), so a test of it fails.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Client, WithStartWorkflowOperation, WorkflowHandle } from '@temporalio/client';
import { WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { WorkflowNotFoundError, type UpdateDefinition, type Workflow } from '@temporalio/common';
import { requestContext } from '../../observability/request-context';
import { fromTemporal } from '../errors';

/** The Update's ID: the same for the same caller, Idempotency-Key, workflow and Update; else unique. */
export function updateIdFor(workflowId: string, updateName: string): string {
  const ctx = requestContext.getStore();
  if (ctx?.operationId && !ctx.sendsUpdate) {
    throw new Error(`${ctx.operationId} sends the Update ${updateName} but its declaration lacks sendsUpdate: its 202 answer is not in the OpenAPI document`);
  }
  if (!ctx?.idempotencyKey) return `u-${randomUUID()}`;
  const digest = createHash('sha256').update(`${ctx.caller}\n${ctx.idempotencyKey}\n${workflowId}\n${updateName}`).digest('base64url');
  return `k-${digest.slice(0, 32)}`;
}

/** An Update accepted or admitted but without an outcome within the deadline: answered 202 (api/errors.ts). */
export class UpdateOutcomePending extends Error {
  constructor(
    readonly workflowId: string,
    readonly updateId: string,
  ) {
    super(`update ${updateId} of ${workflowId} has no outcome yet`);
    this.name = 'UpdateOutcomePending';
  }

  /** Where the outcome is read (relative to the API's base URL). */
  get location(): string {
    return `/v1/cases/${encodeURIComponent(this.workflowId)}/updates/${encodeURIComponent(this.updateId)}`;
  }
}

/** The SDK's client-side timeout of an Update (our deadline, or a cancelled call): the Update may well go on. */
function pending(err: unknown, workflowId: string, updateId: string): unknown {
  return err instanceof WorkflowUpdateRPCTimeoutOrCancelledError ? new UpdateOutcomePending(workflowId, updateId) : err;
}

/** `handle.executeUpdate` with the derived `updateId`; a timeout becomes UpdateOutcomePending. */
export async function executeUpdate<Ret, Args extends unknown[]>(handle: WorkflowHandle, def: UpdateDefinition<Ret, Args>, args: Args): Promise<Ret> {
  const updateId = updateIdFor(handle.workflowId, def.name);
  try {
    // The SDK's overloads tell "no arguments" from "some" by the tuple; this one helper serves both.
    return await handle.executeUpdate(def as unknown as UpdateDefinition<Ret, [unknown]>, { args: args as unknown as [unknown], updateId });
  } catch (err) {
    throw pending(err, handle.workflowId, updateId);
  }
}

/**
 * An Update to a case that may have ended: a workflow that no longer runs takes none, and the caller
 * hears why from `ended()` (a 409 naming what happened to the case); any other failure maps as every
 * Temporal failure does (api/errors.ts).
 */
export async function updateCase<Ret, Args extends unknown[]>(
  client: Client,
  workflowId: string,
  def: UpdateDefinition<Ret, Args>,
  args: Args,
  ended: () => Error | Promise<Error>,
): Promise<Ret> {
  try {
    return await executeUpdate(client.workflow.getHandle(workflowId), def, args);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw await ended();
    throw fromTemporal(err);
  }
}

/**
 * Update-with-start: the Update, to the workflow `start` names, started first if it does not run (its
 * `workflowIdConflictPolicy` says what a running one means). Same `updateId` and deadline as executeUpdate.
 */
export async function executeUpdateWithStart<Ret, Args extends unknown[], W extends Workflow>(
  client: Client,
  def: UpdateDefinition<Ret, Args>,
  args: Args,
  start: WithStartWorkflowOperation<W>,
): Promise<Ret> {
  const workflowId = start.options.workflowId;
  const updateId = updateIdFor(workflowId, def.name);
  try {
    return await client.workflow.executeUpdateWithStart(def, { args, updateId, startWorkflowOperation: start });
  } catch (err) {
    throw pending(err, workflowId, updateId);
  }
}

/** The outcome of an Update sent before (its result, or its failure as the original request would have had it). */
export async function readOutcome(handle: WorkflowHandle, updateId: string): Promise<unknown> {
  try {
    return await handle.getUpdateHandle(updateId).result();
  } catch (err) {
    throw pending(err, handle.workflowId, updateId);
  }
}
