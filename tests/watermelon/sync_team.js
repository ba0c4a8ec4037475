// Two devices of one mentor (WatermelonDB's own synchronize() with LokiJS, in memory) and a
// coordinator on the REST API, working offline and online in turns against a running stack: creates,
// edits and deletions on both devices (contacts too), a coordinator's approval, contact edit and
// proxy registration, a conflict resolved by pull-then-push. It ends with the same data on both
// devices and the server, every record once, and shows that a replayed push and a replayed POST
// with the same Idempotency-Key change nothing.
// Run by tests/e2e/test_watermelondb_sync.py with BASE_URL, MENTOR_TOKEN, MENTOR_ID and
// COORDINATOR_TOKEN in the environment; exits non-zero with a message when a step does not hold.
'use strict'
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const { Database, Model, appSchema, tableSchema } = require('@nozbe/watermelondb')
const LokiJSAdapter = require('@nozbe/watermelondb/adapters/lokijs').default
const { synchronize } = require('@nozbe/watermelondb/sync')

const { BASE_URL, MENTOR_TOKEN, MENTOR_ID, COORDINATOR_TOKEN } = process.env
const optional = (name, type) => ({ name, type, isOptional: true })

class Activity extends Model { static table = 'activities' }
class Contact extends Model { static table = 'contacts' }
class Progress extends Model { static table = 'user_progress' }

const ACTIVITY_COLUMNS = [
  'server_id', 'user_id', 'registered_by_user_id', 'activity_date', 'activity_type', 'duration_minutes', 'summary', 'contact_id',
  'is_group_activity', 'participant_count', 'is_proxy_registration', 'status', 'version', 'deleted_at',
]
const CONTACT_COLUMNS = ['server_id', 'name', 'notes', 'created_by_user_id', 'version']

const schema = appSchema({
  version: 1,
  tables: [
    tableSchema({
      name: 'activities',
      columns: [
        optional('server_id', 'string'), optional('user_id', 'string'), optional('registered_by_user_id', 'string'),
        { name: 'activity_date', type: 'string' }, { name: 'activity_type', type: 'string' }, { name: 'duration_minutes', type: 'number' },
        optional('summary', 'string'), optional('contact_id', 'string'), { name: 'is_group_activity', type: 'boolean' },
        optional('participant_count', 'number'), optional('is_proxy_registration', 'boolean'), optional('status', 'string'),
        optional('version', 'number'), optional('deleted_at', 'string'),
      ],
    }),
    tableSchema({
      name: 'contacts',
      columns: [optional('server_id', 'string'), { name: 'name', type: 'string' }, optional('notes', 'string'), optional('created_by_user_id', 'string'), optional('version', 'number')],
    }),
    tableSchema({ name: 'user_progress', columns: [optional('server_id', 'string'), { name: 'progress_type', type: 'string' }, { name: 'item_id', type: 'string' }] }),
  ],
})

async function api(token, method, path, body, headers = {}) {
  const response = await fetch(BASE_URL + path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null }
}
const mentor = (...args) => api(MENTOR_TOKEN, ...args)
const coordinator = (...args) => api(COORDINATOR_TOKEN, ...args)

async function everything(who, path) {
  // every page of a REST list
  const items = []
  let cursor = null
  for (;;) {
    const reply = await who('GET', `${path}${path.includes('?') ? '&' : '?'}limit=100` + (cursor ? `&cursor=${cursor}` : ''))
    assert.equal(reply.status, 200, JSON.stringify(reply.body))
    items.push(...reply.body.items)
    if (!reply.body.next_cursor) return items
    cursor = reply.body.next_cursor
  }
}

class PushFailed extends Error {
  constructor(status, body) {
    super(`push: ${status} ${JSON.stringify(body)}`)
    this.status = status
    this.body = body
  }
}

