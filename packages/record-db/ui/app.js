// The kappa-db web UI: views routed by the URL fragment (#/browse/book, #/record/book/ID, …),
// each one a few API calls rendered as plain HTML, updated live from /api/events.
import { api, enc, followEvents, takeTokenFromUrl, token, whenUnauthorized } from './api.js'
import { h, preview, short, time } from './dom.js'
import { recordForm } from './form.js'

const PAGE_SIZE = 25
const LIVE_LOG_MAX = 30
const STATUS_EVERY_MS = 5000

const $ = (id) => document.getElementById(id)
const view = $('view')
const state = {
  schemas: [],
  defs: new Map(), // schema name -> JSON Schema
  page: { schema: null, cursors: [undefined], index: 0, next: null },
  changed: new Set(), // ids changed live since the page was last shown
  renders: 0,
  stopEvents: null,
  statusTimer: null,
  connectedOnce: false
}

// ---- routing -------------------------------------------------------------------

/** `#/name/schema/id` (each part URL-encoded). */
const link = (...parts) => '#/' + parts.filter((p) => p !== undefined).map(enc).join('/')

function route () {
  const [name = 'browse', schema, id] = location.hash.replace(/^#\/?/, '').split('/').map((p) => decodeURIComponent(p))
  return { name: name === '' ? 'browse' : name, schema: schema === '' ? undefined : schema, id }
}

const NEEDS_SCHEMA = new Set(['browse', 'record', 'new', 'edit', 'query'])

async function render () {
  const r = route()
  const n = ++state.renders
  if (NEEDS_SCHEMA.has(r.name) && r.schema === undefined && state.schemas.length > 0) {
    history.replaceState(null, '', link(r.name === 'record' || r.name === 'edit' ? 'browse' : r.name, state.schemas[0]))
    return render()
  }
  if (r.schema !== undefined && state.schemas.includes(r.schema)) $('schema-picker').value = r.schema
  for (const a of document.querySelectorAll('[data-nav]')) {
    const kind = a.dataset.nav
    a.href = kind === 'search' || kind === 'status' ? link(kind) : link(kind, $('schema-picker').value || undefined)
    if (kind === r.name || (kind === 'browse' && r.name === 'record') || (kind === 'new' && r.name === 'edit')) a.setAttribute('aria-current', 'page')
    else a.removeAttribute('aria-current')
  }
  $('notice').textContent = ''
  const out = h('div')
  try {
    if (NEEDS_SCHEMA.has(r.name) && r.schema === undefined) out.append(noSchemas())
    else if (r.name === 'browse') await browse(out, r.schema)
    else if (r.name === 'record') await recordView(out, r.schema, r.id)
    else if (r.name === 'new') await formView(out, r.schema, undefined)
    else if (r.name === 'edit') await formView(out, r.schema, r.id)
    else if (r.name === 'query') await queryView(out, r.schema)
    else if (r.name === 'search') searchView(out)
    else if (r.name === 'status') await statusView(out)
    else out.append(h('p', {}, 'No such page. '), h('a', { href: link('browse') }, 'Browse records'))
  } catch (err) {
    if (n !== state.renders) return
    $('notice').textContent = `${err.message}${err.code !== undefined ? ` (${err.code})` : ''}`
  }
  if (n !== state.renders) return // a newer render started meanwhile
  view.replaceChildren(out)
}

function noSchemas () {
  return h('div', {},
    h('h2', {}, 'No schemas yet'),
    h('p', {}, 'Add one from the shell with ', h('code', {}, 'kappa-db schema add book.json'), ' or with ',
      h('code', {}, 'PUT /api/schemas/NAME'), '; peers\' schemas arrive as they sync.'))
}

async function schemaDef (name) {
  if (!state.defs.has(name)) state.defs.set(name, await api('GET', `schemas/${enc(name)}`))
  return state.defs.get(name)
}

async function loadSchemas () {
  const { schemas } = await api('GET', 'schemas')
  state.schemas = schemas
  state.defs.clear()
  const picker = $('schema-picker')
  const current = picker.value
  picker.replaceChildren(...schemas.map((s) => h('option', { value: s }, s)))
  picker.disabled = schemas.length === 0
  if (schemas.includes(current)) picker.value = current
}

// ---- record tables -----------------------------------------------------------------

function columnsOf (def) {
  return Object.keys(def?.properties ?? {}).slice(0, 4)
}

function cell (v) {
  if (v === undefined || v === null) return ''
  return typeof v === 'string' ? v : preview(v, 60)
}

/** A table of record versions (a forked record has a row per head). */
function recordsTable (schema, records, def, caption) {
  const cols = columnsOf(def)
  const byId = new Map()
  for (const r of records) byId.set(r.id, (byId.get(r.id) ?? 0) + 1)
  const rows = records.map((r) => h('tr', { 'data-id': r.id, class: state.changed.has(r.id) ? 'changed' : undefined },
    h('th', { scope: 'row' }, h('a', { href: link('record', r.schema ?? schema, r.id) }, r.id),
      byId.get(r.id) > 1 ? h('span', { class: 'badge fork', title: 'several current versions' }, 'fork') : '',
      state.changed.has(r.id) ? h('span', { class: 'badge live' }, 'updated') : ''),
    ...(cols.length > 0 ? cols.map((c) => h('td', {}, cell(r.value?.[c]))) : [h('td', {}, preview(r.value))])))
  return h('table', {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'id'), ...(cols.length > 0 ? cols : ['value']).map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows.length > 0 ? rows : h('tr', {}, h('td', { colspan: String(cols.length + 1) }, 'No records.'))))
}

