// A mobile developer's scenario against the client generated from docs/openapi.json with
// openapi-typescript's default settings (generated/api.d.ts) and openapi-fetch. make test
// type-checks it with `tsc --strict` and runs it against a local stack
// (tests/e2e/test_generated_clients.py): BASE_URL, MEMBER_TOKEN and ADMIN_TOKEN in the environment.
// A change of docs/openapi.json that breaks this code breaks the build.
import assert from "node:assert/strict";
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/api.js";

type Activity = components["schemas"]["ActivityOut"];
type NewActivity = components["schemas"]["ActivityCreate"];
type Problem = components["schemas"]["Error"] | components["schemas"]["GatewayError"];

function api(baseUrl: string, token: string) {
  // Signing in is Cognito's part: the app holds an ID token and sends it on every request.
  return createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });
}

function fail(step: string, status: number, error: Problem | undefined): never {
  const why = error && "error" in error ? `${error.error.code} (request ${error.error.request_id})` : error?.message;
  throw new Error(`${step}: HTTP ${status}: ${why}`);
}

export async function scenario(baseUrl: string, memberToken: string, adminToken: string): Promise<void> {
  const member = api(baseUrl, memberToken);
  const admin = api(baseUrl, adminToken);

  // sign in: the first authenticated request creates the user
  const me = await member.GET("/api/users/me");
  if (!me.data) fail("sign in", me.response.status, me.error);
  const renamed = await member.PATCH("/api/users/me", { body: { name: "Mona Mentor" } });
  if (!renamed.data) fail("profile", renamed.response.status, renamed.error);
  assert.equal(renamed.data.name, "Mona Mentor");
  const signedIn = await admin.GET("/api/users/me");
  if (!signedIn.data) fail("admin sign in", signedIn.response.status, signedIn.error);
  assert.equal(signedIn.data.role, "admin");

  // a contact, then an activity with it, typed as the user typed the date
  const contact = await member.POST("/api/contacts", { body: { name: "Kari Nordmann" } });
  if (!contact.data) fail("contact", contact.response.status, contact.error);
  const visit: NewActivity = { activity_date: "2026-11-20", activity_type: "home_visit", duration_minutes: 45, contact_id: contact.data.id };
  const logged = await member.POST("/api/activities", { body: visit });
  if (!logged.data) fail("log an activity", logged.response.status, logged.error);
  const activity: Activity = logged.data;
  assert.equal(logged.response.status, 201);
  assert.equal(activity.local_date, "2026-11-20");
  assert.equal(activity.status, "under_review");
  assert.deepEqual(logged.data.warnings, []);

  // offline: a batch of activities born on the device, then a pull of what changed
  const synced = await member.POST("/api/activities/sync", {
    body: { items: [1, 2, 3].map((day) => ({ local_id: `device-${me.data.id}-${day}`, activity_date: `2026-10-0${day}`, activity_type: "phone_call" as const, duration_minutes: 10 })) },
  });
  if (!synced.data) fail("sync", synced.response.status, synced.error);
  for (const result of synced.data.results) {
    if (result.outcome === "rejected") throw new Error(`sync rejected ${result.local_id}: ${result.error.code}`);
    assert.equal(result.outcome, "created");
    assert.equal(result.activity.local_id, result.local_id);
  }
  const pulled = await member.GET("/api/sync/pull", { params: { query: { last_pulled_at: 0 } } });
  if (!pulled.data) fail("pull", pulled.response.status, pulled.error);
  const onDevice = [...pulled.data.changes.activities.created, ...pulled.data.changes.activities.updated];
  assert.ok(onDevice.some((record) => record.server_id === activity.id && record.local_date === "2026-11-20"));

  // the member's list, two at a time, following next_cursor to the end
  const seen: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await member.GET("/api/activities", { params: { query: { limit: 2, cursor } } });
    if (!page.data) fail("list", page.response.status, page.error);
    assert.ok(page.data.items.length <= 2);
    seen.push(...page.data.items.map((item) => item.id));
    cursor = page.data.next_cursor ?? undefined;
  } while (cursor);
  assert.equal(seen.length, 4);
  assert.equal(seen[0], activity.id); // newest activity_date first

  // a coordinator or admin reviews it; the member sees it approved
  const reviewed = await admin.POST("/api/activities/{id}/review", { params: { path: { id: activity.id } }, body: { action: "approve" } });
  if (!reviewed.data) fail("review", reviewed.response.status, reviewed.error);
  assert.equal(reviewed.data.status, "approved");
  const again = await member.GET("/api/activities/{id}", { params: { path: { id: activity.id } } });
  if (!again.data) fail("get", again.response.status, again.error);
  assert.equal(again.data.version, reviewed.data.version);

  // a member may not review: the error envelope, typed
  const refused = await member.POST("/api/activities/{id}/review", { params: { path: { id: activity.id } }, body: { action: "reopen" } });
  assert.equal(refused.response.status, 403);
  assert.ok(refused.error && "error" in refused.error && refused.error.error.code === "forbidden");

  // the Bufdir export of November
  const queued = await admin.POST("/api/exports/bufdir", { body: { period_start: "2026-11-01", period_end: "2026-11-30", format: "csv" } });
  if (!queued.data) fail("export", queued.response.status, queued.error);
  assert.equal(queued.response.status, 202);
  let status: components["schemas"]["ExportOut"]["status"] = queued.data.status;
  for (let tries = 0; tries < 100 && (status === "pending" || status === "running"); tries++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const read = await admin.GET("/api/exports/{id}", { params: { path: { id: queued.data.id } } });
    if (!read.data) fail("export status", read.response.status, read.error);
    status = read.data.status;
    if (status === "done") assert.ok(read.data.url && read.data.row_count !== null);
  }
  assert.equal(status, "done");
}

const { BASE_URL, MEMBER_TOKEN, ADMIN_TOKEN } = process.env;
if (BASE_URL && MEMBER_TOKEN && ADMIN_TOKEN) {
  scenario(BASE_URL, MEMBER_TOKEN, ADMIN_TOKEN).then(
    () => console.log(JSON.stringify({ ok: true })),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
