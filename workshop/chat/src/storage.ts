// One running kappa-chat per storage folder: a pid file guards it (the
// Corestore and LevelDB below would fail later with less helpful errors).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ChatError } from './errors.js'

export interface StorageLock { release(): void }

const LOCK = 'kappa-chat.pid'
/** Folders this process holds (a pid file cannot tell two chats of one process apart). */
const held = new Set<string>()

function alive (pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM'
  }
}

/** True when another live process, or another chat of this one, holds `dir`. */
export function storageInUse (dir: string): boolean {
  if (held.has(path.resolve(dir))) return true
  try {
    const pid = Number(fs.readFileSync(path.join(dir, LOCK), 'utf8').trim())
    return pid !== process.pid && alive(pid)
  } catch {
    return false
  }
}

/** Takes `dir` for this process, or throws ERR_STORAGE_IN_USE. A lock left by a dead process is taken over. */
export function lockStorage (dir: string): StorageLock {
  fs.mkdirSync(dir, { recursive: true })
  const file = path.join(dir, LOCK)
  if (storageInUse(dir)) throw new ChatError('ERR_STORAGE_IN_USE', `another kappa-chat is using ${dir}`)
  fs.writeFileSync(file, String(process.pid))
  const resolved = path.resolve(dir)
  held.add(resolved)
  let released = false
  return {
    release () {
      if (released) return
      released = true
      held.delete(resolved)
      try {
        if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.rmSync(file)
      } catch {}
    }
  }
}

/** Where chats live by default: $KAPPA_CHAT_HOME, else ~/.kappa-chat. */
export function chatHome (env: NodeJS.ProcessEnv = process.env): string {
  return env.KAPPA_CHAT_HOME !== undefined && env.KAPPA_CHAT_HOME !== '' ? env.KAPPA_CHAT_HOME : path.join(os.homedir(), '.kappa-chat')
}

/**
 * The default storage folder of a chat: <home>/<first 16 hex of the key>, or
 * -2, -3, ... when a running kappa-chat already uses it (two terminals, one machine).
 */
export function defaultStorage (key: string, home = chatHome()): string {
  const base = path.join(home, key.slice(0, 16))
  for (let n = 1; ; n++) {
    const dir = n === 1 ? base : `${base}-${n}`
    if (!storageInUse(dir)) return dir
  }
}

const LAST_CHAT = 'last-chat'

/**
 * The key of the chat opened last from `home` (with the default storage), or null. A plain
 * `kappa-chat` reopens it: a restart shows the same chat, its key and its history.
 */
export function lastChat (home = chatHome()): string | null {
  try {
    const key = fs.readFileSync(path.join(home, LAST_CHAT), 'utf8').trim()
    return /^[0-9a-f]{128}$/.test(key) ? key : null // (a key of the chats before record-db, 64 hex, is no chat now)
  } catch {
    return null
  }
}

/** Remembers `key` as the chat to reopen (written to a temp file and renamed: never half a key). */
export function rememberChat (key: string, home = chatHome()): void {
  fs.mkdirSync(home, { recursive: true })
  const tmp = path.join(home, `${LAST_CHAT}.${process.pid}.tmp`)
  fs.writeFileSync(tmp, key + '\n')
  fs.renameSync(tmp, path.join(home, LAST_CHAT))
}