// ---- views -------------------------------------------------------------------------

async function browse (out, schema) {
  const page = state.page
  if (page.schema !== schema) Object.assign(page, { schema, cursors: [undefined], index: 0, next: null })
  const q = new URLSearchParams({ limit: String(PAGE_SIZE) })
  const after = page.cursors[page.index]
  if (after !== undefined) q.set('gt', after)
  const [{ records, next }, def] = await Promise.all([api('GET', `records/${enc(schema)}?${q}`), schemaDef(schema)])
  page.next = next
  const go = (delta) => () => {
    if (delta > 0) page.cursors[page.index + 1] = page.next
    page.index += delta
    state.changed.clear()
    void render()
  }
  out.append(
    h('h2', {}, `${schema}: records`),
    recordsTable(schema, records, def, `${schema}, page ${page.index + 1} (${PAGE_SIZE} per page, in id order)`),
    h('div', { class: 'pager' },
      h('button', { type: 'button', disabled: page.index === 0, onclick: go(-1) }, 'Previous page'),
      h('button', { type: 'button', disabled: next === null, onclick: go(1) }, 'Next page'),
      h('a', { class: 'button', href: link('new', schema) }, 'New record')))
}

function versionBlock (v) {
  return h('div', { class: 'version' },
    h('dl', {},
      h('dt', {}, 'author'), h('dd', {}, h('code', { title: v.feed }, short(v.feed))),
      h('dt', {}, 'written'), h('dd', {}, time(v.timestamp)),
      h('dt', {}, 'version'), h('dd', {}, h('code', { class: 'ref' }, v.ref))),
    h('pre', { class: 'value' }, JSON.stringify(v.value, null, 2)))
}

