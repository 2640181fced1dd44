/**
 * No personal data in workflow history (issue 10): a full card application
 * (through the PIN email and activation with the PIN) and a portal account
 * (through a password reset) are driven over the real API with a real
 * worker; then each workflow's history is exported as an operator would, with
 * `temporal workflow show -o json`, and searched for every personal value the
 * flows used: the PIN, the password hashes, every email address, person name
 * and ID-document number, in clear and inside every base64 string. None may be
 * there. Then the same histories decoded through the codec server (the way
 * the Web UI and the CLI with --codec-endpoint read them) do show them: the
 * operator still reads the case.
 *
 * The card application runs on the time-skipping server (its cut-offs and
 * pickup window are reached by moving the clock), the account on the shared
 * dev server; both are exported by the Temporal CLI binary the stack uses.
 */
import { execFile } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { LOCAL_HUMAN_CHECK_TOKEN } from '../../api/services/human-check';
import { currentVersions, DEFAULT_PORTAL_SETTINGS } from '../../api/services/sign-in';
import { createCodecServer } from '../../codec/server';
import { loadConfig } from '../../config';
import { LOCAL_API_KEYS } from '../../config/api-keys';
import { BusinessCalendar, type IsoDay } from '../../domain/calendar';
import { DEFAULT_RULES } from '../../domain/rules';
import { binaries } from '../../stack/binaries';
import { accountWorkflowId, cardApplicationWorkflowId, pickupHoldWorkflowId } from '../../workflows/definitions';
import { startApiHarness, startApp, type ApiHarness, type AppServer } from '../support/api-harness';
import { hex, insertCompany } from '../support/fixtures';
import { devServerAddress, eventually, TEST_PAYLOAD_KEYS } from '../support/servers';
import { startWorkflowHarness, type WorkflowHarness } from '../support/workflow-harness';

const run = promisify(execFile);
const calendar = new BusinessCalendar(DEFAULT_RULES);
const OPERATOR_KEY = LOCAL_API_KEYS['customer-service'];

