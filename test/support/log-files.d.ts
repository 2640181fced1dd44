export function runLogDir(): string;
export function logFileFor(testPath: string): string;
export function pruneOldRuns(): void;
