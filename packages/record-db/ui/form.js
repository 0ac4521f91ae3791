// A form for a record, driven by its JSON Schema: one field per top-level property (a text
// box, a number box, a list, a choice, or JSON for anything nested), plus "edit as JSON".
// Validation is the server's (the same ajv rules every peer applies): its messages are shown
// beside the field their path names, and in a summary at the top.
import { h } from './dom.js'

const firstType = (p) => {
  const t = Array.isArray(p.type) ? p.type.find((x) => x !== 'null') : p.type
  return t ?? (p.enum !== undefined ? 'enum' : undefined)
}

/** How a property is edited: 'text' | 'textarea' | 'number' | 'integer' | 'boolean' | 'enum' | 'list' | 'json'. */
function kindOf (p) {
  if (Array.isArray(p.enum) && p.enum.every((v) => typeof v === 'string' || typeof v === 'number')) return 'enum'
  const t = firstType(p)
  if (t === 'string') return (p.maxLength ?? 0) > 200 || (p.maxLength === undefined && p.search === true) ? 'textarea' : 'text'
  if (t === 'integer' || t === 'number') return t
  if (t === 'boolean') return 'boolean'
  if (t === 'array' && p.items !== undefined && ['string', 'number', 'integer'].includes(firstType(p.items))) return 'list'
  return 'json'
}

const fieldId = (name) => `field-${name.replace(/[^A-Za-z0-9_-]/g, '_')}`

/**
 * Builds the form into `container`. `initial`: the value to edit (or undefined); `withId`: show an
 * id box (new records). `onSubmit({ id, value })` returns a promise; an ApiError with a
 * validation body is shown on the fields.
 */
