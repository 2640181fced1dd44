/**
 * The codec server: Temporal's remote codec protocol over HTTP, so operators
 * read encrypted payloads in the Temporal Web UI and the CLI
 * (`temporal workflow show --codec-endpoint ... --codec-auth 'Bearer <key>'`).
 *
 * - `POST /decode` and `POST /encode` take and give `{ "payloads": [...] }`
 *   (proto3 JSON: metadata values and data in base64); the keys are the same for
 *   every namespace, so `X-Namespace` is only logged. Both need a caller with an
 *   operator role (CODEC_ROLES): 401 without a valid credential, 403 for another
 *   role. Every call is logged (who, what, how many payloads; never a payload).
 * - A credential is an API key (config/api-keys.ts) as `Authorization: Bearer`
 *   or `X-API-Key`, or the session cookie of the sign-in page: the Web UI
 *   cannot send a header of ours, but with "Include cross-origin credentials"
 *   on it sends cookies. `GET /` is that page; `POST /session` checks a key and
 *   sets an HttpOnly, SameSite=Strict cookie holding a random session token (never
 *   the key), valid SESSION_HOURS, kept in this process only.
 * - CORS: only the Web UI origins of CODEC_UI_ORIGINS, exactly, with
 *   credentials; a preflight from any other origin is refused.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Payload } from '@temporalio/common';
import { z } from 'zod';
import { sha256, type ApiKey, type Role } from '../config/api-keys';
import type { PayloadKey } from '../config/payload-keys';
import { EncryptionCodec, PayloadDecryptionError } from './encryption-codec';

/**
 * Who may read payloads: the people who handle cases (back-office and the
 * customer-service desk). Not `system`: schedulers never need to read a case.
 */
export const CODEC_ROLES: readonly Role[] = ['backoffice', 'customer-service'];

/** Printed by codec/main.ts once it listens; `make up` waits for it. */
export const CODEC_READY_LINE = 'codec: listening on';

export const SESSION_COOKIE = 'xs_codec_session';
export const SESSION_HOURS = 8;
const MAX_SESSIONS = 1_000;
/** A workflow history's payloads come in batches; Temporal's own payload limit is 2 MB each. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

export interface CodecServerOptions {
  payloadKeys: readonly PayloadKey[];
  apiKeys: readonly ApiKey[];
  /** Exact origins of the Web UI (scheme://host:port). */
  uiOrigins: readonly string[];
  /** Sets `Secure` on the cookie (when served over HTTPS, e.g. behind a TLS proxy). */
  secureCookie?: boolean;
  /** Told of every encode or decode call that was answered: who read payloads, and how many. */
  audit?: (call: { caller: string; role: Role; op: 'encode' | 'decode'; payloads: number; namespace?: string }) => void;
  now?: () => number;
}

interface Caller {
  name: string;
  role: Role;
}

const payloadJson = z.object({
  metadata: z.record(z.string(), z.string()).optional().nullable(),
  data: z.string().optional().nullable(),
});
// proto3 JSON leaves out an empty list: the CLI sends `{}` for a message without payloads
const bodySchema = z.object({ payloads: z.array(payloadJson).default([]) });

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

const fromBase64 = (s: string | null | undefined): Uint8Array => Buffer.from(s ?? '', 'base64');
const toBase64 = (b: Uint8Array | null | undefined): string => Buffer.from(b ?? new Uint8Array()).toString('base64');

function toPayload(p: z.infer<typeof payloadJson>): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, fromBase64(v)])),
    data: fromBase64(p.data),
  };
}

