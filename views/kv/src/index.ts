export { kvView } from './kv-view.js'
export type { KvApi, KvView, KvChanges, KvDoc, KvHead, KvRecord, KvUpdate, KvViewOptions, KvWriter } from './kv-view.js'
