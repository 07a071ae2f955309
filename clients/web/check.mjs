// The front end's view of the contract, checked against a running `oppscout web` + worker.
//
// Usage: OPPSCOUT_URL=http://127.0.0.1:8000 OPPSCOUT_TOKEN=osk_... node check.mjs
// It drives the API as the seed front end does — axios with a bearer token, socket.io-client over
// websocket and over polling alone, connected with nothing but `auth: {token}` — and validates every
// answer and every event with the generated Zod schemas. Exit 0 when all hold; 1 with the reason.
import axios from "axios";
import { io } from "socket.io-client";
import { z } from "zod";
import * as S from "./schemas.mjs";

const URL = process.env.OPPSCOUT_URL ?? "http://127.0.0.1:8000";
const TOKEN = process.env.OPPSCOUT_TOKEN;
const LIMIT_MS = Number(process.env.OPPSCOUT_CHECK_TIMEOUT_MS ?? 180000);
const FINAL = new Set(["completed", "failed", "cancelled"]);

const http = axios.create({ baseURL: URL, headers: { Authorization: `Bearer ${TOKEN}` }, validateStatus: () => true });
let checks = 0;

function check(condition, message) {
  if (!condition) throw new Error(message);
  checks += 1;
}

function parse(schema, data, what) {
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    throw new Error(`${what} does not match the contract: ${JSON.stringify(parsed.error.issues)}\n${JSON.stringify(data)}`);
  }
  checks += 1;
  return parsed.data;
}

function request() {
  const end = new Date();
  const start = new Date(end.getTime() - 30 * 86400 * 1000);
  return {
    subreddits: ["freelance", "smallbusiness"],
    timeRange: { start: start.toISOString(), end: end.toISOString() },
    keywords: ["invoice"],
    maxCost: 1,
  };
}

function connect(transports) {
  // Exactly the contract's client: a token and the transports, no other step.
  const socket = io(URL, { auth: { token: TOKEN }, transports, reconnection: false });
  const events = [];
  socket.onAny((name, data) => events.push({ name, data }));
  return new Promise((resolve, reject) => {
    socket.on("connect", () => resolve({ socket, events }));
    socket.on("connect_error", (error) => reject(new Error(`${transports} connect failed: ${error.message}`)));
  });
}

