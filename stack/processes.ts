/**
 * Child processes of the local stack: started with their output in a log
 * file (and optionally echoed with a prefix), awaited until ready by probing
 * them, never by sleeping, and stopped together.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { dirname } from 'node:path';

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  logFile: string;
  /** Echo output to the console with a `[name]` prefix. */
  echo?: boolean;
  /** Resolves true once the process serves (given its output so far); polled until `timeoutMs`. */
  ready: (output: string) => Promise<boolean>;
  timeoutMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startProcess(opts: StartOptions): Promise<ManagedProcess> {
  mkdirSync(dirname(opts.logFile), { recursive: true });
  const log = createWriteStream(opts.logFile, { flags: 'a' });
  log.write(`\n=== ${new Date().toISOString()} ${opts.command} ${opts.args.join(' ')}\n`);
  const child = spawn(opts.command, opts.args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = `[${opts.name}] `;
  let output = '';
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.pipe(log, { end: false });
    stream.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-64 * 1024);
    });
    if (opts.echo) {
      let rest = '';
      stream.on('data', (chunk: Buffer) => {
        const lines = (rest + chunk.toString()).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) process.stdout.write(prefix + line + '\n');
      });
    }
  }
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.on('error', (err) => {
      log.write(`spawn error: ${err.message}\n`);
      exitCode = -1;
      resolve(-1);
    });
    child.on('exit', (code, signal) => {
      exitCode = code ?? (signal ? -1 : null);
      log.end(`=== exited code=${code} signal=${signal}\n`);
      resolve(code);
    });
  });

  const managed: ManagedProcess = {
    name: opts.name,
    child,
    logFile: opts.logFile,
    exited,
    async stop(signal = 'SIGTERM') {
      if (exitCode !== undefined) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };

  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    if (exitCode !== undefined) {
      throw new Error(`${opts.name} exited before it was ready (code ${exitCode}). Last lines of ${opts.logFile}:\n${tail(opts.logFile)}`);
    }
    if (await opts.ready(output).catch(() => false)) return managed;
    if (Date.now() > deadline) {
      await managed.stop('SIGKILL');
      throw new Error(`${opts.name} was not ready within ${(opts.timeoutMs ?? 60_000) / 1000}s. Last lines of ${opts.logFile}:\n${tail(opts.logFile)}`);
    }
    await sleep(200);
  }
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** True when something accepts TCP connections on host:port. */
export function tcpOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.setTimeout(1000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
  });
}

/** True when GET url answers with a status below 500. */
export async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await res.body?.cancel();
  return res.status < 500;
}

/** A TCP port that was free a moment ago on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Fails with a clear message when a port the stack needs is taken. */
export async function assertPortFree(port: number, what: string, variable: string): Promise<void> {
  if (await tcpOpen(port)) {
    throw new Error(`port ${port} (${what}) is already in use: stop what holds it, or choose another with ${variable}=<port>`);
  }
}
