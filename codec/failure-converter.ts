/**
 * The failure converter of every client and worker, bundled into the workflow
 * sandbox too (`failureConverterPath`): failure messages and stack traces go
 * into an encoded attribute, which the payload codec encrypts, because a
 * message can quote personal data ("no card user anna@..."). Temporal then
 * stores "Encoded failure" as the message; the SDK's clients (the API) and the
 * codec server (Web UI, CLI) restore the real one.
 *
 * Runs inside the workflow sandbox: imports @temporalio/common only.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
