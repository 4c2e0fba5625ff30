import { readFileSync } from 'node:fs';
import { memorySource } from '/work/main/src/data/byteSource.ts';
import { openByteSource } from '/work/main/src/data/open.ts';
const root='/work/main/test/.fixtures/data/'; const m = JSON.parse(readFileSync(root+'manifest.json','utf8'));
const seeds = [['alpaca_tok','arrow-stream'],['types_list','arrow-stream'],['alpaca_tok_file','arrow-stream'],['types_parquet','parquet'],['alpaca_tok_parquet','parquet'],['malformed_jsonl','jsonl'],['alpaca_json','json']].map(([n,f])=>({name:n,fmt:f,bytes:new Uint8Array(readFileSync(root+m[n].path))}));
function rng(seed){let a=seed>>>0;return()=>{a=(a+0x6d2b79f5)>>>0;let t=a;t=Math.imul(t^(t>>>15),t|1);t^=t+Math.imul(t^(t>>>7),t|61);return((t^(t>>>14))>>>0)/4294967296;};}
function mutate(bytes, rand){let out=bytes.slice();const kind=rand();if(kind<0.4)out=out.subarray(0,Math.floor(rand()*out.length));if(kind>=0.3){const flips=1+Math.floor(rand()*8);for(let i=0;i<flips&&out.length;i++){const at=rand()<0.5?Math.floor(rand()*Math.min(out.length,512)):Math.floor(rand()*out.length);out[at]=rand()<0.5?out[at]^(1<<Math.floor(rand()*8)):Math.floor(rand()*256);}}return out;}
const i=Number(process.argv[2]); const rand=rng(i+1);const seed=seeds[i%seeds.length];const bytes=mutate(seed.bytes,rand);
const src:any=await openByteSource(memorySource('f',bytes),seed.fmt);
console.log("opened"); console.log(src.numRows, src.columns.map((c:any)=>c.name+':'+c.type).join(' '), src.index.batches.map((b:any)=>b.rows));
const off=Math.floor(rand()*4); console.log('off',off);
const t0=Date.now();
const rows=await src.readRows(off,40); console.log(Date.now()-t0, JSON.stringify(rows[0], (k,v)=>typeof v==='bigint'?String(v):v).slice(0,500));
