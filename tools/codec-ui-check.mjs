/**
 * A manual check, not part of `make test`: the Temporal Web UI of the CLI dev server (v1.5.1, as
 * `make up` starts it) shows encrypted payloads decoded only for an operator who signed in at the
 * codec server AND set the UI's Codec Server settings to include cross-origin credentials.
 * Needs a browser, which the project does not ship: Debian's `chromium` (apt-get install chromium)
 * and `npm install --no-save playwright-core`; then `npx tsc -p tsconfig.json && node tools/codec-ui-check.mjs`.
 * Last run (2026-11-28, Chromium 156): 1 false, 2 false, 3 true (input and summary), 4 false.
 */
import { createRequire } from 'node:module';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
const require = createRequire(import.meta.url);
const W = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(join(tmpdir(), 'codec-ui-check-'));
const { startTemporalServer } = require(`${W}/dist/stack/services.js`);
const { freePort } = require(`${W}/dist/stack/processes.js`);
const { createCodecServer } = require(`${W}/dist/codec/server.js`);
const { dataConverter } = require(`${W}/dist/codec/data-converter.js`);
const { loadConfig } = require(`${W}/dist/config/index.js`);
const { LOCAL_API_KEYS } = require(`${W}/dist/config/api-keys.js`);
const { Client, Connection } = require(`${W}/node_modules/@temporalio/client`);

const [port, uiPort, codecPort] = [await freePort(), await freePort(), await freePort()];
const ui = `http://127.0.0.1:${uiPort}`, codecUrl = `http://127.0.0.1:${codecPort}`;
const temporal = await startTemporalServer({ port, uiPort, uiCodecEndpoint: codecUrl, logFile: join(dir, 'temporal.log') });
const cfg = loadConfig({});
const calls = [];
const codec = createCodecServer({ payloadKeys: cfg.payloadKeys, apiKeys: cfg.api.keys, uiOrigins: [ui], audit: (c) => calls.push(c) });
await new Promise((r) => codec.listen(codecPort, '127.0.0.1', r));
const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
const client = new Client({ connection, dataConverter: dataConverter(cfg.payloadKeys) });
await client.workflow.start('probe', { workflowId: 'probe-1', taskQueue: 'nobody', args: [{ contact: 'Wilhelmina Geheimhouder' }], staticSummary: 'Summary of Wilhelmina' });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: ['--no-sandbox'] });
const SECRET = 'Wilhelmina Geheimhouder';
const shown = [];
async function look(context, label) {
  const page = await context.newPage();
  await page.goto(`${ui}/namespaces/default/workflows/probe-1`);
  await page.waitForTimeout(6000);
  const text = await page.evaluate(() => document.body.innerText);
  console.log(label, '-> secret shown:', text.includes(SECRET), '| summary shown:', text.includes('Summary of Wilhelmina'));
  shown.push(text.includes(SECRET));
  await page.close();
  return text;
}
const settings = async (context) => {
  const page = await context.newPage();
  await page.goto(`${ui}/`);
  await page.evaluate((endpoint) => {
    localStorage.setItem('endpoint', JSON.stringify(endpoint));
    localStorage.setItem('includeCredentials', 'true');
    localStorage.setItem('overrideRemoteCodecConfiguration', 'true');
  }, codecUrl);
  await page.close();
};
try {
  const a = await browser.newContext();
  await look(a, '1. no sign-in, UI as make up configures it');
  await settings(a);
  await look(a, '2. browser settings (override + include credentials), no sign-in');
  const signIn = await a.newPage();
  await signIn.goto(`${codecUrl}/`);
  await signIn.fill('input[name=key]', LOCAL_API_KEYS['customer-service']);
  await signIn.click('button');
  console.log('sign-in page says:', (await signIn.evaluate(() => document.body.innerText)).split('\n')[0]);
  await signIn.close();
  const text = await look(a, '3. signed in + browser settings');
  const b = await browser.newContext();
  const sys = await b.newPage();
  await sys.goto(`${codecUrl}/`);
  await sys.fill('input[name=key]', LOCAL_API_KEYS['customer-service']);
  await sys.click('button');
  await sys.close();
  await look(b, '4. signed in, UI left as make up configures it (no include-credentials)');
  console.log('codec calls answered:', JSON.stringify(calls.slice(0, 3)), calls.length);
  if (!text.includes(SECRET)) console.log(text.slice(0, 3000));
  const ok = JSON.stringify(shown) === JSON.stringify([false, false, true, false]);
  console.log(ok ? 'OK: decoded only for a signed-in operator whose UI includes credentials' : `FAILED: ${JSON.stringify(shown)}`);
  if (!ok) process.exitCode = 1;
} finally {
  await browser.close();
  codec.close();
  await connection.close();
  await temporal.stop();
}
