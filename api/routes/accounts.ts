/**
 * /v1/accounts: portal accounts. Register (starts the account's workflow and
 * mails the activation link), activate with the link's token, reset a
 * forgotten password (with a human check), lock and unlock (customer
 * service), check a password against the policy, sign in (the portal;
 * docs/accounts.md).
 *
 * The links in the emails open two small pages here (GET .../activation and
 * GET .../password-reset/confirm) that post the token to the JSON endpoints:
 * opening a link changes nothing, so mail scanners that fetch links cannot
 * use up a single-use token.
 */
import type { Request, RequestHandler, Response } from 'express';
import { badRequest } from '../errors';
import { json, problemResponse } from '../openapi-helpers';
import { endpointsFor } from '../operations';
import {
  accountIdParam,
  accountUpdateResult,
  addCustomerNumberBody,
  customerNumberConfirmed,
  customerNumberParam,
  customerNumberRequested,
  customerNumbersView,
  accountView,
  activateBody,
  lockBody,
  passwordCheckBody,
  passwordCheckResult,
  registerAccountBody,
  resetConfirmBody,
  resetRequestBody,
  signInBody,
  signInResult,
  unlockBody,
} from '../schemas/accounts';
import { addressLimiters, DEFAULT_ACCOUNT_LIMITS, type AddressLimiters } from '../services/account-limits';
import { createAccountService } from '../services/accounts';
import type { Resource, RouteDeps } from '.';

/** The account service, and the per-address limits of the public endpoints (api/services/account-limits.ts). */
type Service = ReturnType<typeof createAccountService> & { limit: AddressLimiters };
const endpoint = endpointsFor<Service>();

const service = (deps: RouteDeps): Service =>
  Object.assign(createAccountService(deps), { limit: addressLimiters(deps.models.PortalAccount.db, deps.accountLimits ?? DEFAULT_ACCOUNT_LIMITS) });

/** Runs a per-address limit before the handler's work: resolves to go on, rejects with its 429. */
const within = (limit: RequestHandler, req: Request, res: Response): Promise<void> =>
  new Promise((resolve, reject) => void limit(req, res, (err?: unknown) => (err ? reject(err) : resolve())));

/** The one answer to every well-formed reset request, whatever the account's state (api/services/account-limits.ts). */
const RESET_ACCEPTED =
  'If an active account matches, a password-reset link valid 24 hours is on its way to its email. ' +
  'Asked again within a few minutes, nothing more is sent and the link already sent stays valid.';

const linkGone = problemResponse('The link was used, expired (the registration then lapsed), or revoked by a lock');
const unknownLink = problemResponse('Malformed input, or a token that is not the current link of any account');
const linkUsed = accountUpdateResult.extend({ accountId: accountIdParam.shape.accountId });
const page = (path: string, operationId: string, summary: string, kind: LinkKind) =>
  endpoint({
    method: 'get',
    path,
    operationId,
    summary,
    parameters: [{ name: 'token', in: 'query', required: true, schema: { type: 'string', minLength: 1 } }],
    responses: {
      '200': { description: 'An HTML page that posts the token (opening it uses nothing up)', content: { 'text/html': {} } },
      '400': problemResponse('The link has no token'),
    },
    handle: linkPage(kind),
  });