async function recordView (out, schema, id) {
  const [current, history] = await Promise.all([
    api('GET', `records/${enc(schema)}/${enc(id)}`).catch((err) => { if (err.status === 404) return { versions: [] }; throw err }),
    api('GET', `records/${enc(schema)}/${enc(id)}/history`).catch((err) => { if (err.status === 404) return { versions: [] }; throw err })
  ])
  out.append(h('h2', {}, `${schema} / ${id}`))
  if (current.versions.length === 0) {
    out.append(h('p', {}, history.versions.length > 0 ? 'This record is deleted.' : 'No such record.'))
  } else {
    if (current.versions.length > 1) {
      out.append(h('p', { class: 'fork-note' }, `This record has ${current.versions.length} current versions (a fork: peers changed it at the same time). Saving it merges them.`))
    }
    out.append(h('section', { 'aria-label': 'Current version' + (current.versions.length > 1 ? 's' : '') }, ...current.versions.map(versionBlock)))
    out.append(h('div', { class: 'actions' },
      h('a', { class: 'button', href: link('edit', schema, id) }, 'Edit'),
      h('button', {
        type: 'button',
        class: 'danger',
        onclick: async () => {
          if (!confirm(`Delete ${schema}/${id}?`)) return
          try {
            await api('DELETE', `records/${enc(schema)}/${enc(id)}`)
            location.hash = link('browse', schema)
          } catch (err) { $('notice').textContent = err.message }
        }
      }, 'Delete')))
  }
  out.append(h('h3', {}, `History (${history.versions.length} version${history.versions.length === 1 ? '' : 's'}, oldest first)`),
    h('ol', { class: 'history' }, ...history.versions.map((v) => h('li', {},
      h('strong', {}, v.op === 'del' ? 'deleted' : 'written'), ` ${time(v.timestamp)} by `, h('code', { title: v.feed }, short(v.feed)),
      v.links.length > 1 ? ` (merges ${v.links.length} versions)` : '',
      v.op === 'put' ? h('details', {}, h('summary', {}, 'value'), h('pre', {}, JSON.stringify(v.value, null, 2))) : ''))))
}

async function formView (out, schema, id) {
  const def = await schemaDef(schema)
  let initial
  if (id !== undefined) {
    const { versions } = await api('GET', `records/${enc(schema)}/${enc(id)}`)
    initial = versions[versions.length - 1]?.value
    out.append(h('h2', {}, `Edit ${schema} / ${id}`))
    if (versions.length > 1) out.append(h('p', { class: 'fork-note' }, `Editing the latest of ${versions.length} current versions; saving merges the fork.`))
  } else {
    out.append(h('h2', {}, `New ${schema}`))
  }
  recordForm(out, {
    schema: def,
    initial,
    withId: id === undefined,
    submitLabel: id === undefined ? 'Create' : 'Save',
    onSubmit: async ({ id: newId, value }) => {
      const target = id ?? newId
      const saved = target !== undefined
        ? await api('PUT', `records/${enc(schema)}/${enc(target)}`, value)
        : await api('POST', `records/${enc(schema)}`, value)
      location.hash = link('record', schema, saved.id)
    }
  })
}

const OPS = ['=', '>=', '>', '<=', '<']

async function queryView (out, schema) {
  const def = await schemaDef(schema)
  const indexed = Object.entries(def.properties ?? {}).filter(([, p]) => p?.index === true).map(([name]) => name)
  out.append(h('h2', {}, `Query ${schema}`))
  if (indexed.length === 0) {
    out.append(h('p', {}, `No field of ${schema} is indexed: mark properties "index": true in the schema to query them.`))
    return
  }
  const rows = h('div', { class: 'conditions' })
  const results = h('div', { 'aria-live': 'polite' })
  const error = h('p', { class: 'error', role: 'alert' })
  let n = 0
  const addRow = () => {
    const i = n++
    const row = h('fieldset', { class: 'condition' },
      h('legend', {}, `Condition ${i + 1}`),
      h('label', { for: `q-field-${i}` }, 'Field'),
      h('select', { id: `q-field-${i}`, name: 'field' }, ...indexed.map((f) => h('option', { value: f }, f))),
      h('label', { for: `q-op-${i}` }, 'Operator'),
      h('select', { id: `q-op-${i}`, name: 'op' }, ...OPS.map((o) => h('option', { value: o }, o))),
      h('label', { for: `q-value-${i}` }, 'Value'),
      h('input', { id: `q-value-${i}`, name: 'value', type: 'text' }),
      h('button', { type: 'button', onclick: () => { row.remove() } }, 'Remove'))
    rows.append(row)
  }
  addRow()
  const form = h('form', { class: 'query-form' }, rows,
    h('button', { type: 'button', onclick: addRow }, 'Add condition'),
    h('label', { for: 'q-limit' }, 'Limit'), h('input', { id: 'q-limit', type: 'number', min: '1', value: '100' }),
    h('button', { type: 'submit' }, 'Run query'))
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault()
    error.textContent = ''
    const q = new URLSearchParams({ limit: $('q-limit').value || '100' })
    for (const row of rows.querySelectorAll('.condition')) {
      const f = row.querySelector('[name=field]').value
      const op = row.querySelector('[name=op]').value
      const v = row.querySelector('[name=value]').value
      q.append('where', `${f}${op}${v}`)
    }
    try {
      const { records, truncated } = await api('GET', `query/${enc(schema)}?${q}`)
      results.replaceChildren(recordsTable(schema, records, def, `${records.length} record${records.length === 1 ? '' : 's'}${truncated ? ' (more match: raise the limit)' : ''}`))
    } catch (err) {
      error.textContent = err.message
    }
  })
  out.append(h('p', {}, `Indexed fields: ${indexed.join(', ')}. Several conditions must all hold.`), form, error, results)
}

