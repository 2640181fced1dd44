/**
 * Terminals, registration with customer number + Terminal-ID, passwords that
 * resist guessing at registration and reset, and several customer numbers on
 * one account (docs/accounts-terminals.md), over HTTP: the app on a real port,
 * the shared Temporal dev server with a real worker, FerretDB and a real SMTP
 * receiver. Tokens come from the mails. (The confirmation link's lapse is
 * covered on the time-skipping server: portal-account.workflow.test.ts.)
 */
import { randomBytes } from 'node:crypto';
import type { Database } from '../../db/connection';
import { LOCAL_API_KEYS } from '../../config/api-keys';
import { startApiHarness, type Api, type ApiHarness, type ApiResponse } from '../support/api-harness';
import { eventually } from '../support/servers';
import type { ReceivedMail, SmtpReceiver } from '../../stack/smtp-receiver';
import { LOCAL_HUMAN_CHECK_TOKEN } from '../../api/services/human-check';
import { currentVersions, DEFAULT_PORTAL_SETTINGS } from '../../api/services/sign-in';
import { insertCompany } from '../support/fixtures';

/** Registration accepts the current terms of use and privacy statement (docs/accounts.md). */
const ACCEPT = currentVersions(DEFAULT_PORTAL_SETTINGS);

const GOOD = 'Quay$7Lamp&Tide';
let h: ApiHarness;
let db: Database, receiver: SmtpReceiver, api: Api;

beforeAll(async () => {
  h = await startApiHarness({ check: (_res, text) => expect(text).not.toMatch(/scrypt\$|tokenHash|passwordHash|[0-9a-f]{64}/) });
  ({ db, receiver, api } = h);
});
afterAll(() => h?.close());

const hex = (n: number) => randomBytes(n).toString('hex');
const mailsTo = (address: string) => receiver.messages.filter((m) => m.to.some((to) => to.toLowerCase() === address.toLowerCase()));
const nthMail = (address: string, n: number): Promise<ReceivedMail> => eventually(async () => mailsTo(address)[n - 1]);
const tokenIn = (mail: ReceivedMail): string => /\?token=([A-Za-z0-9_-]{43})\s/.exec(mail.text)![1]!;
const codes = (res: ApiResponse): string[] => (res.body.errors ?? []).map((e: { code?: string; field: string }) => e.code ?? e.field);
/** A problem document without what differs per request. */
const sameness = (res: ApiResponse) => ({ status: res.status, title: res.body.title, detail: res.body.detail, errors: res.body.errors });

/** A company (approved unless told otherwise) with one active terminal; its customer number, terminal and contact. */
async function customer(status: 'approved' | 'pending' = 'approved') {
  const customerNumber = String(1_000_000 + Math.floor(Math.random() * 8_999_999));
  const { companyId: id, contact } = await insertCompany(db.models, { name: `Kiosk ${hex(3)} GmbH`, language: 'de', contract: status, customerNumber, transportLicence: null });
  const terminalId = `T${hex(4).toUpperCase()}`;
  if (status === 'approved') {
    const res = await api('POST', '/v1/terminals', { terminalId, customerNumber, location: 'Kiosk Hbf, Gleis 1', model: 'Move/5000', by: 'bo-1' });
    expect(res.status).toBe(201);
  }
  return { customerNumber, terminalId, contact, companyId: id };
}

/** An active account registered with customer number + Terminal-ID. */
async function activeAccount() {
  const c = await customer();
  const email = `holder.${hex(5)}@kasse.example`;
  const res = await api('POST', '/v1/accounts', { customerNumber: c.customerNumber, terminalId: c.terminalId.toLowerCase(), email, password: GOOD, accept: ACCEPT });
  expect(res.status).toBe(201);
  expect((await api('POST', '/v1/accounts/activate', { token: tokenIn(await nthMail(email, 1)) })).status).toBe(200);
  return { ...c, email, accountId: res.body.accountId as string };
}

