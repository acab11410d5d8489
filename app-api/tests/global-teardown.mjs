export default async function globalTeardown() {
  await globalThis.__FAUXQS_APP_API__?.stop();
}