function searchView (out) {
  const results = h('div', { 'aria-live': 'polite' })
  const error = h('p', { class: 'error', role: 'alert' })
  const form = h('form', { class: 'search-form', role: 'search' },
    h('label', { for: 's-q' }, 'Words'), h('input', { id: 's-q', type: 'search', required: true }),
    h('label', { for: 's-schema' }, 'In'), h('select', { id: 's-schema' }, h('option', { value: '' }, 'every schema'), ...state.schemas.map((s) => h('option', { value: s }, s))),
    h('button', { type: 'submit' }, 'Search'))
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault()
    error.textContent = ''
    const q = new URLSearchParams({ q: $('s-q').value, limit: '50' })
    if ($('s-schema').value !== '') q.set('schema', $('s-schema').value)
    try {
      const { hits } = await api('GET', `search?${q}`)
      results.replaceChildren(h('p', {}, `${hits.length} hit${hits.length === 1 ? '' : 's'}`), h('ol', { class: 'hits' }, ...hits.map((hit) => h('li', {},
        h('a', { href: link('record', hit.record.schema, hit.record.id) }, `${hit.record.schema} / ${hit.record.id}`),
        h('span', { class: 'score' }, ` score ${hit.score.toFixed(2)}`), h('div', { class: 'preview' }, preview(hit.record.value, 200))))))
    } catch (err) {
      error.textContent = err.message
    }
  })
  out.append(h('h2', {}, 'Search'), form, error, results)
}

