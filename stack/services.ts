/**
 * The real servers of the local stack, each started by the project itself:
 * the Temporal CLI dev server (with Web UI and the project's search
 * attributes), FerretDB through the project's launcher, and MailDev.
 */
import { Connection } from '@temporalio/client';
import { join } from 'node:path';
import { SEARCH_ATTRIBUTE_TYPES } from '../workflows/definitions';
import { binaries } from './binaries';
import { httpOk, startProcess, tcpOpen, type ManagedProcess } from './processes';

const ROOT = join(__dirname, '..', '..');

/** Temporal's CLI spells search-attribute types like this. */
const CLI_TYPE: Record<string, string> = {
  KEYWORD: 'Keyword',
  TEXT: 'Text',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

export function cliSearchAttributeType(type: string): string {
  const name = CLI_TYPE[type];
  if (!name) throw new Error(`no Temporal CLI name for the search-attribute type ${type}`);
  return name;
}

export function searchAttributeArgs(): string[] {
  return Object.entries(SEARCH_ATTRIBUTE_TYPES).flatMap(([name, type]) => ['--search-attribute', `${name}=${cliSearchAttributeType(type)}`]);
}

export async function temporalReady(address: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 1000 });
  try {
    await connection.workflowService.getSystemInfo({}, );
    return true;
  } finally {
    await connection.close();
  }
}

export interface TemporalServerOptions {
  port: number;
  /** 0 for no Web UI. */
  uiPort: number;
  /** SQLite file for state that survives restarts; in memory when absent. */
  dbFile?: string;
  namespace?: string;
  /** The codec server the Web UI decrypts payloads through (codec/server.ts). */
  uiCodecEndpoint?: string;
  logFile: string;
}

export function startTemporalServer(o: TemporalServerOptions): Promise<ManagedProcess> {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(o.port), '--log-level', 'warn'];
  args.push(...(o.uiPort ? ['--ui-port', String(o.uiPort)] : ['--headless']));
  if (o.dbFile) args.push('--db-filename', o.dbFile);
  if (o.namespace && o.namespace !== 'default') args.push('--namespace', o.namespace);
  if (o.uiPort && o.uiCodecEndpoint) args.push('--ui-codec-endpoint', o.uiCodecEndpoint);
  args.push(...searchAttributeArgs());
  const address = `127.0.0.1:${o.port}`;
  return startProcess({
    name: 'temporal',
    command: binaries().temporal,
    args,
    logFile: o.logFile,
    timeoutMs: 90_000,
    ready: async () => (await tcpOpen(o.port)) && (await temporalReady(address)) && (!o.uiPort || (await httpOk(`http://127.0.0.1:${o.uiPort}/`))),
  });
}

export function startFerretDb(o: { port: number; dataDir: string; logFile: string }): Promise<ManagedProcess> {
  return startProcess({
    name: 'ferretdb',
    command: binaries().ferretdb,
    args: ['-listen', `127.0.0.1:${o.port}`, '-data', o.dataDir],
    logFile: o.logFile,
    ready: () => tcpOpen(o.port),
  });
}

export function startMailDev(o: { smtpPort: number; webPort: number; mailDir: string; logFile: string }): Promise<ManagedProcess> {
  return startProcess({
    name: 'maildev',
    command: process.execPath,
    args: [
      join(ROOT, 'node_modules', 'maildev', 'bin', 'maildev'),
      '--ip', '127.0.0.1',
      '--web-ip', '127.0.0.1',
      '--smtp', String(o.smtpPort),
      '--web', String(o.webPort),
      '--mail-directory', o.mailDir,
      '--silent',
    ],
    logFile: o.logFile,
    ready: async () => (await tcpOpen(o.smtpPort)) && (await httpOk(`http://127.0.0.1:${o.webPort}/email`)),
  });
}

/** A Node entry point of this project (dist/...), e.g. the worker or the API. */
export function startNodeService(o: {
  name: string;
  script: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  ready: (output: string) => Promise<boolean>;
  echo?: boolean;
}): Promise<ManagedProcess> {
  return startProcess({
    name: o.name,
    command: process.execPath,
    args: [join(ROOT, 'dist', o.script)],
    env: o.env,
    logFile: o.logFile,
    echo: o.echo ?? true,
    timeoutMs: 120_000,
    ready: o.ready,
  });
}
