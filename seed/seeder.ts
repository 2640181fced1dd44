/**
 * Fills a stack with the data set of seed/data.ts: records through the
 * project's models, running cases through the API's own services (or, for a
 * card's life, as the card-application workflow starts it), in steps of chunks.
 *
 * Resumable: each step's progress is kept in the `seed_progress` collection
 * after every chunk, and every chunk can be done twice without harm (records
 * have fixed IDs, a duplicate insert is skipped; a workflow ID that runs
 * already is left alone). A run after an interruption continues at the chunk
 * it was in. The data set's reference instant is kept there too, so a run on
 * another day continues the same data set.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import type { Model } from 'mongoose';
import { createCardApplicationService } from '../api/services/card-applications';
import { createCompanyService } from '../api/services/companies';
import type { ServiceDeps } from '../api/services/deps';
import { startLicenceWatch } from '../api/services/licences';
import { hashPassword } from '../api/services/passwords';
import type { Database } from '../db/connection';
import { isDuplicateKey, type CompanyDoc } from '../db/models';
import type { BusinessCalendar } from '../domain/calendar';
import { applicationSearchAttributes, cardInUseWorkflowId, type CardInUseInput } from '../workflows/definitions';
import * as data from './data';
import type { SeedSizes } from './data';
import type { Progress } from './progress';

export interface SeedOptions {
  size: string;
  sizes: SeedSizes;
  db: Database;
  temporal: Client;
  taskQueue: string;
  calendar: BusinessCalendar;
  progress: Progress;
  /** Workflow starts in flight at once. */
  concurrency?: number;
}

interface Step {
  name: string;
  total: number;
  chunk: number;
  run(from: number, to: number): Promise<void>;
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);

/** Inserts the documents, skipping those written before (a resumed chunk). */
async function insertNew(model: Model<never>, docs: object[]): Promise<void> {
  if (docs.length === 0) return;
  try {
    // Unordered: a chunk written in part before is completed; invalid documents fail the run (not skipped).
    await model.insertMany(docs as never[], { ordered: false, throwOnValidationError: true });
  } catch (err) {
    const writeErrors = (err as { writeErrors?: unknown[] }).writeErrors;
    if (!writeErrors?.length || !writeErrors.every((e) => isDuplicateKey(e) || (e as { code?: number }).code === 11000 || (e as { err?: { code?: number } }).err?.code === 11000)) {
      throw err;
    }
  }
}

