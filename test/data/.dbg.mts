import { readFileSync } from 'node:fs';
import { memorySource } from '/work/main/src/data/byteSource.ts';
import { Message } from 'apache-arrow';
const root='/work/main/test/.fixtures/data/'; const m = JSON.parse(readFileSync(root+'manifest.json','utf8'));
const seeds = [['alpaca_tok','arrow-stream'],['types_list','arrow-stream'],['alpaca_tok_file','arrow-stream'],['types_parquet','parquet'],['alpaca_tok_parquet','parquet'],['malformed_jsonl','jsonl'],['alpaca_json','json']].map(([n,f])=>({name:n,fmt:f,bytes:new Uint8Array(readFileSync(root+m[n].path))}));
function rng(seed){let a=seed>>>0;return()=>{a=(a+0x6d2b79f5)>>>0;let t=a;t=Math.imul(t^(t>>>15),t|1);t^=t+Math.imul(t^(t>>>7),t|61);return((t^(t>>>14))>>>0)/4294967296;};}
function mutate(bytes, rand){let out=bytes.slice();const kind=rand();if(kind<0.4)out=out.subarray(0,Math.floor(rand()*out.length));if(kind>=0.3){const flips=1+Math.floor(rand()*8);for(let i=0;i<flips&&out.length;i++){const at=rand()<0.5?Math.floor(rand()*Math.min(out.length,512)):Math.floor(rand()*out.length);out[at]=rand()<0.5?out[at]^(1<<Math.floor(rand()*8)):Math.floor(rand()*256);}}return out;}
const i=Number(process.argv[2]); const rand=rng(i+1);const seed=seeds[i%seeds.length];const bytes=mutate(seed.bytes,rand);
let pos = 8; const dv = new DataView(bytes.buffer, bytes.byteOffset);
for (let k=0;k<20 && pos < bytes.length;k++) {
  const ml = dv.getInt32(pos+4, true); console.log('msg at', pos, 'meta', ml);
  if (ml<=0) break;
  const meta = bytes.subarray(pos+8, pos+8+ml);
  console.log(' decoding...');
  const msg = Message.decode(meta); console.log(' type', msg.headerType, 'body', Number(msg.bodyLength));
  if (msg.isSchema()) { console.log(' schema header...'); const h = msg.header(); console.log(' fields', h.fields.length); }
  if (msg.isRecordBatch()) { console.log(' rb header...'); console.log(' len', msg.header().length); }
  pos = pos + 8 + ml + Number(msg.bodyLength);
}
