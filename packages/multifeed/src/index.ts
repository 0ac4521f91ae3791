import Corestore from 'corestore'
import Hypercore from 'hypercore'
export async function f (s: Corestore): Promise<Hypercore> { return s.get({ name: 'x' }) }