function toJson(p: Payload): { metadata: Record<string, string>; data: string } {
  return { metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, toBase64(v)])), data: toBase64(p.data) };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'Payload Too Large', `the body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function cookies(req: IncomingMessage): Map<string, string> {
  const jar = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) jar.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return jar;
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:15px system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem}input{width:100%;padding:.4rem}button{margin-top:.6rem;padding:.4rem 1rem}code{background:#eee;padding:0 .2rem}</style>
</head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

export function createCodecServer(options: CodecServerOptions): Server {
  const codec = new EncryptionCodec(options.payloadKeys);
  const byHash = new Map(options.apiKeys.map((k) => [k.secretSha256, k]));
  const origins = new Set(options.uiOrigins);
  const now = options.now ?? Date.now;
  /** SHA-256 of the session token -> who signed in, until when. */
  const sessions = new Map<string, Caller & { expiresAt: number }>();

  const keyCaller = (secret: string): Caller | undefined => {
    const key = byHash.get(sha256(secret));
    return key ? { name: key.name, role: key.role } : undefined;
  };

  /** The caller of a request: an API key in a header, else a live session cookie. null: a credential that is not valid. */
  function callerOf(req: IncomingMessage): Caller | null | undefined {
    const auth = req.headers.authorization;
    const header = req.headers['x-api-key'];
    if (auth !== undefined || header !== undefined) {
      const bearer = auth === undefined ? undefined : /^Bearer +(\S+) *$/i.exec(auth)?.[1];
      const secret = bearer ?? (typeof header === 'string' ? header : undefined);
      return secret ? (keyCaller(secret) ?? null) : null;
    }
    const token = cookies(req).get(SESSION_COOKIE);
    if (!token) return undefined;
    // Looked up by the token's hash: a timing difference then tells nothing about a live token.
    const hash = createHash('sha256').update(token).digest('hex');
    const session = sessions.get(hash);
    if (session && session.expiresAt > now()) return session;
    sessions.delete(hash);
    return null;
  }

  function cors(req: IncomingMessage, res: ServerResponse): void {
    const origin = req.headers.origin;
    res.setHeader('Vary', 'Origin');
    if (origin === undefined) return; // not a browser's cross-origin request (the CLI, curl)
    if (!origins.has(origin)) throw new HttpError(403, 'Forbidden', `the origin ${origin} is not in CODEC_UI_ORIGINS`);
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
  }

  function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers });
    res.end(body);
  }

  function problem(res: ServerResponse, err: HttpError): void {
    send(res, err.status, 'application/problem+json', JSON.stringify({ type: 'about:blank', title: err.title, status: err.status, detail: err.message }), err.headers);
  }

  async function codecCall(req: IncomingMessage, res: ServerResponse, op: 'encode' | 'decode'): Promise<void> {
    const caller = callerOf(req);
    if (!caller) {
      throw new HttpError(401, 'Unauthorized', 'send an API key as "Authorization: Bearer <key>", or sign in at / and let the Web UI include credentials', {
        'www-authenticate': 'Bearer realm="xs-backoffice codec"',
      });
    }
    if (!CODEC_ROLES.includes(caller.role)) {
      throw new HttpError(403, 'Forbidden', `the role ${caller.role} may not ${op} payloads (roles that may: ${CODEC_ROLES.join(', ')})`);
    }
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) throw new HttpError(415, 'Unsupported Media Type', 'send application/json');
    let body: z.infer<typeof bodySchema>;
    try {
      body = bodySchema.parse(JSON.parse(await readBody(req)));
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw new HttpError(400, 'Bad Request', 'the body must be {"payloads": [{"metadata": {...}, "data": "<base64>"}]}');
    }
    const payloads = body.payloads.map(toPayload);
    let result: Payload[];
    try {
      result = op === 'encode' ? await codec.encode(payloads) : await codec.decode(payloads);
    } catch (err) {
      if (err instanceof PayloadDecryptionError) throw new HttpError(422, 'Unprocessable Content', err.message);
      throw err;
    }
    const namespace = req.headers['x-namespace'];
    options.audit?.({ caller: caller.name, role: caller.role, op, payloads: result.length, ...(typeof namespace === 'string' ? { namespace } : {}) });
    send(res, 200, 'application/json', JSON.stringify({ payloads: result.map(toJson) }));
  }

  async function signIn(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    const caller = keyCaller(form.get('key')?.trim() ?? '');
    if (!caller || !CODEC_ROLES.includes(caller.role)) {
      const why = caller ? `The role ${caller.role} may not read payloads.` : 'That is not a valid API key.';
      send(res, caller ? 403 : 401, 'text/html; charset=utf-8', page('Not signed in', `<p>${escapeHtml(why)}</p><p><a href="/">Try again</a></p>`));
      return;
    }
    const token = randomBytes(32).toString('base64url');
    const expiresAt = now() + SESSION_HOURS * 3_600_000;
    if (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value!);
    sessions.set(createHash('sha256').update(token).digest('hex'), { ...caller, expiresAt });
    const cookie = `${SESSION_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_HOURS * 3600}${options.secureCookie ? '; Secure' : ''}`;
    const endpoint = `${options.secureCookie ? 'https' : 'http'}://${req.headers.host ?? ''}`;
    send(
      res,
      200,
      'text/html; charset=utf-8',
      page(
        'Signed in',
        `<p>Signed in as <b>${escapeHtml(caller.name)}</b> (${escapeHtml(caller.role)}) for ${SESSION_HOURS} hours.</p>
<p>In the Temporal Web UI, open the <b>Codec Server</b> settings (the lock icon at the bottom of the left bar), choose
<b>Use my browser setting and ignore Cluster-level setting</b>, enter <code>${escapeHtml(endpoint)}</code> as the endpoint
and switch on <b>Include cross-origin credentials</b>. The UI then shows the decrypted payloads.</p>`,
      ),
      { 'set-cookie': cookie },
    );
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const handle = async (): Promise<void> => {
      if (path === '/healthz' && req.method === 'GET') return send(res, 200, 'application/json', '{"status":"ok"}');
      if (path === '/' && req.method === 'GET') {
        return send(
          res,
          200,
          'text/html; charset=utf-8',
          page(
            'XS-Key codec server',
            `<p>Decrypts workflow payloads for the Temporal Web UI. Sign in with an API key of role ${CODEC_ROLES.join(' or ')}.</p>
<form method="post" action="/session"><label>API key <input name="key" type="password" autocomplete="off" required></label><button>Sign in</button></form>`,
          ),
        );
      }
      if (path === '/session' && req.method === 'POST') return signIn(req, res);
      if (path === '/encode' || path === '/decode') {
        cors(req, res);
        if (req.method === 'OPTIONS') {
          res.writeHead(204, {
            'access-control-allow-methods': 'POST',
            'access-control-allow-headers': 'content-type, x-namespace, authorization, authorization-extras, x-api-key',
            'access-control-max-age': '600',
          });
          return void res.end();
        }
        if (req.method === 'POST') return codecCall(req, res, path === '/encode' ? 'encode' : 'decode');
        throw new HttpError(405, 'Method Not Allowed', 'use POST', { allow: 'POST, OPTIONS' });
      }
      throw new HttpError(404, 'Not Found', 'the codec server serves POST /encode, POST /decode and the sign-in page at /');
    };
    handle().catch((err: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (err instanceof HttpError) return problem(res, err);
      console.error('codec server:', err instanceof Error ? err.message : err);
      problem(res, new HttpError(500, 'Internal Server Error', 'the codec server failed'));
    });
  });
  return server;
}
