/**
 * `npm run seed` (seed/) at a tiny size on the test servers: records through the
 * models, the running cases' workflows started, deterministic, and a second run
 * (or a run resumed after an interruption) writes nothing twice.
 */
import type { Client, Connection } from '@temporalio/client';
import type { Database } from '../../db/connection';
import { BusinessCalendar } from '../../domain/calendar';
import { DEFAULT_RULES } from '../../domain/rules';
import { cardInUseWorkflowId, cardApplicationWorkflowId, contractWorkflowId, licenceWatchWorkflowId } from '../../workflows/definitions';
import * as data from '../../seed/data';
import type { Progress } from '../../seed/progress';
import { seed } from '../../seed/seeder';
import { devServerClient, testDatabase, uniqueName, workflowExists } from '../support/servers';

let db: Database;
let temporal: { client: Client; connection: Connection };
const taskQueue = uniqueName('seed'); // no worker polls it: the started workflows wait, as they would for a stopped worker
const calendar = new BusinessCalendar(DEFAULT_RULES);
const quiet: Progress = { step: () => ({ update: () => undefined, done: () => undefined }) };
const sizes = data.SIZES.tiny;

beforeAll(async () => {
  [db, temporal] = await Promise.all([testDatabase(), devServerClient()]);
});
afterAll(async () => {
  await db?.connection.dropDatabase();
  await db?.close();
  await temporal?.connection.close();
});

const run = (progress: Progress = quiet) => seed({ size: 'tiny', sizes, db, temporal: temporal.client, taskQueue, calendar, progress });

const exists = (workflowId: string) => workflowExists(temporal.client, workflowId);

it('seeds records through the models and starts the running cases; a second run adds nothing', async () => {
  // Interrupted after the cards: the progress bar's step callback throws once the cards are done.
  const interrupting: Progress = {
    step: (name) => ({
      update: () => undefined,
      done: () => {
        if (name === 'cards') throw new Error('interrupted');
      },
    }),
  };
  await expect(run(interrupting)).rejects.toThrow('interrupted');
  expect(await db.models.Card.countDocuments()).toBe(sizes.cards);
  expect(await db.models.CardApplication.countDocuments()).toBe(0);

  const first = await run();
  const m = db.models;
  expect(first.counts).toMatchObject({ Company: sizes.companies, CardUser: sizes.cardUsers, Card: sizes.cards });
  const ctx: data.Ctx = { sizes, asOf: first.asOf, calendar, approved: [] };
  ctx.approved = Array.from({ length: sizes.companies }, (_, i) => i).filter((i) => data.contractStatus(i) === 'approved');

  // Deterministic: each record is the function of its index (and the kept reference instant).
  const card7 = await m.Card.findById(data.cardNumber(7)).lean();
  expect(card7).toMatchObject({ ...data.card(ctx, 7), createdAt: expect.any(Date), updatedAt: expect.any(Date) });
  // Every card user belongs to an approved company; every completed application issued its card.
  for (const u of await m.CardUser.find().lean()) expect(ctx.approved.map(data.companyId)).toContain(u.companyId);
  for (const a of await m.CardApplication.find({ status: 'active' }).lean()) expect(await m.Card.findById(a.cardNumber).lean()).toMatchObject({ applicationId: a._id, xsId: a.xsId });
  expect(await m.CardApplication.countDocuments({ status: 'awaiting-approvals' })).toBe(sizes.openApplications);
  expect(await m.EmailOutbox.countDocuments()).toBe(2 * (await m.CardApplication.countDocuments({ status: 'active' })));

  // The running cases run: contract approvals of pending companies, licence watches, card lives, open applications.
  const companies = Array.from({ length: sizes.companies }, (_, i) => i);
  const running = await Promise.all(
    companies.map(async (i) => ({
      i,
      contract: await exists(contractWorkflowId(data.companyId(i))),
      watch: await exists(licenceWatchWorkflowId(data.companyId(i))),
    })),
  );
  expect(running).toEqual(companies.map((i) => ({ i, contract: data.contractStatus(i) === 'pending', watch: data.contractStatus(i) === 'approved' && data.requestsCargoCards(i) })));
  const cardLives = await Promise.all(Array.from({ length: sizes.cards }, (_, i) => exists(cardInUseWorkflowId(data.cardNumber(i)))));
  expect(cardLives.every(Boolean)).toBe(true);
  const open = await Promise.all(Array.from({ length: sizes.openApplications }, (_, n) => exists(cardApplicationWorkflowId(data.applicationId('open', n)))));
  expect(open.every(Boolean)).toBe(true);
  expect(await m.Company.countDocuments({ startPendingSince: { $exists: true } })).toBe(0);

  // Again, with every step's progress forgotten, so every chunk is done again: the same counts, nothing written twice.
  await db.connection.collection('seed_progress').deleteMany({ _id: { $ne: 'tiny:asOf' } as never });
  const second = await run();
  expect(second.counts).toEqual(first.counts);
  expect(second.asOf).toEqual(first.asOf);
});
