import { openDataset } from '../../src/data/open';
async function main() {
  const t0 = performance.now();
  const src = await openDataset(process.argv[2]);
  const t1 = performance.now();
  await src.readRows(0, 50);
  const t2 = performance.now();
  console.log(`open ${(t1 - t0).toFixed(1)} page ${(t2 - t1).toFixed(1)}`);
}
void main();
