/** The audit trail: one event per (workflow, event), whatever the retries. */
import type { Info } from '@temporalio/activity';
import { isDuplicateKey, type Models } from '../db/models';

export interface AuditInput {
  event: string;
  subject: string;
  actor: string;
  at: string;
  data?: Record<string, unknown> | undefined;
}

export async function recordAudit(models: Models, info: Info, input: AuditInput): Promise<void> {
  try {
    await models.AuditEvent.create({
      _id: `${info.workflowExecution?.workflowId ?? info.activityId}:${input.event}:${input.at}`,
      at: new Date(input.at),
      subject: input.subject,
      event: input.event,
      actor: input.actor,
      data: input.data,
    });
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
  }
}
