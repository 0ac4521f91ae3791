export { kvView } from './kv-view.js'
export type { KvApi, KvDoc, KvHead, KvRecord, KvUpdate, KvViewOptions, KvWriter } from './kv-view.js'
