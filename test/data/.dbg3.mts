import { readFileSync } from 'node:fs';
import { parquetMetadataAsync, parquetSchema } from 'hyparquet';
const root='/work/main/test/.fixtures/data/'; const m = JSON.parse(readFileSync(root+'manifest.json','utf8'));
const seeds = [['alpaca_tok','arrow-stream'],['types_list','arrow-stream'],['alpaca_tok_file','arrow-stream'],['types_parquet','parquet'],['alpaca_tok_parquet','parquet'],['malformed_jsonl','jsonl'],['alpaca_json','json']].map(([n,f])=>({name:n,fmt:f,bytes:new Uint8Array(readFileSync(root+m[n].path))}));
function rng(seed){let a=seed>>>0;return()=>{a=(a+0x6d2b79f5)>>>0;let t=a;t=Math.imul(t^(t>>>15),t|1);t^=t+Math.imul(t^(t>>>7),t|61);return((t^(t>>>14))>>>0)/4294967296;};}
function mutate(bytes, rand){let out=bytes.slice();const kind=rand();if(kind<0.4)out=out.subarray(0,Math.floor(rand()*out.length));if(kind>=0.3){const flips=1+Math.floor(rand()*8);for(let i=0;i<flips&&out.length;i++){const at=rand()<0.5?Math.floor(rand()*Math.min(out.length,512)):Math.floor(rand()*out.length);out[at]=rand()<0.5?out[at]^(1<<Math.floor(rand()*8)):Math.floor(rand()*256);}}return out;}
const i=Number(process.argv[2]); const rand=rng(i+1);const seed=seeds[i%seeds.length];const bytes=mutate(seed.bytes,rand);
console.log('len', bytes.length, seed.bytes.length);
const file = { byteLength: bytes.length, slice: async (s:number,e?:number) => { console.log('slice', s, e); return bytes.slice(s, e).buffer; } };
const t0 = Date.now();
const meta = await parquetMetadataAsync(file as any);
console.log('meta', Date.now()-t0, meta.num_rows, meta.row_groups.length);
parquetSchema(meta); console.log('schema ok');
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
const t1 = Date.now();
setTimeout(() => console.log('timer fired: event loop alive'), 1000);
try { const o = await parquetReadObjects({ file: file as any, metadata: meta, rowStart: 0, rowEnd: 16, compressors, utf8: false }); console.log('rows', o.length, Date.now()-t1); } catch (e) { console.log('err', (e as Error).message); }