async function statusView (out) {
  const st = await api('GET', 'status')
  showSummary(st)
  out.append(h('h2', {}, 'Sync status'),
    h('dl', { class: 'status' },
      h('dt', {}, 'database key'), h('dd', {}, h('code', {}, st.key)),
      h('dt', {}, 'mode'), h('dd', {}, st.mode),
      h('dt', {}, 'this peer\'s writer'), h('dd', {}, h('code', {}, st.writer), st.writer === st.root ? ' (root)' : ''),
      h('dt', {}, 'writes count'), h('dd', {}, st.writable ? 'yes' : `no: the owner can run kappa-db authorize ${st.writer}`),
      h('dt', {}, 'swarm'), h('dd', {}, st.online ? `joined, ${st.peers.length} peer${st.peers.length === 1 ? '' : 's'}` : 'offline'),
      h('dt', {}, 'index'), h('dd', {}, `${st.index.indexed} / ${st.index.total} (${st.index.state})`)),
    h('table', {}, h('caption', {}, `Feeds (${st.feeds.length})`),
      h('thead', {}, h('tr', {}, ...['feed', 'length', 'counted', ''].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, ...st.feeds.map((f) => h('tr', {}, h('td', {}, h('code', { title: f.key }, short(f.key))), h('td', {}, String(f.length)), h('td', {}, String(f.counted)), h('td', {}, f.local ? 'this peer' : ''))))),
    h('table', {}, h('caption', {}, `Peers (${st.peers.length})`),
      h('thead', {}, h('tr', {}, ...['peer', 'connected', 'direction', 'verified'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, ...st.peers.map((p) => h('tr', {}, h('td', {}, h('code', { title: p.remotePublicKey }, short(p.remotePublicKey))), h('td', {}, time(p.connectedAt)), h('td', {}, p.initiator ? 'outgoing' : 'incoming'), h('td', {}, p.verified ? 'yes' : 'not yet'))))))
}

// ---- status line and live changes ------------------------------------------------------

function showSummary (st) {
  const parts = [`database ${short(st.key)}`, st.online ? `${st.peers.length} peer${st.peers.length === 1 ? '' : 's'}` : 'offline', `indexed ${st.index.indexed}/${st.index.total}`]
  if (!st.writable) parts.push('read-only here (writer not authorized)')
  $('summary').textContent = parts.join(' · ')
}

async function refreshStatus () {
  try { showSummary(await api('GET', 'status')) } catch { /* shown by the next render */ }
}

let refreshTimer = null
/** Re-renders the current view soon (several changes in a burst: once). */
function refreshSoon () {
  clearTimeout(refreshTimer)
  refreshTimer = setTimeout(() => { void render() }, 100)
}

function onChange (c) {
  const log = $('live-log')
  log.prepend(h('li', {}, `${new Date().toLocaleTimeString()} `, c.op === 'put' ? h('a', { href: link('record', c.schema, c.id) }, `${c.schema} / ${c.id}`) : `${c.schema} / ${c.id}`,
    ` ${c.op === 'del' ? 'deleted' : 'written'} by `, h('code', { title: c.feed }, short(c.feed))))
  while (log.children.length > LIVE_LOG_MAX) log.lastElementChild.remove()
  const r = route()
  if (c.schema === 'core/schema') {
    state.defs.delete(c.id)
    void loadSchemas().then(() => { if (r.name !== 'new' && r.name !== 'edit') refreshSoon() })
    return
  }
  if (c.schema === 'core/source') { if (r.name !== 'new' && r.name !== 'edit') refreshSoon(); return } // who counts changed
  if (r.name === 'browse' && r.schema === c.schema) {
    state.changed.add(c.id)
    refreshSoon()
  } else if (r.name === 'record' && r.schema === c.schema && r.id === c.id) refreshSoon()
  else if (r.name === 'edit' && r.schema === c.schema && r.id === c.id) $('notice').textContent = 'This record changed meanwhile (here or on a peer); saving links to the versions you loaded and the ones since.'
  else if (r.name === 'status') refreshSoon()
}

// ---- start -----------------------------------------------------------------------------

function showLogin (message = '') {
  state.stopEvents?.()
  state.stopEvents = null
  clearInterval(state.statusTimer)
  $('app').hidden = true
  $('login').hidden = false
  $('login-error').textContent = message
  $('summary').textContent = 'Not connected'
  $('login-token').focus()
}

async function start () {
  $('login').hidden = true
  $('app').hidden = false
  try {
    await loadSchemas()
  } catch (err) {
    if (err.status !== 401) $('summary').textContent = `Cannot reach the server: ${err.message}`
    return
  }
  state.stopEvents = followEvents({
    state: (s) => {
      $('live-state').textContent = s
      $('live-state').className = `badge ${s}`
    },
    ready: () => {
      // After a reconnect, what was missed is re-read.
      if (state.connectedOnce) refreshSoon()
      state.connectedOnce = true
    },
    change: onChange,
    peers: () => { void refreshStatus(); if (route().name === 'status') refreshSoon() }
  })
  void refreshStatus()
  state.statusTimer = setInterval(refreshStatus, STATUS_EVERY_MS)
  await render()
}

$('login-form').addEventListener('submit', (ev) => {
  ev.preventDefault()
  token.set($('login-token').value.trim())
  $('login-token').value = ''
  void start()
})
$('schema-picker').addEventListener('change', () => {
  const r = route()
  const kind = ['query', 'new'].includes(r.name) ? r.name : 'browse'
  location.hash = link(kind, $('schema-picker').value)
})
window.addEventListener('hashchange', () => { state.changed.clear(); void render() })
whenUnauthorized(() => { token.clear(); showLogin('The server refused the token. Enter the one kappa-db serve printed.') })

takeTokenFromUrl()
if (token.get() === null) showLogin()
else void start()
