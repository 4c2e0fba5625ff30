// Dataset bundle (dist/datasetBundle.js): the session and everything it pulls in
// (apache-arrow, hyparquet, the tokenizer, the template interpreter). Loaded by load.ts on first use.
export { DatasetSession } from '../panels/dataset/session';
