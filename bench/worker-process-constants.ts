/** Shared by the worker process and the bench (importing worker-process.ts would start a worker). */
export const MAIL_FROM = 'XS-Key Service <service@xs-key.example>';
