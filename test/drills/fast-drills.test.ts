/**
 * The fast fault drills, with small sizes, as part of `make test`: the same
 * drill functions `npm run drill` runs (drills/), each on a stack of its own
 * (Temporal dev server with a db file, FerretDB, worker and API as separate
 * processes, an SMTP receiver in this process).
 *
 * They run compiled, from dist/drills (built by `make test`'s set-up), as the
 * worker and the API they start do: the stack helpers locate dist/ from there.
 */
import type { DrillResult } from '../../drills/stack';
import type { apiBurstDrill as ApiBurstDrill } from '../../drills/api-burst';
import type { apiCrashDrill as ApiCrashDrill } from '../../drills/api-crash';
import type { slowSmtpDrill as SlowSmtpDrill } from '../../drills/slow-smtp';
import type { workerKillDrill as WorkerKillDrill } from '../../drills/worker-kill';
import type { workerRollingDrill as WorkerRollingDrill } from '../../drills/worker-rolling';
import { testLog } from '../support/test-logs';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { tellTo } = require('../../dist/drills/stack') as { tellTo: (sink: (line: string) => void) => void };
// The drills' story goes to this file's log (printed if a drill fails), not to the run's output.
const story = testLog();
tellTo((line) => story.info(line));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { workerKillDrill } = require('../../dist/drills/worker-kill') as { workerKillDrill: typeof WorkerKillDrill };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { workerRollingDrill } = require('../../dist/drills/worker-rolling') as { workerRollingDrill: typeof WorkerRollingDrill };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { apiBurstDrill } = require('../../dist/drills/api-burst') as { apiBurstDrill: typeof ApiBurstDrill };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { apiCrashDrill } = require('../../dist/drills/api-crash') as { apiCrashDrill: typeof ApiCrashDrill };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { slowSmtpDrill } = require('../../dist/drills/slow-smtp') as { slowSmtpDrill: typeof SlowSmtpDrill };

// Each drill ends itself: a case that does not reach its target in time is reported by the drill
// (caseTimeoutMinutes), well before jest's own timeout. On an idle 2-core machine both take
// about 2.5 minutes together; a machine busy with other work can double that.
jest.setTimeout(20 * 60_000);

function show(r: DrillResult): void {
  testLog().info({ drill: r.drill, passed: r.passed, figures: r.figures }, 'drill result');
}

test('worker SIGKILLed twice while 20 card applications are in flight: none lost, no email twice', async () => {
  const r = await workerKillDrill({ applications: 20, kills: 2, intervalSeconds: 5, downSeconds: 1, caseTimeoutMinutes: 15 });
  show(r);
  expect(r.problems).toEqual([]);
  expect(r.figures).toMatchObject({ casesFailed: 0, emailsLost: 0, workerKills: 2 });
  // The only duplicates allowed: a kill inside SMTP's own window (the drill lists them with evidence).
  const resent = r.figures.resentInSmtpWindowAtKill as number;
  expect(r.figures).toMatchObject({ duplicatesSameMessageId: resent, duplicatesRecipientSubject: resent });
  expect(r.figures.emailsReceived).toBe((r.figures.emailsExpected as number) + resent);
});

test('the worker replaced twice under load (new one started, old one SIGTERMed): it drains and exits 0, no activity cancelled, none lost, no email twice', async () => {
  // One pooled SMTP connection to a relay answering in 400 ms: mail waits in the worker when SIGTERM comes.
  const r = await workerRollingDrill({ applications: 8, replacements: 2, intervalSeconds: 2, smtpDelayMs: 400, smtpMaxConnections: 1, caseTimeoutMinutes: 10 });
  show(r);
  expect(r.problems).toEqual([]);
  expect(r.figures).toMatchObject({ casesFailed: 0, emailsLost: 0, workerReplacements: 2, activitiesCancelled: 0, attemptsCancelled: 0 });
  // attemptsTimedOut is reported, not bounded: a task handed to the old worker as it stops polling waits out its timeout (docs/drills.md).
  expect(r.figures.activitiesScheduled).toBeGreaterThan(0);
  for (const replacement of r.figures.replacements as { exitCode: number; drained: boolean }[]) expect(replacement).toMatchObject({ exitCode: 0, drained: true });
});

test('the API under a burst of malformed, unauthenticated and role-bypass requests keeps serving valid ones; no bypass reaches a handler', async () => {
  const r = await apiBurstDrill({ seconds: 6, burstConnections: 32, validRate: 25 });
  show(r);
  expect(r.problems).toEqual([]);
  const during = r.figures.during as { successRate: number };
  expect(during.successRate).toBeGreaterThanOrEqual(0.99);
  if (r.figures.authEnforced) expect(r.figures.unauthenticatedServed).toBe(0);
  expect(r.figures.bypassAttemptsSent).toBeGreaterThan(0);
  expect(r.figures.bypassReachedHandler).toBe(0);
});

test('the API SIGKILLed between records and their workflows while 45 creations are in flight: none lost, none twice, no orphan', async () => {
  const r = await apiCrashDrill({ cases: 45, kills: 3, delayMs: 400, abandonEvery: 5, convergeSeconds: 60 });
  show(r);
  expect(r.problems).toEqual([]);
  expect(r.figures).toMatchObject({ failed: 0, lost: 0, duplicates: 0, recordsWithoutWorkflow: 0, workflowsWithoutRecord: 0, stillHalfCreated: 0, apiKills: 3 });
});

test("a slow relay that stalls past the client's timeout under a 40-company digest and 3 card applications: none lost, none twice, nothing stuck", async () => {
  const r = await slowSmtpDrill({
    companies: 40,
    applications: 3,
    answerMs: { min: 20, max: 80 },
    stallEvery: 25, // 2 of the ~55 messages, each past the 10 s socket timeout: two uncertain sends
    stallSeconds: 11,
    timeoutMinutes: 10,
    convergeSeconds: 60,
  });
  show(r);
  expect(r.problems).toEqual([]);
  expect(r.figures).toMatchObject({ companies: 40, emailsLost: 0, duplicates: 0, stuck: 0, recordsWithoutWorkflow: 0, workflowsWithoutRecord: 0 });
  expect(r.figures.uncertainSends).toBeGreaterThan(0);
  expect(r.figures.uncertainResentAndAcceptedOnce).toBe(r.figures.uncertainSends);
});
