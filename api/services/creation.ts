/**
 * Creating a case converges (issue 11 point 7). Each create path writes its
 * record with `startPendingSince` set, then starts the record's workflow under
 * an ID derived from the record's ID, then clears the mark. Whatever happens in
 * between (the API killed, the start timed out after the server accepted it),
 * the record is never deleted; instead:
 *  - a retry with the same business key (KvK+VAT, email, applicationId) finds
 *    the record and finishes the start before it answers, and
 *  - the creation sweep (run by the API at start and every minute) starts the
 *    workflow of every record still marked after the grace period.
 * A start is idempotent: the workflow ID is deterministic and "already started"
 * counts as success, so a start that may have been accepted is simply repeated.
 * Why not "the workflow owns its record": that would change the commands of
 * three workflows with recorded histories; starting from the record is
 * the smaller change and keeps the record the business key's lock.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Model } from 'mongoose';

/** The part of a model the creation needs (any of Company, PortalAccount, CardApplication). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the three models differ in their document types
type AnyModel = Model<any>;
import type { Logger } from '../../observability/logger';

/** Test- and drill-only fault points between the steps of a create path. */
export interface CreationFaults {
  /** Runs after the record is written and before its workflow is started; may throw or sleep. */
  afterRecord?: (kind: CreationKind, recordId: string) => Promise<void> | void;
}

export type CreationKind = 'company' | 'account' | 'card-application';

/** A record still marked this long after it was written has lost its start. */
export const CREATION_GRACE_MS = 30_000;
/** How often each API process sweeps. */
export const CREATION_SWEEP_INTERVAL_MS = 60_000;

/** Starts a workflow whose ID is deterministic; an earlier start of it is success. */
export async function startOnce(start: () => Promise<unknown>): Promise<void> {
  try {
    await start();
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

/** After the start: the record is complete. */
export async function clearPending(model: AnyModel, recordId: string): Promise<void> {
  await model.updateOne({ _id: recordId }, { $unset: { startPendingSince: 1 } });
}

/** Something that can finish the creation of one record (the service's `completeCreation`). */
export interface Completer {
  kind: CreationKind;
  model: AnyModel;
  complete(recordId: string): Promise<void>;
}

/** Finishes every half-created case older than the grace period; returns how many it finished. */
export async function sweepHalfCreated(completers: Completer[], opts: { now?: Date; graceMs?: number; logger?: Logger } = {}) {
  const before = new Date((opts.now ?? new Date()).getTime() - (opts.graceMs ?? CREATION_GRACE_MS));
  let completed = 0;
  for (const c of completers) {
    const stuck = await c.model.find({ startPendingSince: { $lt: before } }, { _id: 1 }).lean();
    for (const { _id } of stuck as { _id: string }[]) {
      try {
        await c.complete(_id);
        completed++;
      } catch (err) {
        opts.logger?.warn({
          kind: c.kind, recordId: _id, error: String((err as Error)?.message ?? err),
        }, 'creation sweep: could not complete a half-created case; next sweep retries');
      }
    }
  }
  if (completed) opts.logger?.info({ completed }, 'creation sweep: completed half-created cases');
  return completed;
}
