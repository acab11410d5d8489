import { writeFileSync } from "node:fs";
import { loadFlights } from "./src/training/data";

(async () => {
  const t0 = performance.now();
  const t = await loadFlights();
  console.log("load s", (performance.now() - t0) / 1000, t.size, t.codes.length);
  writeFileSync("/tmp/h17/dep.f64", Buffer.from(t.departureMs.buffer));
  writeFileSync("/tmp/h17/delay.i32", Buffer.from(t.delayMinutes.buffer));
  writeFileSync("/tmp/h17/dist.f64", Buffer.from(t.distance.buffer));
  writeFileSync("/tmp/h17/orig.u16", Buffer.from(t.origin.buffer));
  writeFileSync("/tmp/h17/dest.u16", Buffer.from(t.destination.buffer));
  writeFileSync("/tmp/h17/codes.json", JSON.stringify(t.codes));
})();
