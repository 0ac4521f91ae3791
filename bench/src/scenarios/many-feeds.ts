// 8. Many authors (issue 19): N local feeds of a few entries each in one kappa with a kv
//    view: create, close, reopen until indexed, a fresh peer until everything is indexed,
//    and the memory of the reopened idle peer. Each phase of each N runs in a process of
//    its own (many-feeds-phase.ts) so its time and RSS are its own.
import { spawn } from 'node:child_process'
import { mkdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Figures, Scenario } from '../scenario.js'
import { fmtS, round } from '../stats.js'
import type { PhaseArgs } from '../many-feeds-phase.js'

const PHASE_ENTRY = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'many-feeds-phase.js')
const ENTRIES_PER_FEED = 3
const SIZES = { quick: [20, 200], full: [100, 1000, 10_000] }

/** Runs one phase in its own process; resolves with its figures. */
function phase (name: string, args: PhaseArgs, log: (msg: string) => void): Promise<Figures> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', PHASE_ENTRY, name, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.setEncoding('utf-8').on('data', (d: string) => { out += d })
    child.stderr.setEncoding('utf-8').on('data', (d: string) => { err = (err + d).slice(-4000) })
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '))
      if (code !== 0 || line === undefined) {
        reject(new Error(`${name} of ${args.feeds} feeds failed (exit ${String(code)}): ${err.trim().split('\n').slice(-3).join(' | ')}`))
        return
      }
      const figures = JSON.parse(line.slice(7)) as Figures
      log(`${args.feeds} feeds, ${name}: ${JSON.stringify(figures)}`)
      resolve(figures)
    })
  })
}

export const manyFeeds: Scenario = {
  id: 8,
  name: 'many-feeds',
  title: 'Many authors: N feeds of a few entries; create, reopen until indexed, fresh peer, idle RSS',
  data: 'none',
  // per N (in `runs`): feeds, createMs, reopenMs, freshMs, floorMs, freshOverFloor, idleRssMB, idleBytesPerFeed, activeBytesPerFeed, per-feed ms
  fields: ['runs', 'entriesPerFeed', 'reopenRatio', 'idleBytesPerFeed', 'activeBytesPerFeed'],

  async run (cfg, log) {
    const runs: Figures[] = []
    for (const feeds of cfg.quick ? SIZES.quick : SIZES.full) {
      const dir = path.join(cfg.workDir, `n${feeds}`)
      mkdirSync(dir, { recursive: true })
      const args: PhaseArgs = { dir, feeds, entries: ENTRIES_PER_FEED }
      const created = await phase('create', args, log)
      const reopened = await phase('reopen', args, log)
      const synced = await phase('fresh', args, log)
      const yardstick = await phase('floor', args, log)
      rmSync(dir, { recursive: true, force: true })
      const perFeedMs = (ms: unknown): number => round((ms as number) / feeds, 4)
      runs.push({
        feeds,
        ...created,
        ...reopened,
        ...synced,
        ...yardstick,
        freshOverFloor: round((synced.freshMs as number) / (yardstick.floorMs as number), 2),
        createMsPerFeed: perFeedMs(created.createMs),
        reopenMsPerFeed: perFeedMs(reopened.reopenMs),
        freshMsPerFeed: perFeedMs(synced.freshMs)
      })
    }
    const first = runs[0]!
    const last = runs[runs.length - 1]!
    // What one more feed costs, from the smallest to the largest N (fixed costs cancel out).
    const marginal = (field: string): number => Math.round(((last[field] as number) - (first[field] as number)) * 1e6 / ((last.feeds as number) - (first.feeds as number)))
    return {
      entriesPerFeed: ENTRIES_PER_FEED,
      runs,
      reopenRatio: round((last.reopenMs as number) / (first.reopenMs as number), 2),
      idleBytesPerFeed: marginal('idleRssMB'),
      activeBytesPerFeed: marginal('activeRssMB')
    }
  },

  row (r, quick) {
    const runs = r.runs as Figures[]
    const last = runs[runs.length - 1]!
    const figures = runs.map((run) => `${String(run.feeds)} feeds: create ${fmtS(run.createMs)}, reopen until indexed ${fmtS(run.reopenMs)}, ` +
      `fresh peer ${fmtS(run.freshMs)} (${String(run.freshOverFloor)}x the bare hypercore work, ${fmtS(run.floorMs)}), idle RSS ${String(run.idleRssMB)} MB (${String(run.idleBytesPerFeed)} B/feed idle, ${String(run.activeBytesPerFeed)} B/feed active)`).join('; ')
    const met = (last.reopenMs as number) < 1000 && (r.reopenRatio as number) <= 3 &&
      (last.freshMs as number) < 10_000 && (last.idleRssMB as number) < 200
    return {
      figures: `${figures}; reopen ${String(r.reopenRatio)}x from ${String(runs[0]!.feeds)} to ${String(last.feeds)} feeds; ` +
        `one more feed costs ${String(r.idleBytesPerFeed)} B of RSS idle, ${String(r.activeBytesPerFeed)} B active`,
      aim: 'at 10,000 feeds: reopen until indexed < 1 s and <= 3x the 100-feed reopen, fresh peer < 10 s, idle RSS < 200 MB',
      met: quick ? null : met
    }
  }
}
