/** Cases: any process of the back-office, as its workflow tells it (search attributes, details, status). */
import { z } from 'zod';
import { companyIdParam } from './companies';

/** The workflow-ID prefixes of the back-office's processes (workflows/definitions). */
export const CASE_KINDS = ['contract', 'card', 'hold', 'cardlife', 'licence', 'account', 'digest'] as const;

export const caseIdParam = z.strictObject({
  workflowId: z
    .string()
    .regex(new RegExp(`^(${CASE_KINDS.join('|')}):[A-Za-z0-9_.-]{1,80}$`), `must be a case ID, e.g. contract:co_…, card:ap_… (kinds: ${CASE_KINDS.join(', ')})`),
});

export const updateOutcomeParams = caseIdParam.extend({
  updateId: z.string().regex(/^[ku]-[A-Za-z0-9_-]{8,64}$/, 'must be an update ID as a 202 answer gave it'),
});

export const updateOutcome = z.unknown().meta({ description: 'The result of the Update, as the request that sent it would have answered' });

export const updatePending = z
  .object({
    status: z.literal('pending'),
    detail: z.string(),
    workflowId: z.string(),
    updateId: z.string(),
    outcomeUrl: z.string().meta({ description: 'Where the outcome is read (also in Location)' }),
    requestId: z.string(),
  })
  .meta({ id: 'UpdatePending' });

export const companyCasesQuery = z.strictObject({
  status: z.enum(['running', 'closed', 'all']).default('all').meta({ description: 'Only running or only closed cases' }),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export { companyIdParam };

export const caseSummary = z
  .object({
    workflowId: z.string(),
    runId: z.string(),
    type: z.string().meta({ description: 'The process (workflow type), e.g. contractApproval, cardApplication' }),
    status: z.string().meta({ description: 'RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, CONTINUED_AS_NEW, TIMED_OUT' }),
    phase: z.string().optional().meta({ description: 'Where the case stands (search attribute Phase)' }),
    nextDueAt: z.string().optional().meta({ description: 'When it next needs something to happen (ISO 8601)' }),
    slaBreached: z.boolean().optional(),
    companyId: z.string().optional(),
    customerNumber: z.string().optional(),
    xsId: z.string().optional(),
    cardNumber: z.string().optional(),
    cardType: z.string().optional(),
    startedAt: z.string(),
    closedAt: z.string().optional(),
  })
  .meta({ id: 'CaseSummary' });

export const caseView = caseSummary
  .extend({
    summary: z.string().optional().meta({ description: 'The one-line summary operators see in the Web UI' }),
    waitingFor: z.string().optional().meta({ description: 'What the case waits for now (its current details), if its worker answers' }),
    historyLength: z.number().int(),
  })
  .meta({ id: 'Case' });

export const companyCases = z.object({ companyId: z.string(), cases: z.array(caseSummary) }).meta({ id: 'CompanyCases' });