test('the back-office registers, lists, retires and moves terminals; customer service only reads', async () => {
  const a = await customer();
  const got = await api('GET', `/v1/terminals/${a.terminalId}`);
  expect(got.body).toEqual({
    terminalId: a.terminalId,
    customerNumber: a.customerNumber,
    location: 'Kiosk Hbf, Gleis 1',
    model: 'Move/5000',
    status: 'active',
    registeredAt: expect.any(String),
  });
  const again = { terminalId: a.terminalId, customerNumber: a.customerNumber, location: 'x', model: 'y', by: 'bo-1' };
  expect((await api('POST', '/v1/terminals', again)).status).toBe(409);
  const unknownCustomer = await api('POST', '/v1/terminals', { ...again, terminalId: `T${hex(4)}`, customerNumber: '0000001' });
  expect([unknownCustomer.status, codes(unknownCustomer)]).toEqual([422, ['customerNumber']]);
  const cs = { authorization: `Bearer ${LOCAL_API_KEYS['customer-service']}` };
  expect((await api('GET', `/v1/terminals?customerNumber=${a.customerNumber}`, undefined, cs)).body.terminals).toHaveLength(1);
  expect((await api('POST', `/v1/terminals/${a.terminalId}/retire`, { by: 'cs-1' }, cs)).status).toBe(403);

  const retired = await api('POST', `/v1/terminals/${a.terminalId}/retire`, { by: 'bo-1', reason: 'defect' });
  expect(retired.body).toMatchObject({ status: 'retired', retireReason: 'defect', retiredAt: expect.any(String) });
  expect((await api('POST', `/v1/terminals/${a.terminalId}/retire`, { by: 'bo-1' })).status).toBe(409);
  expect((await api('POST', '/v1/terminals/T0000000/retire', { by: 'bo-1' })).status).toBe(404);
  // A retired terminal may be registered again, to another customer.
  const b = await customer();
  const moved = await api('POST', '/v1/terminals', { ...again, customerNumber: b.customerNumber });
  expect(moved.body).toMatchObject({ status: 'active', customerNumber: b.customerNumber });
  expect(moved.body.retiredAt).toBeUndefined();
});

test('registration with customer number + Terminal-ID: a match registers; every mismatch gets one identical 422', async () => {
  const a = await customer();
  const b = await customer();
  const pending = await customer('pending');
  const retired = await customer();
  await api('POST', `/v1/terminals/${retired.terminalId}/retire`, { by: 'bo-1' });
  const register = (customerNumber: string, terminalId: string, password = GOOD) =>
    api('POST', '/v1/accounts', { customerNumber, terminalId, email: `holder.${hex(5)}@kasse.example`, password, accept: ACCEPT });

  const mismatches = await Promise.all([
    register(a.customerNumber, b.terminalId), // another customer's terminal
    register(a.customerNumber, 'T0000000'), // unknown terminal
    register(retired.customerNumber, retired.terminalId), // retired
    register(pending.customerNumber, a.terminalId), // contract not approved
    register('0000001', a.terminalId), // unknown customer number
  ]);
  for (const res of mismatches) expect(sameness(res)).toEqual(sameness(mismatches[0]!));
  expect(mismatches[0]!.status).toBe(422);
  expect(mismatches[0]!.body.errors).toEqual([{ field: 'terminalId', message: 'customer number and Terminal-ID do not match an active terminal' }]);

  // The company's name joins the password check once the pair matches (and only then: it tells nothing otherwise).
  const companyName = (await db.models.Company.findOne({ customerNumber: a.customerNumber }).lean())!.name;
  const weak = await register(a.customerNumber, a.terminalId, `${companyName.split(' ')[1]}!Gull7&Tide`);
  expect(codes(weak)).toEqual(['contains-company']);
  expect(weak.body.errors[0].reason).toEqual({ de: expect.stringContaining('Firmennamen'), en: expect.stringContaining('company name') });

  const ok = await register(a.customerNumber, a.terminalId);
  expect(ok.status).toBe(201);
  expect(ok.body).toMatchObject({ status: 'pending-activation', name: companyName, customerNumber: a.customerNumber, customerNumbers: [a.customerNumber] });
  expect(tokenIn(await nthMail(ok.body.email, 1))).toHaveLength(43);

  const both = await api('POST', '/v1/accounts', { name: 'x', customerNumber: a.customerNumber, terminalId: a.terminalId, email: 'a@b.example', password: GOOD, accept: ACCEPT });
  const neither = await api('POST', '/v1/accounts', { customerNumber: a.customerNumber, email: 'a@b.example', password: GOOD, accept: ACCEPT });
  expect([both.status, neither.status]).toEqual([400, 400]);
});

