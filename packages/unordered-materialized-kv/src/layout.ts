// Key layout inside the db handed to UnorderedMaterializedKV (values are utf8 strings):
//   h!<key>                  -> JSON of the sorted array of the key's head ids (absent when there are none)
//   l!<key length>!<key>!<id> -> '1': some doc of <key> linked <id>, so <id> is never a head of <key>
// The decimal length makes the linked key injective whatever characters <key> and <id> contain.

export function headsKey (key: string): string {
  return 'h!' + key
}

export function linkedKey (key: string, id: string): string {
  return 'l!' + key.length + '!' + key + '!' + id
}
