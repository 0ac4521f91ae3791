// Key layout inside the db handed to UnorderedMaterializedKV (values are utf8 strings):
//   h!<key>                  -> JSON of the sorted array of the key's head ids; '[]' once every doc of
//                               the key was replaced. Absent only for a key no committed doc ever had.
//   l!<key length>!<key>!<id> -> '1': some doc of <key> linked <id>, so <id> is never a head of <key>
//   format                   -> '2': every key with a doc has its h! record (format 1 deleted the record
//                               of a key left without heads), so an absent h! record means the key has
//                               no link markers and its docs need no marker reads.
// The decimal length makes the linked key injective whatever characters <key> and <id> contain.

export const FORMAT_KEY = 'format'
export const FORMAT = '2'

export function headsKey (key: string): string {
  return 'h!' + key
}

export function linkedKey (key: string, id: string): string {
  return 'l!' + key.length + '!' + key + '!' + id
}
