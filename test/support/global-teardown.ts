export default async function globalTeardown(): Promise<void> {
  await Promise.all((globalThis.__XS_TEST_SERVERS__ ?? []).map((p) => p.stop()));
}
