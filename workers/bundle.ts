/**
 * Prebuilds the workflow bundle (`node dist/workers/bundle.js <out.js>`), so a
 * worker started with WORKFLOW_BUNDLE_PATH skips webpack at start-up: faster
 * starts and less memory per worker. The Docker image does this at build time.
 */
import { writeFileSync } from 'node:fs';
import { bundleWorkflowCode } from '@temporalio/worker';
import { FAILURE_CONVERTER_PATH } from '../codec/data-converter';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../observability/tracing';
import { WORKFLOWS_PATH } from './worker';

async function main(): Promise<void> {
  const out = process.argv[2];
  if (!out) throw new Error('usage: node dist/workers/bundle.js <output.js>');
  const started = Date.now();
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    // the tracing and request-ID interceptors every worker installs (observability/tracing.ts)
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
    // the sandbox converts failures itself: without this, workflow failure messages would be stored in clear
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
  });
  writeFileSync(out, code);
  console.log(`workflow bundle: ${out} (${(code.length / 1e6).toFixed(2)} MB, ${Date.now() - started} ms)`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
