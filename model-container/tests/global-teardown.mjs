export default async function globalTeardown() {
  await globalThis.__FAUXQS_MODEL_CONTAINER__?.stop();
}
