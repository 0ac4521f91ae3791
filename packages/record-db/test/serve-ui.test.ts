// kappa-db serve, the web UI in a real headless browser (Debian's chromium driven by
// playwright-core; nothing downloads a browser): records show, an invalid form shows the
// schema's message and stores nothing, a valid one is saved, a record written by a second
// peer appears live, and a tab without the token asks for it.
import test from 'tape'
import fs from 'node:fs'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { connect, tmpDir } from '@kappa-ts/test-helpers'
import { openDb, caughtUp } from './helpers.js'
import { bookSchema, serve, TOKEN } from './serve-helpers.js'

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter((p): p is string => p !== undefined && p !== '')
const browserPath = CANDIDATES.find((p) => fs.existsSync(p))
// Flags that work in this sandbox (no GPU, no network beyond loopback, no first-run UI).
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
/** Bound on each wait for the page (not a speed requirement: the machine is shared and slow at times). */
const WAIT = { timeout: 30_000 }

async function launch (profile: string): Promise<BrowserContext> {
  return await chromium.launchPersistentContext(profile, { executablePath: browserPath as string, headless: true, args: FLAGS, viewport: { width: 1200, height: 900 } })
}

function watchErrors (page: Page, errors: string[]): void {
  page.on('pageerror', (err) => errors.push(err.message))
}

