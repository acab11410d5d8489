export default async function globalTeardown() {
  await globalThis.__SUBSCRIBER_FAUXQS__?.stop();
}
