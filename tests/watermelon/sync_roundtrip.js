// WatermelonDB's own synchronize() with its LokiJS adapter (in memory) against a running stack:
// run by tests/e2e/test_watermelondb_sync.py with BASE_URL and TOKEN (a mentor) in the environment.
// Exits non-zero with a message when the round trip does not hold.
'use strict'
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const { Database, Model, appSchema, tableSchema } = require('@nozbe/watermelondb')
const LokiJSAdapter = require('@nozbe/watermelondb/adapters/lokijs').default
const { synchronize } = require('@nozbe/watermelondb/sync')

const { BASE_URL, TOKEN } = process.env
const optional = (name, type) => ({ name, type, isOptional: true })

class Activity extends Model { static table = 'activities' }
class Contact extends Model { static table = 'contacts' }
class Progress extends Model { static table = 'user_progress' }

const schema = appSchema({
  version: 1,
  tables: [
    tableSchema({
      name: 'activities',
      columns: [
        optional('server_id', 'string'), optional('user_id', 'string'), { name: 'activity_date', type: 'string' },
        { name: 'activity_type', type: 'string' }, { name: 'duration_minutes', type: 'number' }, optional('summary', 'string'),
        optional('contact_id', 'string'), { name: 'is_group_activity', type: 'boolean' }, optional('participant_count', 'number'),
        optional('status', 'string'), optional('version', 'number'), optional('deleted_at', 'string'),
      ],
    }),
    tableSchema({ name: 'contacts', columns: [optional('server_id', 'string'), { name: 'name', type: 'string' }, optional('notes', 'string')] }),
    tableSchema({ name: 'user_progress', columns: [optional('server_id', 'string'), { name: 'progress_type', type: 'string' }, { name: 'item_id', type: 'string' }] }),
  ],
})

async function api(method, path, body, headers = {}) {
  const response = await fetch(BASE_URL + path, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null }
}

async function pullChanges({ lastPulledAt, schemaVersion }) {
  // every page of one pull, merged (a record met twice: the later page wins)
  const merged = {}
  let cursor = null
  let timestamp = null
  for (;;) {
    const query = `last_pulled_at=${lastPulledAt || 0}&schema_version=${schemaVersion}` + (cursor ? `&cursor=${cursor}` : '')
    const reply = await api('GET', `/api/sync/pull?${query}`)
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

const pushed = []
async function pushChanges({ changes, lastPulledAt }) {
  const body = { changes: { activities: changes.activities, contacts: { created: changes.contacts.created } } }
  pushed.push(body)
  const reply = await api('POST', `/api/sync/push?last_pulled_at=${lastPulledAt}`, body, { 'Idempotency-Key': crypto.randomUUID() })
  if (reply.status !== 200) throw new Error(`push: ${reply.status} ${JSON.stringify(reply.body)}`)
}

const sync = (database) => synchronize({ database, pullChanges, pushChanges, sendCreatedAsUpdated: true })

async function main() {
  const adapter = new LokiJSAdapter({ schema, useWebWorker: false, useIncrementalIndexedDB: false, dbName: 'sync-roundtrip' })
  const database = new Database({ adapter, modelClasses: [Activity, Contact, Progress] })
  const activities = database.get('activities')

  // a record born on the server reaches the device under the server's id
  const web = await api('POST', '/api/activities', { activity_date: '2026-11-03', activity_type: 'phone_call', summary: 'from the web' })
  assert.equal(web.status, 201)
  await sync(database)
  const fromServer = await activities.find(web.body.id)
  assert.equal(fromServer._raw.summary, 'from the web')
  assert.equal(fromServer._raw.server_id, web.body.id)

  // a record born on the device (offline) is pushed, keeps its id there and gets the server's fields
  let local
  await database.write(async () => {
    local = await activities.create((record) => {
      record._setRaw('activity_date', '2026-11-02')
      record._setRaw('activity_type', 'meeting')
      record._setRaw('duration_minutes', 45)
      record._setRaw('summary', 'coffee with Kari')
    })
  })
  await database.write(async () => {
    await database.get('contacts').create((record) => { record._setRaw('name', 'Kari') })
  })
  await sync(database)
  const listed = await api('GET', '/api/activities')
  const stored = listed.body.items.find((item) => item.local_id === local.id)
  assert.ok(stored, 'the device-born activity is on the server under its local_id')
  assert.equal(stored.duration_minutes, 45)
  await sync(database) // the echo of its own push carries the server's fields
  const synced = await activities.find(local.id)
  assert.equal(synced._raw.server_id, stored.id)
  assert.equal(synced._raw.status, 'under_review')
  assert.equal(synced._raw.version, 1)
  assert.equal(synced._raw._status, 'synced')

  // an edit on the server reaches the device; an edit on the device reaches the server
  const read = await api('GET', `/api/activities/${stored.id}`)
  const edited = await api('PATCH', `/api/activities/${stored.id}`, { summary: 'edited on the web' }, { 'If-Match': read.headers.get('etag') })
  assert.equal(edited.status, 200)
  await sync(database)
  assert.equal((await activities.find(local.id))._raw.summary, 'edited on the web')
  await database.write(async () => {
    await (await activities.find(local.id)).update((record) => { record._setRaw('summary', 'edited on the phone') })
  })
  await sync(database)
  assert.equal((await api('GET', `/api/activities/${stored.id}`)).body.summary, 'edited on the phone')

  // a deletion on the server reaches the device; a deletion on the device reaches the server
  assert.equal((await api('DELETE', `/api/activities/${web.body.id}`)).status, 204)
  await sync(database)
  await assert.rejects(activities.find(web.body.id))
  await database.write(async () => { await (await activities.find(local.id)).markAsDeleted() })
  await sync(database)
  assert.equal((await api('GET', `/api/activities/${stored.id}`)).status, 404)
  assert.equal((await activities.query().fetch()).length, 0)
  console.log(JSON.stringify({ ok: true, pushes: pushed.length }))
}

main().then(() => process.exit(0)).catch((error) => { // Loki's timers would keep Node running
  console.error(error && error.stack ? error.stack : error)
  process.exit(1)
})