async function until(predicate, what) {
  const deadline = Date.now() + LIMIT_MS;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function main() {
  check(TOKEN, "set OPPSCOUT_TOKEN to a token from `oppscout token create`");

  const health = await http.get("/api/v1/health");
  const report = parse(S.HealthReportSchema, health.data, "GET /api/v1/health");
  for (const service of ["reddit-api", "ai-processor", "payment-service", "websocket-service"]) {
    check(report.components[service], `health lists ${service}`);
    check(["healthy", "degraded", "down"].includes(report.components[service].status), `${service} in three states`);
  }
  const features = parse(S.FeaturesSchema, (await http.get("/api/v1/features")).data, "GET /api/v1/features");
  check(features.constellationMap === true, "constellationMap is always on");
  check(features.realtimeUpdates === (report.components["websocket-service"].status === "healthy"), "realtimeUpdates follows websocket-service");
  check(features.paymentProcessing === (report.components["payment-service"].status === "healthy"), "paymentProcessing follows payment-service");
  check(features.voiceInterface === (report.components["ai-processor"].status === "healthy"), "voiceInterface follows ai-processor");

  const bad = await http.post("/api/v1/analyses", "{\"subreddits\": [", { headers: { "Content-Type": "application/json" } });
  const error = parse(S.ErrorBodySchema, bad.data, "a malformed body's error");
  check(bad.status === 422 && error.details[0].field === "body", "malformed JSON names the body, not an offset");

  const websocket = await connect(["websocket"]);
  const polling = await connect(["polling"]);
  try {
    const created = await http.post("/api/v1/analyses", request());
    check(created.status === 202, `POST answered ${created.status}: ${JSON.stringify(created.data)}`);
    const analysis = parse(S.AnalysisResponseSchema, created.data, "POST /api/v1/analyses");
    const id = analysis.analysisId;
    // The contract's listeners, by name.
    const named = { websocket: [], polling: [] };
    for (const [label, conn] of [["websocket", websocket], ["polling", polling]]) {
      conn.socket.on(`analysis-${id}`, (data) => named[label].push(data));
      conn.socket.on(`cost-${id}`, (data) => named[label].push(data));
    }

    const percents = [];
    let sawQueue = false;
    const mine = (conn) => conn.events.filter((e) => e.name === `analysis-${id}` || e.name === `cost-${id}`);
    await until(async () => {
      const progress = await http.get(`/api/v1/analyses/${id}/progress`);
      const snapshot = parse(S.ProgressSnapshotSchema, progress.data, "GET progress");
      check(typeof snapshot.retryCount === "number", "progress has retryCount");
      percents.push(snapshot.percent);
      parse(z.array(S.WorkerJobStatusSchema), (await http.get(`/api/v1/analyses/${id}/jobs`)).data, "GET jobs");
      if (!sawQueue) {
        parse(S.QueueStatusSchema, (await http.get(`/api/v1/analyses/${id}/queue`)).data, "GET queue");
        sawQueue = true;
      }
      return [websocket, polling].every((conn) => mine(conn).some((e) => FINAL.has(e.data.type)));
    }, "the analysis to finish on both transports");
    check(percents.every((p, i) => i === 0 || p >= percents[i - 1]), `overall percent never goes back: ${percents}`);

    for (const [label, conn] of [["websocket", websocket], ["polling", polling]]) {
      const events = mine(conn).map((e) => parse(S.AnalysisEventSchema, e.data, `${label} event ${e.name}`));
      check(events.length > 0 && events[0].type === "stage", `${label}: the first event (stage start) arrived, got ${events.map((e) => e.type)}`);
      check(events.at(-1).type === "completed", `${label}: completed, got ${events.map((e) => e.type)}`);
      check(events.some((e) => e.type === "cost"), `${label}: cost-${id} arrived`);
      check(named[label].length === events.length, `${label}: socket.on('analysis-'+id) and ('cost-'+id) saw every event`);
    }
    const done = parse(S.AnalysisResponseSchema, (await http.get(`/api/v1/analyses/${id}`)).data, "GET the finished analysis");
    check(done.status === "completed" && done.results && done.progress.percent === 100, "completed with results at 100%");
    const jobs = parse(z.array(S.WorkerJobStatusSchema), (await http.get(`/api/v1/analyses/${id}/jobs`)).data, "GET jobs");
    check(jobs.length === 3 && jobs.every((j) => j.estimatedCompletion instanceof Date), "three jobs, each with a date");

    const second = parse(S.AnalysisResponseSchema, (await http.post("/api/v1/analyses", request())).data, "POST again");
    const cancelled = parse(S.CancelResultSchema, (await http.post(`/api/v1/analyses/${second.analysisId}/cancel`)).data, "cancel");
    await until(async () => {
      const read = parse(S.AnalysisResponseSchema, (await http.get(`/api/v1/analyses/${second.analysisId}`)).data, "GET cancelled");
      return FINAL.has(read.status);
    }, "the cancel to land");
    parse(z.array(S.WorkerJobStatusSchema), (await http.get(`/api/v1/analyses/${second.analysisId}/jobs`)).data, "jobs of a cancelled analysis");
    check(["cancelled", "completed"].includes(cancelled.status) || cancelled.message, "cancel answered");
    parse(S.AnalysisPageSchema, (await http.get("/api/v1/analyses")).data, "GET /api/v1/analyses");
  } finally {
    websocket.socket.close();
    polling.socket.close();
  }
  console.log(`contract check: ${checks} checks passed against ${URL}`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(`contract check failed: ${error.message}`);
    process.exit(1);
  },
);
