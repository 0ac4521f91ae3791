export { listView } from './list-view.js'
export type { ListItem, ListReadOptions, ListViewOptions, ListApi, ListView, ListInserted } from './list-view.js'
export { encodeSortKey, storedKey, decodeStoredKey, toKeyRange, ListKeyError } from './sort-key.js'
export type { SortKey, SortRange } from './sort-key.js'