export function recordForm (container, { schema, initial, withId, submitLabel, onSubmit }) {
  const props = schema !== null && typeof schema === 'object' && schema.properties !== null && typeof schema.properties === 'object' ? schema.properties : {}
  const required = new Set(Array.isArray(schema?.required) ? schema.required : [])
  const names = Object.keys(props)
  const fields = new Map()
  const summary = h('div', { class: 'error-summary', role: 'alert', tabindex: '-1', hidden: '' })
  const form = h('form', { novalidate: '', class: 'record-form' })
  form.append(summary)

  let idInput = null
  if (withId) {
    idInput = h('input', { id: 'field-__id', name: '__id', type: 'text', autocomplete: 'off', 'aria-describedby': 'help-__id' })
    form.append(h('div', { class: 'field' },
      h('label', { for: 'field-__id' }, 'Id'),
      h('p', { class: 'help', id: 'help-__id' }, 'Leave empty for a new, time-ordered id.'),
      idInput))
  }

  for (const name of names) {
    const p = props[name] ?? {}
    const kind = kindOf(p)
    const id = fieldId(name)
    const errId = `${id}-error`
    const helpId = `${id}-help`
    const attrs = { id, name, 'aria-describedby': `${helpId} ${errId}` }
    if (required.has(name)) attrs['aria-required'] = 'true'
    let input
    if (kind === 'textarea' || kind === 'list' || kind === 'json') input = h('textarea', { ...attrs, rows: kind === 'textarea' ? '4' : '3', spellcheck: kind === 'json' ? 'false' : 'true' })
    else if (kind === 'boolean' || kind === 'enum') {
      const options = kind === 'boolean' ? ['true', 'false'] : p.enum.map(String)
      input = h('select', attrs, h('option', { value: '' }, '—'), ...options.map((o) => h('option', { value: o }, o)))
    } else if (kind === 'number' || kind === 'integer') input = h('input', { ...attrs, type: 'number', step: kind === 'integer' ? '1' : 'any', inputmode: 'decimal' })
    else input = h('input', { ...attrs, type: 'text' })
    const hints = []
    if (typeof p.description === 'string') hints.push(p.description)
    if (kind === 'list') hints.push('One item per line.')
    if (kind === 'json') hints.push('JSON.')
    if (p.maxLength !== undefined) hints.push(`At most ${p.maxLength} characters.`)
    if (p.minimum !== undefined) hints.push(`At least ${p.minimum}.`)
    if (p.maximum !== undefined) hints.push(`At most ${p.maximum}.`)
    if (p.index === true) hints.push('Indexed.')
    const label = h('label', { for: id }, typeof p.title === 'string' ? p.title : name, required.has(name) ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : '')
    const error = h('p', { class: 'field-error', id: errId })
    form.append(h('div', { class: 'field', 'data-field': name }, label, h('p', { class: 'help', id: helpId }, hints.join(' ')), input, error))
    fields.set(name, { kind, input, error, items: firstType(p.items ?? {}), numeric: kind === 'enum' && p.enum.every((v) => typeof v === 'number') })
  }

  // The whole value as JSON: for schemas without properties, and for anything the fields cannot say.
  const raw = h('textarea', { id: 'field-__json', rows: '8', spellcheck: 'false', 'aria-describedby': 'field-__json-error' })
  const rawError = h('p', { class: 'field-error', id: 'field-__json-error' })
  const rawBox = h('details', { class: 'raw-json' }, h('summary', {}, 'Edit as JSON'), h('label', { for: 'field-__json' }, 'The whole record'), raw, rawError)
  if (names.length === 0) rawBox.setAttribute('open', '')
  form.append(rawBox)
  const submit = h('button', { type: 'submit' }, submitLabel)
  form.append(submit)

  const fill = (value) => {
    const v = value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {}
    for (const [name, f] of fields) {
      const x = v[name]
      if (x === undefined || x === null) f.input.value = ''
      else if (f.kind === 'list') f.input.value = Array.isArray(x) ? x.join('\n') : JSON.stringify(x)
      else if (f.kind === 'json') f.input.value = JSON.stringify(x, null, 2)
      else f.input.value = String(x)
    }
    raw.value = JSON.stringify(value ?? {}, null, 2)
  }
  fill(initial)
  let rawEdited = false
  raw.addEventListener('input', () => { rawEdited = true })
  rawBox.addEventListener('toggle', () => { if (rawBox.open && !rawEdited) raw.value = JSON.stringify(read(), null, 2) })

  /** The value the fields describe (kept as typed when a box does not parse, so the schema says why). */
  const read = () => {
    const base = {}
    for (const [name, f] of fields) {
      const text = f.input.value
      if (text.trim() === '') continue
      if (f.kind === 'number' || f.kind === 'integer') base[name] = Number.isFinite(Number(text)) ? Number(text) : text
      else if (f.kind === 'boolean') base[name] = text === 'true'
      else if (f.kind === 'list') {
        const lines = text.split('\n').map((s) => s.trim()).filter((s) => s !== '')
        base[name] = f.items === 'number' || f.items === 'integer' ? lines.map((s) => (Number.isFinite(Number(s)) ? Number(s) : s)) : lines
      } else if (f.kind === 'json') base[name] = JSON.parse(text) // a SyntaxError is shown on this field
      else if (f.kind === 'enum') base[name] = f.numeric ? Number(text) : text
      else base[name] = text
    }
    return base
  }

  const clearErrors = () => {
    summary.hidden = true
    summary.replaceChildren()
    for (const f of [...fields.values(), { input: raw, error: rawError }]) {
      f.error.textContent = ''
      f.input.removeAttribute('aria-invalid')
    }
  }

  /** Shows issues `[{ path, message }]`: beside their field (top-level name of the path) and in the summary. */
  const showIssues = (issues, title) => {
    summary.replaceChildren(h('h3', {}, title), h('ul', {}, ...issues.map((i) => h('li', {}, `${i.path === '' ? 'value' : i.path}: ${i.message}`))))
    summary.hidden = false
    let first = null
    for (const i of issues) {
      const top = i.path.split('/')[1]?.replace(/~1/g, '/').replace(/~0/g, '~')
      const f = (top !== undefined ? fields.get(top) : undefined) ?? { input: raw, error: rawError }
      if (f.input === raw) rawBox.open = true
      f.error.textContent = f.error.textContent === '' ? i.message : `${f.error.textContent}; ${i.message}`
      f.input.setAttribute('aria-invalid', 'true')
      first ??= f.input
    }
    ;(first ?? summary).focus()
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault()
    clearErrors()
    let value
    try {
      value = rawBox.open && rawEdited ? JSON.parse(raw.value) : read()
    } catch (err) {
      const name = [...fields].find(([, f]) => f.kind === 'json' && f.input.value.trim() !== '' && (() => { try { JSON.parse(f.input.value); return false } catch { return true } })())?.[0]
      showIssues([{ path: name === undefined ? '' : `/${name}`, message: `not valid JSON (${err.message})` }], 'The record is not valid JSON')
      return
    }
    submit.disabled = true
    try {
      const id = idInput !== null && idInput.value.trim() !== '' ? idInput.value.trim() : undefined
      await onSubmit({ id, value })
    } catch (err) {
      const issues = err.detail?.issues ?? [{ path: err.detail?.path ?? '', message: err.message }]
      showIssues(issues, err.code === 'ERR_VALIDATION' ? `The schema rejects this record (${err.detail?.schema ?? ''})` : 'Not saved')
    } finally {
      submit.disabled = false
    }
  })
  container.append(form)
  return form
}