// A device of the mentor: its own LokiJS database, and WatermelonDB's synchronize() with the two fetch calls.
function device(name) {
  const adapter = new LokiJSAdapter({ schema, useWebWorker: false, useIncrementalIndexedDB: false, dbName: `sync-team-${name}` })
  const database = new Database({ adapter, modelClasses: [Activity, Contact, Progress] })
  const self = { name, database, pushes: [], beforePush: null }

  async function pullChanges({ lastPulledAt, schemaVersion }) {
    const merged = {}
    let cursor = null
    let timestamp = null
    for (;;) {
      const query = `last_pulled_at=${lastPulledAt || 0}&schema_version=${schemaVersion}` + (cursor ? `&cursor=${cursor}` : '')
      const reply = await mentor('GET', `/api/sync/pull?${query}`)
      if (reply.status !== 200) throw new Error(`pull: ${reply.status} ${JSON.stringify(reply.body)}`)
      for (const [table, changes] of Object.entries(reply.body.changes)) {
        const into = (merged[table] = merged[table] || { created: new Map(), updated: new Map(), deleted: new Set() })
        for (const record of changes.created) into.created.set(record.id, record)
        for (const record of changes.updated) into.updated.set(record.id, record)
        for (const id of changes.deleted) into.deleted.add(id)
      }
      timestamp = reply.body.timestamp
      if (!reply.body.has_more) break
      cursor = reply.body.cursor
    }
    const changes = {}
    for (const [table, c] of Object.entries(merged)) {
      changes[table] = { created: [...c.created.values()], updated: [...c.updated.values()], deleted: [...c.deleted] }
    }
    return { changes, timestamp }
  }

  async function pushChanges({ changes, lastPulledAt }) {
    if (self.beforePush) { // the world moves on between this device's pull and its push
      const hook = self.beforePush
      self.beforePush = null
      await hook()
    }
    const body = { changes: { activities: changes.activities, contacts: changes.contacts } }
    const key = crypto.randomUUID()
    const path = `/api/sync/push?last_pulled_at=${lastPulledAt}`
    const reply = await mentor('POST', path, body, { 'Idempotency-Key': key })
    if (reply.status !== 200) throw new PushFailed(reply.status, reply.body)
    self.pushes.push({ path, body, key, answer: reply.body })
  }

  self.sync = () => synchronize({ database, pullChanges, pushChanges, sendCreatedAsUpdated: true })
  self.create = (table, fields) => database.write(() => database.get(table).create((record) => {
    for (const [column, value] of Object.entries(fields)) record._setRaw(column, value)
  }))
  self.find = (table, id) => database.get(table).find(id)
  self.update = (table, id, fields) => database.write(async () => {
    const record = await database.get(table).find(id)
    await record.update((r) => { for (const [column, value] of Object.entries(fields)) r._setRaw(column, value) })
  })
  self.remove = (table, id) => database.write(async () => { await (await database.get(table).find(id)).markAsDeleted() })
  self.rows = async (table, columns) => {
    const records = await database.get(table).query().fetch()
    for (const record of records) assert.equal(record._raw._status, 'synced', `${name}: ${table} ${record.id} is ${record._raw._status}`)
    return snapshot(records.map((record) => record._raw), columns)
  }
  return self
}

function snapshot(rows, columns) {
  // id -> the compared columns, every id once
  const out = {}
  for (const row of rows) {
    assert.ok(!(row.id in out), `${row.id} is there twice`)
    out[row.id] = Object.fromEntries(columns.map((column) => [column, row[column] ?? null]))
  }
  return out
}

async function serverRows() {
  // the server's view through the REST API: the mentor's activities and the organization's contacts
  const activities = (await everything(mentor, '/api/activities')).map((a) => ({ ...a, id: a.local_id || a.id, server_id: a.id }))
  const contacts = (await everything(mentor, '/api/contacts')).map((c) => ({ ...c, server_id: c.id }))
  const serverIds = activities.map((a) => a.server_id)
  assert.equal(new Set(serverIds).size, serverIds.length, 'an activity listed twice')
  return { activities: snapshot(activities, ACTIVITY_COLUMNS), contacts: snapshot(contacts, CONTACT_COLUMNS) }
}