export const accounts: Resource<Service> = {
  service,
  endpoints: [
    endpoint({
      method: 'post',
      path: '/v1/accounts',
      operationId: 'registerPortalAccount',
      summary:
        'Register a portal account, with a name or with customer number and Terminal-ID; mails an activation link valid 24 hours (unused, the registration lapses)',
      body: registerAccountBody,
      responses: {
        '201': { description: 'Registered, pending activation', content: json(accountView, 'output') },
        '400': problemResponse('Malformed input or unknown fields'),
        '409': problemResponse('An account with this email is pending activation or active'),
        '422': problemResponse(
          'Every violation of the password rules (field "password", each with code and German/English reason), an unknown customer number, ' +
            'terms of use / privacy statement not accepted in their current versions (fields "accept.terms", "accept.privacy"), ' +
            'or (field "terminalId", one answer for any mismatch) customer number and Terminal-ID that match no active terminal',
        ),
      },
      handle: async ({ body }, res, service) => {
        const account = await service.register(body);
        res.status(201).location(`/v1/accounts/${account.accountId}`).json(account);
      },
    }),
    endpoint({
      method: 'post',
      path: '/v1/accounts/password-check',
      operationId: 'checkPortalPassword',
      summary: 'Check a password against every rule (the five, personal data, common/leaked passwords, strength); lists every violation',
      body: passwordCheckBody,
      responses: { '200': { description: 'The verdict and the estimated strength', content: json(passwordCheckResult, 'output') }, '400': problemResponse('Malformed input') },
      handle: ({ body }, res, service) => res.json(service.checkPassword(body)),
    }),
    endpoint({
      method: 'post',
      path: '/v1/accounts/activate',
      operationId: 'activatePortalAccount',
      sendsUpdate: true,
      summary: 'Activate an account with the token from its activation link (works once, within 24 hours)',
      body: activateBody,
      responses: { '200': { description: 'Activated', content: json(linkUsed, 'output') }, '400': unknownLink, '410': linkGone },
      handle: async ({ body, req }, res, service) => {
        await within(service.limit.linkFailures, req, res);
        res.json(await service.activate(body.token));
      },
    }),
    page('/v1/accounts/activation', 'activationPage', 'The page the activation link opens', 'activation'),
    endpoint({
      method: 'post',
      path: '/v1/accounts/password-reset',
      operationId: 'requestPasswordReset',
      summary: 'Forgotten password: mails a reset link (24 hours, single use) when an active account matches',
      body: resetRequestBody,
      responses: {
        '202': {
          description:
            'Always the same answer, whatever the state of the account (unknown, pending, active, locked, or limited: a link ' +
            'went out within ACCOUNT_RESET_RESEND_MINUTES, or ACCOUNT_RESET_MAILS_PER_DAY were sent); the account is looked up afterwards',
          content: { 'application/json': {} },
        },
        '400': problemResponse('Malformed input, or no humanCheckToken'),
        '422': problemResponse('The human check failed: the verifier did not accept humanCheckToken (field "humanCheckToken")'),
      },
      // Answered before any account is looked up: the same answer, at the same speed, whatever the account's state.
      handle: async ({ body, req }, res, service) => {
        await within(service.limit.resetRequests, req, res);
        await service.requireHuman(body.humanCheckToken, req.ip);
        service.requestReset(body);
        res.status(202).json({ message: RESET_ACCEPTED });
      },
    }),
    endpoint({
      method: 'post',
      path: '/v1/accounts/sign-in',
      operationId: 'signInPortalAccount',
      summary: 'Sign in to the portal with email and password (docs/accounts.md)',
      description:
        'An active account with the right password is signed in: the account, its customer numbers, this and the previous ' +
        'sign-in. When the terms of use or the privacy statement changed since the account accepted them, the answer lists ' +
        'them instead (`acceptance-required`, nobody signed in): show them and send the same request again with `accept`. ' +
        'Every other case is the same 401, whatever the reason. ACCOUNT_SIGN_IN_MAX_FAILURES (5) wrong passwords in a row ' +
        'lock the account; the holder is mailed and only customer service unlocks it. Takes no Idempotency-Key (400): ' +
        'a replayed answer would skip the judgement.',
      body: signInBody,
      idempotent: false,
      responses: {
        '200': { description: 'Signed in, or acceptance of newer terms required', content: json(signInResult, 'output') },
        '400': problemResponse('Malformed input, or an Idempotency-Key'),
        '401': problemResponse(
          'Refused: unknown email, wrong password, or an account that is not active (pending, lapsed, locked); one answer for all ' +
            '(also the answer to a request without a valid API key)',
        ),
      },
      handle: async ({ body }, res, service) => res.json(await service.signIn(body)),
    }),
    page('/v1/accounts/password-reset/confirm', 'passwordResetPage', 'The page the reset link opens', 'reset'),
    endpoint({
      method: 'post',
      path: '/v1/accounts/password-reset/confirm',
      operationId: 'resetPortalPassword',
      sendsUpdate: true,
      summary: 'Set a new password with the token from a reset link (works once, within 24 hours)',
      body: resetConfirmBody,
      responses: {
        '200': { description: 'Password changed', content: json(linkUsed, 'output') },
        '400': unknownLink,
        '409': problemResponse('The account is locked'),
        '410': linkGone,
        '422': problemResponse('Every violation of the password policy'),
      },
      handle: async ({ body, req }, res, service) => {
        await within(service.limit.linkFailures, req, res);
        res.json(await service.confirmReset(body));
      },
    }),
    endpoint({
      method: 'get',
      path: '/v1/accounts/{accountId}',
      operationId: 'getPortalAccount',
      summary: 'A portal account and its state (never a hash)',
      params: accountIdParam,
      responses: {
        '200': { description: 'The account', content: json(accountView, 'output') },
        '400': problemResponse('Malformed account ID'),
        '404': problemResponse('Unknown account'),
      },
      handle: async ({ params }, res, service) => res.json(await service.get(params.accountId)),
    }),
    endpoint({
      method: 'post',
      path: '/v1/accounts/{accountId}/lock',
      operationId: 'lockPortalAccount',
      sendsUpdate: true,
      summary: 'Customer service locks an active account (an open reset link is revoked; the holder is mailed)',
      params: accountIdParam,
      body: lockBody,
      responses: {
        '200': { description: 'Locked', content: json(accountUpdateResult, 'output') },
        '400': problemResponse('Malformed input'),
        '404': problemResponse('Unknown account'),
        '409': problemResponse('The account is not active (pending, already locked, lapsed)'),
      },
      handle: async ({ params, body }, res, service) => res.json(await service.lock(params.accountId, body)),
    }),
    endpoint({
      method: 'post',
      path: '/v1/accounts/{accountId}/unlock',
      operationId: 'unlockPortalAccount',
      sendsUpdate: true,
      summary: 'Customer service unlocks a locked account (the holder is mailed)',
      params: accountIdParam,
      body: unlockBody,
      responses: {
        '200': { description: 'Unlocked', content: json(accountUpdateResult, 'output') },
        '400': problemResponse('Malformed input'),
        '404': problemResponse('Unknown account'),
        '409': problemResponse('The account is not locked'),
      },
      handle: async ({ params, body }, res, service) => res.json(await service.unlock(params.accountId, body)),
    }),
    // ---- several customer numbers (docs/accounts-terminals.md) ----
    endpoint({
      method: 'get',
      path: '/v1/accounts/{accountId}/customer-numbers',
      operationId: 'listPortalCustomerNumbers',
      summary: "The account's customer numbers with their terminals' master data, and a confirmation still open",
      params: accountIdParam,
      responses: {
        '200': { description: 'The overview', content: json(customerNumbersView, 'output') },
        '400': problemResponse('Malformed account ID'),
        '404': problemResponse('Unknown account'),
      },
      handle: async ({ params }, res, service) => res.json(await service.customerNumbers(params.accountId)),
    }),
    endpoint({
      method: 'post',
      path: '/v1/accounts/{accountId}/customer-numbers',
      operationId: 'addPortalCustomerNumber',
      sendsUpdate: true,
      summary:
        "Add a customer number: with a Terminal-ID of it, at once; without, a confirmation link (24 hours, single use) goes to that customer's registered contact",
      params: accountIdParam,
      body: addCustomerNumberBody,
      responses: {
        '201': { description: 'Added (proven by the Terminal-ID): the overview', content: json(customerNumbersView, 'output') },
        '202': {
          description: "Always the same answer without a Terminal-ID: if the number is a customer's with an approved contract, its contact gets the link",
          content: json(customerNumberRequested, 'output'),
        },
        '400': problemResponse('Malformed input'),
        '404': problemResponse('Unknown account'),
        '409': problemResponse('The account is not active, or the number is on it already'),
        '422': problemResponse('Customer number and Terminal-ID match no active terminal (one answer for any mismatch)'),
      },
      handle: async ({ params, body }, res, service) => {
        const { added } = await service.addCustomerNumber(params.accountId, body);
        if (added) return void res.status(201).location(`/v1/accounts/${params.accountId}/customer-numbers`).json(await service.customerNumbers(params.accountId));
        res.status(202).json({ customerNumber: body.customerNumber, status: 'confirmation-requested', message: NUMBER_REQUESTED });
      },
    }),
    endpoint({
      method: 'delete',
      path: '/v1/accounts/{accountId}/customer-numbers/{customerNumber}',
      operationId: 'removePortalCustomerNumber',
      sendsUpdate: true,
      summary: 'Remove an added customer number (the one the account registered with stays)',
      params: customerNumberParam,
      responses: {
        '200': { description: 'Removed: the overview', content: json(customerNumbersView, 'output') },
        '400': problemResponse('Malformed input'),
        '404': problemResponse('Unknown account, or the number is not on it'),
        '409': problemResponse('The account is not active, or this is the number it registered with'),
      },
      handle: async ({ params }, res, service) => res.json(await service.removeCustomerNumber(params.accountId, params.customerNumber)),
    }),
    page('/v1/accounts/customer-numbers/confirmation', 'customerNumberConfirmationPage', 'The page the customer-number confirmation link opens', 'customer-number'),
    endpoint({
      method: 'post',
      path: '/v1/accounts/customer-numbers/confirm',
      operationId: 'confirmPortalCustomerNumber',
      sendsUpdate: true,
      summary: "The customer's contact confirms with the link's token: the number is added to the account (works once, within 24 hours)",
      body: activateBody,
      responses: {
        '200': { description: 'Added', content: json(customerNumberConfirmed, 'output') },
        '400': unknownLink,
        '409': problemResponse('The account is not active, or has the number already'),
        '410': problemResponse('The link was used, expired, or replaced by a newer request'),
      },
      handle: async ({ body, req }, res, service) => {
        await within(service.limit.linkFailures, req, res);
        res.json(await service.confirmCustomerNumber(body.token));
      },
    }),
  ],
};