let codecUrl: string, codecServer: Server;
beforeAll(async () => {
  codecServer = createCodecServer({ payloadKeys: TEST_PAYLOAD_KEYS, apiKeys: loadConfig({}).api.keys, uiOrigins: [] });
  await new Promise<void>((resolve) => codecServer.listen(0, '127.0.0.1', resolve));
  codecUrl = `http://127.0.0.1:${(codecServer.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => codecServer?.close(resolve)));

/** `temporal workflow show -o json`, as an operator exports a history; with `decode`, through the codec server. */
async function exportHistory(address: string, workflowId: string, decode = false): Promise<string> {
  const args = ['workflow', 'show', '--address', address, '--namespace', 'default', '--workflow-id', workflowId, '--output', 'json'];
  if (decode) args.push('--codec-endpoint', codecUrl, '--codec-auth', `Bearer ${OPERATOR_KEY}`);
  const { stdout } = await run(binaries().temporal, args, { maxBuffer: 64 * 1024 * 1024 });
  expect(JSON.parse(stdout).events.length).toBeGreaterThan(3);
  return stdout;
}

/** Every string of the export, and what each base64-looking string decodes to: what a reader of the file could find. */
function readable(exported: string): string {
  const out: string[] = [exported];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      if (v.length >= 4 && /^[A-Za-z0-9+/_-]+={0,2}$/.test(v)) out.push(Buffer.from(v, 'base64').toString('utf8'));
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(JSON.parse(exported));
  return out.join('\n').toLowerCase();
}

/** The values of `secrets` that a reader of the export finds. */
const found = (exported: string, secrets: string[]): string[] => {
  const text = readable(exported);
  return secrets.filter((s) => text.includes(s.toLowerCase()));
};

describe('a card application through PIN email and activation', () => {
  let h: WorkflowHarness, app: AppServer;
  beforeAll(async () => {
    h = await startWorkflowHarness({ workflowsPath: require.resolve('./card-workflows') });
    app = await startApp({ db: h.db, client: h.env.client, taskQueue: h.taskQueue });
  });
  afterAll(async () => {
    await app?.close();
    await h?.close();
  });

  test('its histories carry no PIN, name, email address or ID-document number; decoded through the codec server they do', async () => {
    const { api } = app;
    const company = await insertCompany(h.db.models);
    const companyRecord = (await h.db.models.Company.findById(company.companyId).lean())!;
    const user = {
      firstName: 'Annelies',
      lastName: 'Vermeulen-Bakker',
      email: `annelies.${hex(6)}@haven.example`,
      document: `NR${hex(4).toUpperCase()}7Q`,
    };
    const registered = await api('POST', '/v1/card-users', {
      companyId: company.companyId,
      firstName: user.firstName,
      lastName: user.lastName,
      email: user.email,
      language: 'en',
      identityDocument: { kind: 'passport', number: user.document, expiresOn: calendar.addDays(calendar.dayOf(new Date()), 365) },
    });
    expect(registered.status).toBe(201);
    const xsId = registered.body.xsId as string;
    const fullName = `${user.firstName} ${user.lastName}`;

    const created = await api('POST', '/v1/card-applications', { companyId: company.companyId, xsId, cardType: 'PortKey', deliveryMethod: 'urgent-pickup' });
    expect(created.status).toBe(201);
    const id = created.body.applicationId as string;
    const path = `/v1/card-applications/${id}`;
    let day: IsoDay = calendar.dayOf(new Date((await h.env.currentTimeMs()) + 3 * 86_400_000));
    while (!calendar.isWorkingDay(day)) day = calendar.addDays(day, 1);
    await h.sleepUntil(calendar.atLocalTime(day, '09:00'));
    expect((await api('POST', `${path}/approvals`, { by: 'back-office', approvedBy: 'bo-1' })).status).toBe(200);
    expect((await api('POST', `${path}/approvals`, { by: 'card-user', approvedBy: xsId })).status).toBe(200);
    await eventually(async () => (await api('GET', path)).body.state?.phase === 'held-for-pickup');
    await h.sleepUntil(calendar.atLocalTime(day, '09:30'));
    expect((await api('POST', `${path}/pickup`, { collectedBy: fullName })).status).toBe(200);
    const pinMail = await eventually(async () => h.receiver.messages.find((m) => m.to.includes(company.contact) && /^PIN code/.test(m.subject)));
    const pin = /PIN code is:\s*(\d{4})/.exec(pinMail.text)![1]!;
    const wrongPin = String((Number(pin) + 1) % 10_000).padStart(4, '0');
    expect((await api('POST', `${path}/activation`, { pin: wrongPin })).status).toBe(422); // a guess must not be readable either
    expect((await api('POST', `${path}/activation`, { pin })).status).toBe(200);
    // Four digits alone occur in any export (times, IDs); a PIN travels as a JSON string, so it is searched quoted.
    const [quotedPin, quotedWrongPin] = [`"${pin}"`, `"${wrongPin}"`];
    await eventually(async () => (await api('GET', path)).body.status === 'active');

    const secrets = [
      quotedPin,
      quotedWrongPin,
      user.email,
      fullName,
      user.firstName,
      user.lastName,
      user.document,
      company.contact,
      companyRecord.contact!.name,
      companyRecord.signatory!.name,
      companyRecord.signatory!.email,
    ];
    for (const workflowId of [cardApplicationWorkflowId(id), pickupHoldWorkflowId(id)]) {
      const exported = await exportHistory(h.env.address, workflowId);
      expect({ workflowId, inClear: found(exported, secrets) }).toEqual({ workflowId, inClear: [] });
    }
    // The operator, through the codec server, reads the PIN typed at activation and who collected the card.
    const decoded = await exportHistory(h.env.address, cardApplicationWorkflowId(id), true);
    expect(found(decoded, [quotedPin, fullName])).toEqual([quotedPin, fullName]);
  });
});

describe('a portal account through a password reset', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await startApiHarness();
  });
  afterAll(() => h?.close());

  // The account workflow's payloads hold no name or address (its input is IDs); the hash of a new password may
  // travel in its reset Update, so the export must show neither hashes nor passwords, and decoded it shows the case.
  test('its history carries no name, email address, password or password hash (reset and sign-ins); decoded through the codec server it reads', async () => {
    const { api, db, receiver } = h;
    const company = await insertCompany(db.models);
    const name = 'Hoogendijk';
    const email = `maarten.${hex(6)}@haven.example`;
    const passwords = ['Harbour#2026!Key', 'Quay$7Lamp&Tide'];
    const registered = await api('POST', '/v1/accounts', { name, customerNumber: company.customerNumber, email, password: passwords[0], accept: currentVersions(DEFAULT_PORTAL_SETTINGS) });
    expect(registered.status).toBe(201);
    const accountId = registered.body.accountId as string;
    const mails = (n: number) => eventually(async () => receiver.messages.filter((m) => m.to.includes(email))[n - 1]);
    const tokenIn = (text: string) => /\?token=([A-Za-z0-9_-]{43})\s/.exec(text)![1]!;
    expect((await api('POST', '/v1/accounts/activate', { token: tokenIn((await mails(1)).text) })).status).toBe(200);
    const hashes = [(await db.models.PortalAccount.findById(accountId).lean())!.passwordHash];
    expect((await api('POST', '/v1/accounts/password-reset', { customerNumber: company.customerNumber, email, humanCheckToken: LOCAL_HUMAN_CHECK_TOKEN })).status).toBe(202);
    expect((await api('POST', '/v1/accounts/password-reset/confirm', { token: tokenIn((await mails(2)).text), password: passwords[1] })).status).toBe(200);
    hashes.push((await db.models.PortalAccount.findById(accountId).lean())!.passwordHash);
    expect(hashes[1]).not.toBe(hashes[0]);
    // Sign-ins: the workflow gets the API's verdict on the password, never the password.
    expect((await api('POST', '/v1/accounts/sign-in', { email, password: passwords[0] })).status).toBe(401);
    expect((await api('POST', '/v1/accounts/sign-in', { email, password: passwords[1] })).status).toBe(200);

    const hashParts = hashes.flatMap((hash) => hash.split('$').filter((part) => part.length >= 16)); // salt and key, however framed
    const secrets = [name, email, company.contact, ...passwords, ...hashes, ...hashParts];
    const exported = await exportHistory(devServerAddress(), accountWorkflowId(accountId));
    expect(found(exported, secrets)).toEqual([]);
    // The workflow's input is in no ID or search attribute, only in payloads: encrypted in the export, readable decoded.
    const input = `"accountId":"${accountId}"`;
    expect(found(exported, [input])).toEqual([]);
    const decoded = await exportHistory(devServerAddress(), accountWorkflowId(accountId), true);
    expect(found(decoded, [input, `Portal account ${accountId}`])).toEqual([input, `Portal account ${accountId}`]); // input and static summary
  });
});
