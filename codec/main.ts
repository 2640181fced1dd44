/** The codec server process (codec/server.ts): validates configuration, serves HTTP. */
import { loadConfig, ConfigError } from '../config';
import { createLogger } from '../observability/logger';
import { createCodecServer, CODEC_READY_LINE, CODEC_ROLES } from './server';

function main(): void {
  const config = loadConfig();
  const { host, port, uiOrigins } = config.codecServer;
  const logger = createLogger(config.logLevel, { service: 'codec' });
  const server = createCodecServer({
    payloadKeys: config.payloadKeys,
    apiKeys: config.api.keys,
    uiOrigins,
    // A Web UI served over HTTPS can only call an HTTPS codec server (mixed content): the cookie is then Secure.
    secureCookie: uiOrigins.length > 0 && uiOrigins.every((o) => o.startsWith('https://')),
    audit: (call) => logger.info(call, 'codec call'),
  });
  server.listen(port, host, () => {
    console.log(`${CODEC_READY_LINE} http://${host}:${port} (Web UI origins ${uiOrigins.join(', ')}; roles ${CODEC_ROLES.join(', ')}; payload keys ${config.payloadKeys.map((k) => k.id).join(', ')})`);
  });
  const shutdown = () => server.close(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

try {
  main();
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
}
