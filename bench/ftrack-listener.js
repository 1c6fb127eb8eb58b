'use strict';
/*
 * The measuring half of bench/ftrack-listener: plays ftrack's web UI
 * through the double's hooks against a running ferry-ftrack and times its
 * replies as the double sees them (reply_ms: from publishing the event to
 * the reply's arrival at the double).
 *
 *   node bench/ftrack-listener.js URL VERSION_ID SHOT_ID FRAMES REPEAT OUT \
 *       FERRY HUB_STATE
 *
 * After one discover and one launch to warm up, REPEAT discovers of the
 * version, REPEAT of the shot, then REPEAT launches with the form's values
 * (v002 from hq to la). ferry-ftrack replies to a launch once the hub has
 * stored the ferry job, so a launch's reply_ms is launch to submitted job.
 * Each launch must name a job that the hub lists (`ferry jobs --json`)
 * with at least FRAMES files, and the next starts only when that job and
 * its ftrack Job have ended, so that no transfer or registration runs
 * while a launch is timed. Writes the runs and a summary to OUT; prints
 * the summary.
 */
const {execFileSync} = require('child_process');
const fs = require('fs');

const [url, version, shot, framesArg, repeatArg, out, ferry, hubState] =
    process.argv.slice(2);
const FRAMES = Number(framesArg);
const REPEAT = Number(repeatArg);
const USER = 'jdoe@studio.example';
const VALUES = {source: 'hq', destination: 'la', priority: 500,
    note: 'bench', additional_files: ''};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function hook(method, path, body) {
	const res = await fetch(`${url}/_double/${path}`, {method,
	    headers: {'content-type': 'application/json'},
	    body: body === undefined ? undefined : JSON.stringify(body)});
	const o = await res.json();
	if (!res.ok)
		throw new Error(`${path}: ${res.status} ${JSON.stringify(o)}`);
	return o;
}

/* Resolves with fn()'s value once it is not undefined, or throws. */
async function until(what, seconds, fn) {
	const end = Date.now() + seconds * 1000;
	for (;;) {
		const v = await fn();
		if (v !== undefined)
			return v;
		if (Date.now() > end)
			throw new Error(`timed out after ${seconds} s: ${what}`);
		await sleep(50);
	}
}

function hubJobs() {
	return JSON.parse(execFileSync(ferry, ['jobs', '--json', '--limit',
	    '20', '--state', hubState], {encoding: 'utf8'}));
}

/* One web-UI event; its single reply and reply_ms. */
async function ask(what, selection, values) {
	const body = {user: USER, selection, wait_ms: 20000};
	if (what === 'launch') {
		body.actionIdentifier = 'ferry.send';
		if (values)
			body.values = values;
	}
	const o = await hook('POST', what, body);
	if (o.replies.length !== 1)
		throw new Error(`${what}: ${o.replies.length} replies ` +
		    `(delivered to ${o.delivered_to})`);
	return {data: o.replies[0].data, ms: o.reply_ms[0]};
}

async function discover(selection) {
	const r = await ask('discover', selection);
	if (!r.data.items || r.data.items[0].actionIdentifier !== 'ferry.send')
		throw new Error(`discover: no ferry Send: ${JSON.stringify(r)}`);
	return r.ms;
}

/*
 * A launch with values; checks the hub's job and waits for it and its
 * ftrack Job to end. Returns {ms, job, files}.
 */
async function launch(selection, nth) {
	const r = await ask('launch', selection, VALUES);
	const m = /^ferry job ([0-9]+): ([0-9]+) files/.exec(r.data.message);
	if (!r.data.success || !m)
		throw new Error(`launch: ${JSON.stringify(r.data)}`);
	const id = Number(m[1]);
	const job = hubJobs().find((j) => j.id === id);
	if (!job || job.files < FRAMES)
		throw new Error(`launch: the hub's job ${id} has ` +
		    `${job ? job.files : 'no'} files, not ${FRAMES} or more`);
	await until(`ferry job ${id} done`, 120, async () => {
		const j = hubJobs().find((x) => x.id === id);
		if (j.state !== 'running' && j.state !== 'done')
			throw new Error(`ferry job ${id} ${j.state}`);
		return j.state === 'done' ? true : undefined;
	});
	await until(`${nth} ftrack Jobs ended`, 120, async () => {
		const jobs = await hook('GET', 'entities/Job');
		return jobs.length >= nth && jobs.every((j) =>
		    j.status === 'done') ? true : undefined;
	});
	return {ms: r.ms, job: id, files: job.files};
}

function summary(ms) {
	const s = [...ms].sort((a, b) => a - b);
	const at = (q) => s[Math.min(s.length - 1,
	    Math.ceil(q * s.length) - 1)];
	const r = (x) => Math.round(x * 10) / 10;
	return {runs: s.length, min: r(s[0]), median: r(at(0.5)),
	    p90: r(at(0.9)), max: r(s[s.length - 1])};
}

(async () => {
	const ver = [{entityId: version, entityType: 'assetversion'}];
	const sh = [{entityId: shot, entityType: 'task'}];
	const res = {frames: FRAMES, warm: {}, runs: {discover_version: [],
	    discover_shot: [], launch: []}};
	let launches = 0;

	await until('ferry-ftrack subscribed', 30, async () => {
		const subs = await hook('GET', 'subscriptions');
		return subs.some((s) => s.user === 'ferry' &&
		    /ferry\.send/.test(s.subscription)) ? true : undefined;
	});
	res.warm.discover = await discover(ver);
	res.warm.launch = (await launch(ver, ++launches)).ms;
	for (let i = 0; i < REPEAT; i++) {
		res.runs.discover_version.push(await discover(ver));
		await sleep(20);
	}
	for (let i = 0; i < REPEAT; i++) {
		res.runs.discover_shot.push(await discover(sh));
		await sleep(20);
	}
	for (let i = 0; i < REPEAT; i++) {
		await sleep(200);
		const l = await launch(ver, ++launches);
		res.runs.launch.push(l.ms);
		res.files = l.files;
	}
	res.discover_version = summary(res.runs.discover_version);
	res.discover_shot = summary(res.runs.discover_shot);
	res.launch = summary(res.runs.launch);
	fs.writeFileSync(out, JSON.stringify(res, null, 1) + '\n');
	const line = (name, s) => console.log(`${name.padEnd(36)} ms min ` +
	    `${s.min.toFixed(1)} median ${s.median.toFixed(1)} p90 ` +
	    `${s.p90.toFixed(1)} max ${s.max.toFixed(1)}`);
	line('discover, version', res.discover_version);
	line('discover, shot sh010', res.discover_shot);
	line(`launch v002 hq -> la (${res.files} files)`, res.launch);
	console.log(`warm-up: discover ${res.warm.discover.toFixed(1)} ms, ` +
	    `launch ${res.warm.launch.toFixed(1)} ms`);
})().catch((e) => {
	process.stderr.write(`bench/ftrack-listener: ${e.message}\n`);
	process.exit(1);
});