test('serve UI: browse, an invalid form, a live record from a peer, the token prompt', { skip: browserPath === undefined }, async (t) => {
  const dirA = tmpDir(t, 'kappa-rdb-')
  const dirB = tmpDir(t, 'kappa-rdb-')
  const profile = tmpDir(t, 'kappa-rdb-')
  const a = await openDb(dirA, { mode: 'open' })
  const b = await openDb(dirB, { key: a.key, mode: 'open' })
  await a.putSchema('book', bookSchema)
  await a.batch([
    { type: 'put', schema: 'book', id: 'dispossessed', value: { title: 'The Dispossessed', author: 'Le Guin', year: 1974 } },
    { type: 'put', schema: 'book', id: 'kindred', value: { title: 'Kindred', author: 'Butler', year: 1979 } }
  ])
  const srv = await serve(a)
  const end = connect(a, b)
  let context: BrowserContext | null = null
  const errors: string[] = []
  try {
    await caughtUp(b, a)
    context = await launch(profile)
    const page = context.pages()[0] ?? await context.newPage()
    watchErrors(page, errors)
    await page.goto(srv.uiUrl)

    // Records show.
    const table = page.getByRole('table')
    await table.getByRole('cell', { name: 'The Dispossessed' }).waitFor(WAIT)
    t.pass('the records of the first schema show in a table')
    t.equal(await table.getByRole('row').count(), 3, 'a header row and one row per record')
    t.notOk(page.url().includes('token='), 'the token is taken out of the address bar')
    t.equal(await page.evaluate('sessionStorage.getItem("kappa-db-token")'), TOKEN, 'and kept in the tab')
    await page.getByText('live', { exact: true }).waitFor(WAIT)
    t.pass('the event stream is live')

    // A record opens with its version and history.
    await page.getByRole('link', { name: 'kindred' }).click()
    await page.getByRole('heading', { name: 'book / kindred' }).waitFor(WAIT)
    t.ok(await page.getByText('History (1 version, oldest first)').isVisible(), 'the record view shows its history')

    // The form: an invalid value shows the schema's message beside the field; nothing is stored.
    await page.getByRole('link', { name: 'New record' }).first().click()
    await page.getByRole('heading', { name: 'New book' }).waitFor(WAIT)
    await page.getByLabel('title').fill('x'.repeat(201))
    await page.getByLabel('year').fill('1975.5')
    await page.getByRole('button', { name: 'Create' }).click()
    const titleError = page.locator('#field-title-error')
    await titleError.getByText('must NOT have more than 200 characters').waitFor(WAIT)
    t.pass('the schema message (maxLength) shows beside the title field')
    t.equal(await page.locator('#field-year-error').textContent(), 'must be integer', 'and the type error beside the year')
    t.equal(await page.getByLabel('title').getAttribute('aria-invalid'), 'true', 'the field is marked invalid for assistive technology')
    t.match(await page.getByRole('alert').filter({ hasText: 'rejects' }).textContent() ?? '', /\/title: must NOT have more than 200 characters/, 'the error summary lists the path and message')
    t.equal((await collectIds(a)).length, 2, 'nothing was stored')

    await page.getByLabel('title').fill('Parable of the Sower')
    await page.getByLabel('year').fill('1993')
    await page.getByLabel('author').fill('Butler')
    await page.getByLabel('Id').fill('parable')
    await page.getByRole('button', { name: 'Create' }).click()
    await page.getByRole('heading', { name: 'book / parable' }).waitFor(WAIT)
    t.deepEqual((await a.get('book', 'parable')).map((v) => v.value), [{ title: 'Parable of the Sower', author: 'Butler', year: 1993 }], 'a valid form is stored as the schema types it')

    // Live: back to the list; the second peer writes; the row appears without a reload.
    await page.getByRole('link', { name: 'Browse' }).click()
    await page.getByRole('cell', { name: 'Parable of the Sower' }).waitFor(WAIT)
    const liveId = await b.put('book', { title: 'Written by the second peer', author: 'Peer B', year: 2024 })
    await page.getByRole('cell', { name: 'Written by the second peer' }).waitFor(WAIT)
    t.pass('a record written by the second peer appears in the list live')
    t.ok(await page.locator(`tr[data-id="${liveId}"].changed`).isVisible(), 'marked as updated')
    t.ok(await page.locator('#live-log').getByText(`book / ${liveId}`).isVisible(), 'and listed under live changes')

    // Query by an indexed field.
    await page.getByRole('link', { name: 'Query' }).click()
    await page.getByLabel('Field').selectOption('author')
    await page.getByLabel('Value').fill('Butler')
    await page.getByRole('button', { name: 'Run query' }).click()
    await page.getByText('2 records').waitFor(WAIT)
    t.pass('a query by an indexed field shows its results')

    // Search.
    await page.getByRole('link', { name: 'Search' }).click()
    await page.getByLabel('Words').fill('dispossessed')
    await page.getByRole('button', { name: 'Search' }).click()
    await page.getByRole('link', { name: 'book / dispossessed' }).waitFor(WAIT)
    t.pass('search finds a record')

    // Sync status.
    await page.getByRole('link', { name: 'Sync status' }).click()
    await page.getByRole('heading', { name: 'Sync status' }).waitFor(WAIT)
    t.equal(await page.locator('dl.status dd').first().textContent(), a.key, 'the status page shows the database key')

    // A new tab has no token: the UI asks for it, refuses a wrong one, accepts the right one.
    const tab = await context.newPage()
    watchErrors(tab, errors)
    await tab.goto(srv.url)
    await tab.getByRole('heading', { name: 'Access token' }).waitFor(WAIT)
    t.pass('a tab without the token asks for it')
    await tab.getByLabel('Token', { exact: true }).fill('not-the-token-at-all')
    await tab.getByRole('button', { name: 'Open' }).click()
    await tab.getByText('The server refused the token').waitFor(WAIT)
    t.pass('a wrong token is refused with a message')
    await tab.getByLabel('Token', { exact: true }).fill(TOKEN)
    await tab.getByRole('button', { name: 'Open' }).click()
    await tab.getByRole('cell', { name: 'Kindred' }).waitFor(WAIT)
    t.pass('the right token opens the records')
    t.deepEqual(errors, [], 'no script errors in the pages')
  } finally {
    await context?.close()
    end()
    await srv.close()
    await a.close()
    await b.close()
  }
})

if (browserPath === undefined) {
  test('serve UI: no browser', (t) => {
    t.comment(`SKIPPED the browser test: no Chromium at ${CANDIDATES.join(', ')} (apt-get install chromium, or set CHROMIUM_PATH)`)
    t.end()
  })
}

async function collectIds (db: Awaited<ReturnType<typeof openDb>>): Promise<string[]> {
  const ids: string[] = []
  for await (const r of db.list('book')) ids.push(r.id)
  return ids
}