test('a reset refuses a new password with the holder\'s company name or email in it, with every violation at once', async () => {
  const account = await activeAccount();
  expect((await api('POST', '/v1/accounts/password-reset', { customerNumber: account.customerNumber, email: account.email, humanCheckToken: LOCAL_HUMAN_CHECK_TOKEN })).status).toBe(202);
  const token = tokenIn(await nthMail(account.email, 2));
  // "holder" is a word of the email's local part (holder.<hex>); the company's name is a word too.
  const refused = await api('POST', '/v1/accounts/password-reset/confirm', { token, password: 'Gull$7Holder&Tide' });
  expect(refused.status).toBe(422);
  expect(codes(refused)).toEqual(['contains-email']);
  // Registered by Terminal-ID, the account's name is the company's ("Kiosk ... GmbH"): both rules name it.
  const all = await api('POST', '/v1/accounts/password-reset/confirm', { token, password: 'holder7kiosk' });
  expect(codes(all)).toEqual(['no-special', 'no-upper', 'contains-name', 'contains-company', 'contains-email']);
  expect((await api('POST', '/v1/accounts/password-reset/confirm', { token, password: 'Gull$7Lamp&Tide' })).status).toBe(200);
});

test('customer numbers: add by Terminal-ID at once or by the contact\'s link, list with terminals, remove all but the registered one', async () => {
  const account = await activeAccount();
  const path = `/v1/accounts/${account.accountId}/customer-numbers`;
  const b = await customer();
  const c = await customer();

  // By Terminal-ID: the same 422 for any mismatch; a match adds at once.
  const mismatch = await api('POST', path, { customerNumber: b.customerNumber, terminalId: c.terminalId });
  expect([mismatch.status, mismatch.body.errors]).toEqual([422, [{ field: 'terminalId', message: 'customer number and Terminal-ID do not match an active terminal' }]]);
  const added = await api('POST', path, { customerNumber: b.customerNumber, terminalId: b.terminalId });
  expect(added.status).toBe(201);
  expect(added.body.customerNumbers).toEqual([
    expect.objectContaining({ customerNumber: account.customerNumber, registered: true }),
    {
      customerNumber: b.customerNumber,
      companyName: expect.stringMatching(/^Kiosk /),
      registered: false,
      addedAt: expect.any(String),
      proof: 'terminal',
      terminals: [{ terminalId: b.terminalId, location: 'Kiosk Hbf, Gleis 1', model: 'Move/5000', status: 'active' }],
    },
  ]);
  expect((await api('POST', path, { customerNumber: b.customerNumber })).status).toBe(409); // on the account already

  // By link: always 202; the customer's registered contact gets the link, which works once.
  const requested = await api('POST', path, { customerNumber: c.customerNumber });
  expect(requested.status).toBe(202);
  expect((await api('POST', path, { customerNumber: '0000001' })).body).toEqual({ ...requested.body, customerNumber: '0000001' });
  const mail = await nthMail(c.contact, 1);
  expect(mail.subject).toContain(c.customerNumber);
  expect(mail.text).toContain(account.email);
  const token = tokenIn(mail);
  expect((await api('GET', path)).body.pendingConfirmation).toEqual({ customerNumber: c.customerNumber, expiresAt: expect.any(String) });
  const confirmed = await api('POST', '/v1/accounts/customer-numbers/confirm', { token }, { authorization: '' });
  expect(confirmed.body).toEqual({ accountId: account.accountId, customerNumber: c.customerNumber, at: expect.any(String) });
  expect((await api('POST', '/v1/accounts/customer-numbers/confirm', { token })).status).toBe(410);
  const overview = (await api('GET', path)).body;
  expect(overview.customerNumbers.map((n: { customerNumber: string; proof?: string }) => [n.customerNumber, n.proof])).toEqual([
    [account.customerNumber, undefined],
    [b.customerNumber, 'terminal'],
    [c.customerNumber, 'link'],
  ]);
  expect(overview.pendingConfirmation).toBeUndefined();
  expect((await api('GET', `/v1/accounts/${account.accountId}`)).body.customerNumbers).toEqual([account.customerNumber, b.customerNumber, c.customerNumber]);

  // Remove: any added one; the registered one stays, so the last never goes.
  expect((await api('DELETE', `${path}/${c.customerNumber}`)).body.customerNumbers).toHaveLength(2);
  expect((await api('DELETE', `${path}/${c.customerNumber}`)).status).toBe(404);
  expect((await api('DELETE', `${path}/${account.customerNumber}`)).status).toBe(409);
  expect((await api('DELETE', `${path}/${b.customerNumber}`)).body.customerNumbers).toHaveLength(1);
  expect((await api('DELETE', `${path}/${account.customerNumber}`)).status).toBe(409);
  const record = await db.models.PortalAccount.findById(account.accountId).lean();
  expect(record!.customerNumbers).toEqual([]);
});
