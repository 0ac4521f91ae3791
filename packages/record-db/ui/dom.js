// h(tag, attributes, ...children): a DOM element. Text children are text nodes (never HTML),
// so record values can hold anything.
export function h (tag, attrs = {}, ...children) {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v)
    else el.setAttribute(k, v === true ? '' : String(v))
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === '') continue
    el.append(c instanceof Node ? c : document.createTextNode(String(c)))
  }
  return el
}

export const short = (key) => (typeof key === 'string' && key.length > 12 ? `${key.slice(0, 8)}…` : String(key))
export const time = (ms) => new Date(ms).toLocaleString()
/** A one-line preview of a value. */
export function preview (value, max = 120) {
  const s = JSON.stringify(value) ?? ''
  return s.length > max ? s.slice(0, max - 1) + '…' : s
}
