/**
 * The planning endpoints answer customer service's questions with the same
 * calendar the workflows use; days are YYYY-MM-DD, instants carry the
 * Europe/Amsterdam offset.
 */
import { startApiHarness, type ApiHarness } from '../support/api-harness';

let h: ApiHarness;
beforeAll(async () => {
  h = await startApiHarness();
});
afterAll(() => h?.close());

const get = (path: string) => h.api('GET', path);

describe('card delivery', () => {
  test('post approved Friday 12:59 ships that day; NL delivery 5 working days later', async () => {
    const res = await get('/v1/planning/card-delivery?approvedAt=2027-03-05T12:59:00%2B01:00&method=post&destination=NL');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ shipOn: '2027-03-05', expectedDeliveryBy: '2027-03-12' });
  });

  test('post approved at 13:00 ships the next working day; abroad 10 working days', async () => {
    const res = await get('/v1/planning/card-delivery?approvedAt=2027-03-05T13:00:00%2B01:00&method=post&destination=abroad');
    expect(res.body).toEqual({ shipOn: '2027-03-08', expectedDeliveryBy: '2027-03-22' });
  });

  test('regular pickup after 13:00 is ready the next working day 16:00-17:00, held 5 working days', async () => {
    const res = await get('/v1/planning/card-delivery?approvedAt=2027-03-05T14:00:00%2B01:00&method=pickup');
    expect(res.body).toEqual({
      pickupFrom: '2027-03-08T16:00:00+01:00',
      pickupUntil: '2027-03-08T17:00:00+01:00',
      holdUntil: '2027-03-15T17:00:00+01:00',
    });
  });

  test('urgent pickup after 16:30 is ready the next working day', async () => {
    const res = await get('/v1/planning/card-delivery?approvedAt=2027-03-04T16:30:00%2B01:00&method=urgent-pickup');
    expect(res.body.pickupUntil).toBe('2027-03-05T17:00:00+01:00');
  });

  test('bad method, missing instant and unknown parameters are 400 naming the field', async () => {
    const res = await get('/v1/planning/card-delivery?approvedAt=yesterday&method=drone&x=1');
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['approvedAt', 'method', 'x']);
  });
});

test('licence warning: 09:00 on the 5th working day before expiry, block at 00:00 after it (DST-aware offsets)', async () => {
  const res = await get('/v1/planning/licence-warning?expiresOn=2027-04-02');
  expect(res.status).toBe(200);
  // 2027-03-29 is Easter Monday: the five working days before Friday 2 April reach back to Thursday 25 March.
  expect(res.body).toEqual({ warnAt: '2027-03-25T09:00:00+01:00', blockAt: '2027-04-03T00:00:00+02:00' });
  expect((await get('/v1/planning/licence-warning?expiresOn=2027-02-30')).status).toBe(400);
});

test('contract due: submitted Saturday 10:00 is due Tuesday 00:00', async () => {
  const res = await get('/v1/planning/contract-due?submittedAt=2027-03-06T10:00:00%2B01:00');
  expect(res.body).toEqual({ dueAt: '2027-03-09T00:00:00+01:00' });
});

test('digest dates: the 12 first Wednesdays at 08:00', async () => {
  const res = await get('/v1/planning/digest-dates?year=2027');
  expect(res.body.dates).toHaveLength(12);
  expect(res.body.dates[0]).toBe('2027-01-06T08:00:00+01:00');
  expect(res.body.dates[3]).toBe('2027-04-07T08:00:00+02:00');
  expect((await get('/v1/planning/digest-dates?year=twenty')).status).toBe(400);
});

test('the planning paths are in the OpenAPI document', async () => {
  const { body } = await get('/openapi.json');
  for (const p of ['card-delivery', 'licence-warning', 'contract-due', 'digest-dates']) expect(body.paths).toHaveProperty(`/v1/planning/${p}`);
});
