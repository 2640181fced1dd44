/**
 * Per-test-file access to the real servers: a fresh database on the shared
 * FerretDB, a client of the shared Temporal dev server, the Java
 * time-skipping server, and an in-process SMTP receiver.
 */
import { randomBytes } from 'node:crypto';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { connectDatabase, type Database } from '../../db/connection';
import { DEFAULT_RULES } from '../../domain/rules';
import { binaries } from '../../stack/binaries';
import { SEARCH_ATTRIBUTE_TYPES } from '../../workflows/definitions';
import { loadConfig, type AppConfig } from '../../config';
import { dataConverter } from '../../codec/data-converter';

/** The tests' payload keys: the local key (config/payload-keys.ts), as the local stack uses. */
export const TEST_PAYLOAD_KEYS = loadConfig({}).payloadKeys;
/** What every test client and worker encrypts payloads with (codec/), as the API and worker do. */
export const testDataConverter = () => dataConverter(TEST_PAYLOAD_KEYS);

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the integration tests through jest (test/support/global-setup.ts)`);
  return value;
}

export const uniqueName = (prefix: string): string => `${prefix}_${randomBytes(6).toString('hex')}`;

/** A database of its own on the shared FerretDB. */
export function testDatabase(): Promise<Database> {
  return connectDatabase(`${required('XS_TEST_MONGODB_URL')}/${uniqueName('t')}`);
}

export const devServerAddress = (): string => required('XS_TEST_TEMPORAL_ADDRESS');

/** A client of the shared dev server, in `namespace` (default: 'default'). */
export async function devServerClient(namespace?: string): Promise<{ client: Client; connection: Connection }> {
  const connection = await Connection.connect({ address: devServerAddress() });
  return { client: new Client({ connection, namespace, dataConverter: testDataConverter() }), connection };
}

/** The project's search attributes as the operator service takes them (name -> indexed value type). */
export function searchAttributeTypes(): Record<string, temporal.api.enums.v1.IndexedValueType> {
  const types = temporal.api.enums.v1.IndexedValueType;
  return Object.fromEntries(
    Object.entries(SEARCH_ATTRIBUTE_TYPES).map(([name, type]) => [name, types[`INDEXED_VALUE_TYPE_${type}` as keyof typeof types]]),
  );
}

/**
 * Registers a namespace of its own on the dev server (for a file whose IDs are
 * fixed, such as the schedule IDs) with the project's search attributes, which
 * the new namespace takes only once it answers.
 */
export async function createNamespace(connection: Connection, namespace: string): Promise<void> {
  await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
  await eventually(() =>
    connection.operatorService.addSearchAttributes({ namespace, searchAttributes: searchAttributeTypes() }).then(
      () => true,
      () => false,
    ),
  );
}

export function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: binaries().testServer } },
    client: { dataConverter: testDataConverter() },
  });
}

export function testConfig(overrides: { taskQueue: string; smtpUrl: string; address?: string }): AppConfig {
  return {
    env: 'test',
    logLevel: 'warn',
    temporal: { address: overrides.address ?? devServerAddress(), namespace: 'default', taskQueue: overrides.taskQueue },
    mongodbUri: 'unused',
    mail: { smtpUrl: overrides.smtpUrl, from: 'XS-Key Service <service@xs-key.example>', backofficeLead: 'lead@xs-key.example', maxConnections: loadConfig({}).mail.maxConnections, timeouts: loadConfig({}).mail.timeouts },
    api: { ...loadConfig({}).api, port: 0, publicBaseUrl: 'http://127.0.0.1' },
    worker: {},
    payloadKeys: TEST_PAYLOAD_KEYS,
    linkSecret: loadConfig({}).linkSecret,
    codecServer: loadConfig({}).codecServer,
    tracing: {},
    rules: DEFAULT_RULES,
  };
}

/** Polls until `probe` returns a value (visibility is eventually consistent). */
export async function eventually<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Whether a workflow with this ID exists on the server (running or closed). */
export async function workflowExists(client: Client, workflowId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}