const NUMBER_REQUESTED =
  'If the customer number belongs to a customer with an approved contract, its registered contact gets a confirmation link ' +
  '(single use, valid CUSTOMER_NUMBER_LINK_HOURS, by default 24 hours); the number is added once it is used.';

type LinkKind = 'activation' | 'reset' | 'customer-number';

/**
 * The page a link opens: a button (and for a reset, the new password) that
 * posts the token from the URL to the JSON endpoint, relative to the page.
 * Static: nothing from the request is written into it.
 */
function linkPage(kind: LinkKind): (input: { req: Request }, res: Response) => void {
  const page = {
    activation: { title: 'Konto aktivieren / Activate account', endpoint: 'activate', field: '', done: 'Aktiviert. / Activated.' },
    reset: {
      title: 'Neues Passwort / New password',
      endpoint: 'confirm',
      field: '<p><label>Neues Passwort / New password <input name="password" type="password" autocomplete="new-password" required></label></p>',
      done: 'Passwort geändert. / Password changed.',
    },
    'customer-number': {
      title: 'Kundennummer freigeben / Confirm customer number',
      endpoint: 'confirm',
      field: '',
      done: 'Bestätigt. / Confirmed.',
    },
  }[kind];
  const html = `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${page.title}</title></head><body style="font-family: sans-serif; max-width: 40em; margin: 2em auto">
<h1>XS-Key: ${page.title}</h1><form>${page.field}<p><button type="submit">${page.title}</button></p></form><p id="result" role="status"></p>
<script>
document.querySelector('form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const token = new URLSearchParams(location.search).get('token') || '';
  const body = Object.assign({ token }, Object.fromEntries(new FormData(event.target)));
  const res = await fetch(${JSON.stringify(page.endpoint)}, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const data = await res.json().catch(() => ({}));
  document.getElementById('result').textContent = res.ok
    ? ${JSON.stringify(page.done)}
    : ((data.errors || []).map((e) => e.message).join(' ') || data.detail || res.statusText);
});
</script></body></html>`;
  return ({ req }, res) => {
    // A link without its token can do nothing: say so rather than serve a page whose button must fail.
    if (typeof req.query.token !== 'string' || !req.query.token) throw badRequest('the link has no token', [{ field: 'token', message: 'is required' }]);
    res.type('html').send(html);
  };
}