/** Runs fn over the items, `limit` at a time. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

export async function seed(o: SeedOptions): Promise<{ asOf: Date; counts: Record<string, number> }> {
  const { db, sizes, temporal, taskQueue, calendar } = o;
  const m = db.models;
  const progressColl = db.connection.collection<{ _id: string; done?: number; asOf?: Date }>('seed_progress');
  const asOfKey = `${o.size}:asOf`;
  const kept = await progressColl.findOne({ _id: asOfKey });
  const asOf = kept?.asOf ?? new Date(Math.floor(Date.now() / 60_000) * 60_000);
  if (!kept) await progressColl.insertOne({ _id: asOfKey, asOf });

  const companyIndexes = range(0, sizes.companies);
  const approved = companyIndexes.filter((i) => data.contractStatus(i) === 'approved');
  const ctx: data.Ctx = { sizes, asOf, calendar, approved };
  const withApplication = range(0, sizes.cards).filter((i) => data.cardHasApplication(ctx, i));
  const cancelled = data.cancelledCount(ctx, withApplication.length);
  const deps: ServiceDeps = { models: m, temporal, taskQueue, calendar };
  const companies = createCompanyService(deps);
  const applications = createCardApplicationService(deps);
  // Seeded accounts get one unusable password (random, never shown): they are there to be listed, not logged into.
  let passwordHash: string | undefined;
  const concurrency = o.concurrency ?? 32;

  const steps: Step[] = [
    {
      name: 'companies',
      total: sizes.companies,
      chunk: 500,
      run: (from, to) =>
        insertNew(
          m.Company as never,
          range(from, to).map((i) => {
            const c = data.company(ctx, i);
            // A pending registration is marked as the API marks it; its contract approval is started below.
            return c.contract.status === 'pending' ? { ...c, startPendingSince: c.contract.submittedAt } : c;
          }),
        ),
    },
    { name: 'card users', total: sizes.cardUsers, chunk: 1000, run: (from, to) => insertNew(m.CardUser as never, range(from, to).map((i) => data.cardUser(ctx, i))) },
    { name: 'cards', total: sizes.cards, chunk: 1000, run: (from, to) => insertNew(m.Card as never, range(from, to).map((i) => data.card(ctx, i))) },
    {
      name: 'completed applications, their mails and audit trail',
      total: withApplication.length,
      chunk: 500,
      run: async (from, to) => {
        const apps = withApplication.slice(from, to).map((i) => data.completedApplication(ctx, i));
        await insertNew(m.CardApplication as never, apps);
        await insertNew(m.EmailOutbox as never, apps.flatMap(data.applicationOutbox));
        await insertNew(m.AuditEvent as never, apps.flatMap(data.applicationAudit));
      },
    },
    { name: 'cancelled applications', total: cancelled, chunk: 1000, run: (from, to) => insertNew(m.CardApplication as never, range(from, to).map((n) => data.cancelledApplication(ctx, n))) },
    {
      name: 'portal accounts',
      total: approved.length,
      chunk: 500,
      run: async (from, to) => {
        passwordHash ??= await hashPassword(`seed-${Math.random()}-${Date.now()}`);
        await insertNew(m.PortalAccount as never, approved.slice(from, to).map((i) => data.portalAccount(ctx, i, passwordHash!)));
      },
    },
    // ---- Running cases: started as the API (or the workflow) starts them -----------------
    {
      name: 'contract approvals (pending companies)',
      total: sizes.companies,
      chunk: 500,
      run: (from, to) => pool(range(from, to).filter((i) => data.contractStatus(i) === 'pending'), concurrency, (i) => companies.completeCreation(data.companyId(i))),
    },
    {
      name: 'licence watches',
      total: approved.length,
      chunk: 500,
      run: (from, to) =>
        pool(
          approved.slice(from, to).filter((i) => data.requestsCargoCards(i)),
          concurrency,
          async (i) => void (await startLicenceWatch(deps, data.company(ctx, i) as unknown as CompanyDoc & { _id: string })),
        ),
    },
    {
      name: 'card lives (active cards)',
      total: sizes.cards,
      chunk: 500,
      run: (from, to) => pool(range(from, to), concurrency, (i) => startCardLife(temporal, taskQueue, ctx, i)),
    },
    {
      name: 'open card applications',
      total: sizes.openApplications,
      chunk: 100,
      run: (from, to) =>
        pool(range(from, to), concurrency, async (n) => {
          const a = data.openApplication(ctx, n);
          await applications.apply({ applicationId: a._id, companyId: a.companyId, xsId: a.xsId, cardType: a.cardType, deliveryMethod: a.deliveryMethod, destination: a.destination });
        }),
    },
  ];

  for (const step of steps) {
    const key = `${o.size}:${step.name}`;
    const start = (await progressColl.findOne({ _id: key }))?.done ?? 0;
    const bar = o.progress.step(step.name, step.total, start);
    for (let from = start; from < step.total; from += step.chunk) {
      const to = Math.min(step.total, from + step.chunk);
      await step.run(from, to);
      await progressColl.updateOne({ _id: key }, { $set: { done: to } }, { upsert: true });
      bar.update(to);
    }
    bar.done();
  }

  const counts: Record<string, number> = {};
  for (const [name, model] of Object.entries(m)) counts[name] = await (model as Model<unknown>).estimatedDocumentCount();
  return { asOf, counts };
}

/** A card's life (PROCESSES.md section 3), as the card-application workflow starts it once the card is active. */
async function startCardLife(temporal: Client, taskQueue: string, ctx: data.Ctx, i: number): Promise<void> {
  const c = data.card(ctx, i);
  const co = data.employerOf(ctx, i);
  const input: CardInUseInput = {
    cardNumber: c._id,
    applicationId: c.applicationId,
    companyId: c.companyId,
    customerNumber: String(1_000_000 + co),
    xsId: c.xsId,
    cardType: c.cardType,
    activatedAt: c.activatedAt.toISOString(),
    expiresAt: c.expiresAt.toISOString(),
  };
  try {
    await temporal.workflow.start('cardInUse', {
      taskQueue,
      workflowId: cardInUseWorkflowId(c._id),
      args: [input],
      typedSearchAttributes: applicationSearchAttributes(input, { cardNumber: input.cardNumber }),
      staticSummary: `Card ${c._id} in use (seeded)`,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