async function deviceRows(d) {
  return { activities: await d.rows('activities', ACTIVITY_COLUMNS), contacts: await d.rows('contacts', CONTACT_COLUMNS) }
}

async function converged(a, b, label) {
  const server = await serverRows()
  assert.deepEqual(await deviceRows(a), server, `${label}: device A differs from the server`)
  assert.deepEqual(await deviceRows(b), server, `${label}: device B differs from the server`)
  return server
}

async function main() {
  const A = device('a')
  const B = device('b')
  const log = []
  const step = (text) => log.push(text)
  const settle = async () => { // each device pulls after every push (its own echo carries the server's fields)
    for (const d of [A, B, A, B]) await d.sync()
  }

  // a coordinator creates a contact; the same POST replayed with its Idempotency-Key creates nothing more
  const kariKey = { 'Idempotency-Key': crypto.randomUUID() }
  const kari = await coordinator('POST', '/api/contacts', { name: 'Kari' }, kariKey)
  assert.equal(kari.status, 201)
  const kariAgain = await coordinator('POST', '/api/contacts', { name: 'Kari' }, kariKey)
  assert.deepEqual([kariAgain.status, kariAgain.body, kariAgain.headers.get('idempotent-replayed')], [201, kari.body, 'true'])
  step('contact by the coordinator, POST replayed')

  // first syncs of both devices
  await A.sync()
  await B.sync()
  assert.equal((await A.find('contacts', kari.body.id))._raw.name, 'Kari')

  // offline on both devices: activities and contacts born there
  const ola = await A.create('contacts', { name: 'Ola' })
  const a1 = await A.create('activities', { activity_date: '2026-11-02', activity_type: 'meeting', duration_minutes: 45, summary: 'coffee with Kari', contact_id: kari.body.id })
  const b1 = await B.create('activities', { activity_date: '2026-11-03', activity_type: 'phone_call', duration_minutes: 15, summary: 'call' })
  const temp = await B.create('contacts', { name: 'Temporary' })
  await settle()
  let server = await converged(A, B, 'after the first offline work')
  assert.equal(Object.keys(server.activities).length, 2)
  assert.equal(Object.keys(server.contacts).length, 3)
  step('offline creates on both devices')

  // the coordinator approves a1, registers an activity for the mentor (a retried POST), edits Kari with If-Match
  const a1Server = server.activities[a1.id].server_id
  const approved = await coordinator('POST', `/api/activities/${a1Server}/review`, { action: 'approve' }, { 'Idempotency-Key': crypto.randomUUID() })
  assert.equal(approved.status, 200, JSON.stringify(approved.body))
  const proxyKey = { 'Idempotency-Key': crypto.randomUUID() }
  const proxyBody = { user_id: MENTOR_ID, activity_date: '2026-11-05', activity_type: 'home_visit', duration_minutes: 60, summary: 'registered by the coordinator', contact_id: kari.body.id }
  const proxy = await coordinator('POST', '/api/activities', proxyBody, proxyKey)
  assert.equal(proxy.status, 201, JSON.stringify(proxy.body))
  assert.equal(proxy.body.is_proxy_registration, true)
  const readKari = await coordinator('GET', `/api/contacts/${kari.body.id}`)
  const kariEdited = await coordinator('PATCH', `/api/contacts/${kari.body.id}`, { notes: 'prefers mornings' }, { 'If-Match': readKari.headers.get('etag') })
  assert.equal(kariEdited.status, 200)
  const staleKari = await coordinator('PATCH', `/api/contacts/${kari.body.id}`, { notes: 'lost update' }, { 'If-Match': readKari.headers.get('etag') })
  assert.equal(staleKari.status, 412)
  step('approval, proxy registration, contact edit with If-Match')

  // offline again: B edits a contact A created and deletes one it created; A logs a home visit on Ola
  await B.update('contacts', ola.id, { notes: 'met at the library' })
  await B.remove('contacts', temp.id)
  const a2 = await A.create('activities', { activity_date: '2026-11-04', activity_type: 'home_visit', duration_minutes: 30, contact_id: ola.id })
  await settle()
  server = await converged(A, B, 'after the coordinator and the contact edits')
  assert.equal(server.activities[a1.id].status, 'approved')
  assert.equal(server.activities[proxy.body.id].is_proxy_registration, true)
  assert.equal(server.contacts[kari.body.id].notes, 'prefers mornings')
  assert.equal(server.contacts[ola.id].notes, 'met at the library')
  assert.ok(!(temp.id in server.contacts), 'the contact deleted on device B is gone')
  step('contact edit and deletion from a device, coordinator changes reach both')

  // a conflict: both devices edit b1; A's edit reaches the server between B's pull and B's push
  await A.update('activities', b1.id, { summary: 'from device A' })
  await B.update('activities', b1.id, { summary: 'from device B' })
  B.beforePush = () => A.sync()
  await assert.rejects(B.sync(), (error) => error instanceof PushFailed && error.status === 409 && error.body.error.details[0].rule === 'changed_since_last_pull')
  assert.equal((await mentor('GET', `/api/activities/${server.activities[b1.id].server_id}`)).body.summary, 'from device A')
  await B.sync() // pull first (its own edit kept over the pulled one, version from the server), then push again
  assert.equal((await mentor('GET', `/api/activities/${server.activities[b1.id].server_id}`)).body.summary, 'from device B')
  step('conflict: push refused with 409, resolved by pull-then-push')

  // a deletion on device A; its push is the one replayed below
  await A.remove('activities', a2.id)
  await A.sync()
  const lastPush = A.pushes[A.pushes.length - 1]
  assert.deepEqual(lastPush.answer.activities, { created: 0, updated: 0, deleted: 1 })
  await settle()
  server = await converged(A, B, 'at the end')
  assert.deepEqual(Object.keys(server.activities).sort(), [a1.id, b1.id, proxy.body.id].sort())
  assert.deepEqual(Object.keys(server.contacts).sort(), [kari.body.id, ola.id].sort())
  assert.equal(server.activities[b1.id].summary, 'from device B')
  step('deletion from a device; both devices and the server hold the same records, each once')

  // replays change nothing: the push with its Idempotency-Key (its first answer), the same push under
  // a new key (every record already as pushed), the coordinator's POST with its Idempotency-Key
  const replayed = await mentor('POST', lastPush.path, lastPush.body, { 'Idempotency-Key': lastPush.key })
  assert.deepEqual([replayed.status, replayed.body, replayed.headers.get('idempotent-replayed')], [200, lastPush.answer, 'true'])
  const again = await mentor('POST', lastPush.path, lastPush.body, { 'Idempotency-Key': crypto.randomUUID() })
  assert.equal(again.status, 200, JSON.stringify(again.body))
  assert.deepEqual(again.body, { activities: { created: 0, updated: 0, deleted: 0 }, contacts: { created: 0, updated: 0, deleted: 0 } })
  const proxyAgain = await coordinator('POST', '/api/activities', proxyBody, proxyKey)
  assert.deepEqual([proxyAgain.status, proxyAgain.body, proxyAgain.headers.get('idempotent-replayed')], [201, proxy.body, 'true'])
  assert.deepEqual(await serverRows(), server, 'a replay changed the server')
  await settle()
  assert.deepEqual(await converged(A, B, 'after the replays'), server)
  step('replayed push and POST change nothing')

  console.log(JSON.stringify({ ok: true, steps: log, pushes: { a: A.pushes.length, b: B.pushes.length } }))
}

main().then(() => process.exit(0)).catch((error) => { // Loki's timers would keep Node running
  console.error(error && error.stack ? error.stack : error)
  process.exit(1)
})
