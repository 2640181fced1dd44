/** The codec server process (codec/server.ts): validates configuration, serves HTTP. */
import { loadConfig, ConfigError } from '../config';
import { createCodecServer, CODEC_READY_LINE, CODEC_ROLES } from './server';

function main(): void {
  const config = loadConfig();
  const { host, port, uiOrigins } = config.codecServer;
  const server = createCodecServer({ payloadKeys: config.payloadKeys, apiKeys: config.api.keys, uiOrigins });
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
