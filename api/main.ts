/** The API process: validates configuration, connects MongoDB, Temporal and SMTP, serves HTTP. */
import { Client, Connection } from '@temporalio/client';
import { dataConverter } from '../codec/data-converter';
import { loadConfig, ConfigError } from '../config';
import { temporalConnectionOptions } from '../config/temporal';
import { connectDatabase } from '../db/connection';
import { BusinessCalendar } from '../domain/calendar';
import { createMailer } from '../email/mailer';
import { createLogger } from '../observability/logger';
import { createApp } from './app';
import { smtpGreeting } from './readiness';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, { service: 'api' });
  const db = await connectDatabase(config.mongodbUri);
  const connection = await Connection.connect(temporalConnectionOptions(config.temporal));
  const temporal = new Client({ connection, namespace: config.temporal.namespace, dataConverter: dataConverter(config.payloadKeys) });
  const mailer = createMailer(config.mail);

  const app = createApp({
    models: db.models,
    temporal,
    taskQueue: config.temporal.taskQueue,
    calendar: new BusinessCalendar(config.rules),
    publicBaseUrl: config.api.publicBaseUrl,
    security: {
      keys: config.api.keys,
      rateLimitPerMinute: config.api.rateLimitPerMinute,
      idempotencyTtlHours: config.api.idempotencyTtlHours,
      idempotencyLeaseSeconds: config.api.idempotencyLeaseSeconds,
      trustedProxies: config.api.trustedProxies,
    },
    accountLimits: config.api.accountLimits,
    logger,
    readiness: {
      mongodb: () => db.connection.db!.admin().ping(),
      temporal: () => connection.workflowService.getSystemInfo({}),
      // The greeting only: a login per check would get the mail account throttled (checks are cached, see readiness.ts).
      smtp: () => smtpGreeting(config.mail.smtpUrl),
    },
  });
  const server = app.listen(config.api.port, config.api.host, () => {
    console.log(`api: listening on http://${config.api.host}:${config.api.port} (docs at /docs)`);
    logger.info('api keys loaded', { keys: config.api.keys.map((k) => `${k.name} (${k.role})`) });
  });
  const shutdown = () => {
    server.close(async () => {
      await connection.close();
      mailer.close();
      await db.close();
      process.exit(0);
    });
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
