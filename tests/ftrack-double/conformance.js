'use strict';
const crypto = require('crypto');
/*
 * Conformance of the ftrack double with ftrack's own JavaScript client,
 * @ftrack/api 1.11.x, used unchanged. Starts the double on a free port and
 * prints one line per check; exits 1 if any check fails.
 *
 *   node tests/ftrack-double/conformance.js
 * (modules from tests/ftrack-double/node_modules, or NODE_PATH)
 */
const {spawn} = require('child_process');
const fs = require('fs');
const path = require('path');
const WebSocket = require('ws');
const {Session, Event} = require('@ftrack/api');
const loglevel = require('loglevel');	/* @ftrack/api's logger */

/* The package does not export its package.json: read it beside dist/. */
const apiPackage = JSON.parse(fs.readFileSync(path.join(path.dirname(
    require.resolve('@ftrack/api')), '..', 'package.json'), 'utf8'));

const KEY = 'ferry-double-api-key';
const FIXTURE = path.join(__dirname, 'fixture.json');
const IDS = {
	jdoe: 'a3ff9209-f4ef-5f63-8a2e-c964a0a2e9eb',
	la: '2a370b92-8d4c-5cbb-ba6d-2168d5a5719b',
	v001: 'a10820ff-d1c6-5207-aea0-901dd2364424',
	v002: '3af2c6c7-cf8c-5aab-ae53-09c764ba7db2',
	v002seq: 'ac4c361b-6ba4-525b-9a69-ee0cff7bc387',
	plate: 'c1af84b3-d367-53fa-a125-a375a9387390',	/* sh010/plate */
	/* sh010/compositing */
	comp: '2a845f1d-5673-54e6-bcbf-0c918fc6b03c',
	ana: 'f1f77cbc-11ac-5bf8-b761-17f45b0f2944',
};

let failures = 0;
let checks = 0;

function check(name, ok, detail) {
	checks++;
	if (ok) {
		console.log(`ok ${checks} - ${name}`);
	} else {
		failures++;
		console.log(`FAIL ${checks} - ${name}` +
		    (detail === undefined ? '' : `: ${JSON.stringify(detail)}`));
	}
}

function same(name, got, want) {
	const a = JSON.stringify(got);
	const b = JSON.stringify(want);
	check(name, a === b, a === b ? undefined : {got, want});
}

/* The call must be refused with error class `errorName` and a message
 * matching `re`. */
async function refused(name, promise, errorName, re) {
	try {
		const value = await promise;
		check(name, false, {unexpected_success: value});
	} catch (e) {
		check(name, e.name === errorName && re.test(e.message),
		    `${e.name}: ${e.message}`);
	}
}

function sleep(ms) {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until(what, fn, timeoutMs = 10000) {
	const end = Date.now() + timeoutMs;
	for (;;) {
		const value = await fn();
		if (value)
			return value;
		if (Date.now() > end)
			throw new Error(`timed out waiting for ${what}`);
		await sleep(50);
	}
}

function startDouble() {
	const child = spawn(process.execPath, [path.join(__dirname,
	    'server.js'), '--port', '0', '--fixture', FIXTURE, '--quiet'],
	    {stdio: ['ignore', 'pipe', 'inherit']});
	return new Promise((resolve, reject) => {
		let out = '';
		child.stdout.on('data', (d) => {
			out += d;
			const m = /listening on (http:\/\/\S+)\n/.exec(out);
			if (m)
				resolve({child, url: m[1]});
		});
		child.on('exit', (code) => reject(new Error(
		    `the double exited (${code}) before listening`)));
	});
}

async function hook(url, method, name, body) {
	const res = await fetch(`${url}/_double/${name}`, {method,
	    body: body === undefined ? undefined : JSON.stringify(body)});
	const json = await res.json();
	if (!res.ok)
		throw new Error(`/_double/${name}: ${res.status} ` +
		    JSON.stringify(json));
	return json;
}

async function session(url) {
	const s = new Session(url, 'ferry', KEY);
	await s.initializing;
	same('session: server version from query_server_information',
	    s.serverVersion, '4.13.8');
	check('session: timezone support announced',
	    s.serverInformation.is_timezone_support_enabled === true);
	const schema = (id) => s.schemas.find((x) => x.id === id) || {};
	same('session: schemas include every concrete type used',
	    ['FileComponent', 'SequenceComponent', 'ContainerComponent',
		'ComponentLocation', 'Location', 'Job', 'User', 'Shot',
		'AssetVersion'].filter((t) => !schema(t).id), []);
	same('session: JobComponent has a composite primary key',
	    schema('JobComponent').primary_key, ['component_id', 'job_id']);
	return s;
}

async function queries(s) {
	let r = await s.query('select name from Shot order by name');
	same('query: shots by name', r.data.map((x) => x.name),
	    ['sh010', 'sh020', 'sh030']);
	same('query: no next page without limit', r.metadata.next.offset,
	    null);
	check('query: rows carry __entity_type__ and id',
	    r.data.every((x) => x.__entity_type__ === 'Shot' &&
	    /^[0-9a-f-]{36}$/.test(x.id)));

	const frames = 'select name, size from FileComponent where ' +
	    'container.version.version is 2 and container.version.asset.' +
	    'parent.name is "sh010" order by name';
	r = await s.query(`${frames} limit 10`);
	same('paging: first page', r.data.map((x) => x.name),
	    ['1001', '1002', '1003', '1004', '1005', '1006', '1007', '1008',
		'1009', '1010']);
	same('paging: next offset after the first page',
	    r.metadata.next.offset, 10);
	r = await s.query(`${frames} offset 20 limit 10`);
	same('paging: last page', r.data.map((x) => x.name),
	    ['1021', '1022', '1023', '1024']);
	same('paging: no next page after the last',
	    r.metadata.next.offset, null);

	r = await s.query('select version.version, version.asset.name from ' +
	    'SequenceComponent where version.asset.parent.name in ' +
	    '("sh010", "sh030") and name like "ma%" order by ' +
	    'version.version descending');
	same('query: in, like, dotted paths, order descending',
	    r.data.map((x) => [x.version.version, x.version.asset.name]),
	    [[2, 'plate'], [1, 'plate']]);

	r = await s.query('select version from AssetVersion where asset has ' +
	    '(name is "plate" and parent.name is "sh010") and status.name ' +
	    'not_in ("Approved") order by version');
	same('query: has, not_in', r.data.map((x) => x.version), [2]);

	r = await s.query('select name from Asset where versions any ' +
	    '(components any (name is "textures"))');
	same('query: nested any', r.data.map((x) => x.name), ['model']);

	r = await s.query('select name from Component where version_id is ' +
	    `${IDS.v002} and container_id is none order by name`);
	same('query: polymorphic type, bare uuid, none',
	    r.data.map((x) => `${x.__entity_type__}:${x.name}`),
	    ['SequenceComponent:main', 'FileComponent:reference']);

	r = await s.query('select resource_identifier from ComponentLocation ' +
	    'where location.name is "la" and component.name is "1001" and ' +
	    `component.container.version_id is "${IDS.v001}"`);
	same('query: resource identifier through relationships',
	    r.data.map((x) => x.resource_identifier),
	    ['/mnt/la/projects/demo/sq010/sh010/plate/v001/plate.1001.exr']);

	r = await s.query('select date, asset.versions.version from ' +
	    `AssetVersion where id is "${IDS.v002}"`);
	const v = r.data[0];
	check('query: dates decode as UTC moments',
	    v && v.date && v.date.toISOString() === '2026-11-10T15:30:00.000Z',
	    v && String(v.date));
	check('query: the same entity nested is merged by identity',
	    v && v.asset.versions.includes(v) &&
	    v.asset.versions.length === 2);

	r = await s.query('select id from TypedContext where ancestors any ' +
	    '(name is "sq010") and object_type.name is "Task"');
	same('query: ancestors and object types', r.data.length, 3);
}

async function writes(s) {
	const created = await s.create('Job', {user_id: IDS.jdoe,
	    status: 'running', data: JSON.stringify({description:
	    'ferry: 0 of 25 files'})});
	const job = created.data;
	check('create: the answer is the type and id alone',
	    Object.keys(job).sort().join() === '__entity_type__,id' &&
	    job.__entity_type__ === 'Job' && /^[0-9a-f-]{36}$/.test(job.id),
	    job);
	const stored = (await s.query('select type, status, created_at from ' +
	    `Job where id is "${job.id}"`)).data[0];
	check('create: a Job with defaults filled',
	    stored && stored.type === 'api_job' &&
	    stored.status === 'running' && stored.created_at &&
	    stored.created_at.isValid(), stored);

	const updated = await s.update('Job', [job.id], {status: 'done',
	    data: JSON.stringify({description: 'ferry: 25 of 25 files'})});
	same('update: the answer is the type and id alone', updated.data,
	    {__entity_type__: 'Job', id: job.id});
	const r = await s.query('select status, data, finished_at, ' +
	    `user.username from Job where id is "${job.id}"`);
	check('update: stored, finished_at set, user reachable',
	    r.data.length === 1 && r.data[0].status === 'done' &&
	    JSON.parse(r.data[0].data).description ===
	    'ferry: 25 of 25 files' && r.data[0].finished_at !== null &&
	    r.data[0].user.username === 'jdoe@studio.example', r.data);

	const members = (await s.query('select id, name from FileComponent ' +
	    `where container_id is "${IDS.v002seq}" and name in ("1001", ` +
	    '"1002", "1003") order by name')).data;
	const ops = members.map((m) => ({action: 'create',
	    entity_type: 'ComponentLocation', entity_data: {
		__entity_type__: 'ComponentLocation',
		component: {__entity_type__: 'FileComponent', id: m.id},
		location_id: IDS.la, resource_identifier: '/mnt/la/projects/' +
		    `demo/sq010/sh010/plate/v002/plate.${m.name}.exr`}}));
	const batch = await s.call(ops.slice(0, 2));
	const made = (await s.query('select component_id, location_id from ' +
	    'ComponentLocation where id in (' + batch.map((b) =>
	    `"${b.data.id}"`).join(', ') + ')')).data;
	check('create: ComponentLocations in one batch, from references',
	    batch.length === 2 && made.length === 2 && made.every((b) =>
	    members.some((m) => m.id === b.component_id) &&
	    b.location_id === IDS.la), made);
	const inLa = async () => (await s.query('select component.name from ' +
	    `ComponentLocation where location_id is "${IDS.la}" and ` +
	    `component.container.version_id is "${IDS.v002}"`)).data.length;
	same('create: they are found in la', await inLa(), 2);

	await refused('create: a second ComponentLocation is refused',
	    s.call([ops[0]]), 'ServerError', /Duplicate/);
	await refused('batch: a failing batch leaves nothing behind',
	    s.call([ops[2], {action: 'create', entity_type: 'Job',
		entity_data: {status: 'bogus', user_id: IDS.jdoe}}]),
	    'ServerValidationError', /status must be one of/);
	same('batch: still two ComponentLocations', await inLa(), 2);

	/* ensure selects the key alone, so it "updates" the name and
	 * returns that answer: the type and id. */
	const ready = await s.ensure('Status', {name: 'Ready'});
	const statuses = (await s.query('select name from Status where ' +
	    `id is "${ready.id}"`)).data;
	check('ensure: finds the existing status', statuses.length === 1 &&
	    statuses[0].name === 'Ready', {ready, statuses});

	await s.delete('ComponentLocation', [batch[0].data.id]);
	same('delete: one ComponentLocation gone', await inLa(), 1);

	await refused('error: unknown entity type',
	    s.query('select id from Frobnicator'), 'ServerError',
	    /Unknown entity type "Frobnicator"/);
	await refused('error: parse error with its position',
	    s.query('select name from Shot where name is'), 'ServerError',
	    /Failed to parse: .*at position 35:/);
	await refused('error: unknown attribute',
	    s.query('select nmae from Shot'), 'ServerError',
	    /no attribute "nmae"/);

	const wrong = new Session(s.serverUrl, 'ferry', 'not-the-key');
	await refused('auth: a wrong API key', wrong.initializing,
	    'ServerError', /The supplied API key is not valid/);
	return job;
}

/* A second client (jdoe's personal key: the JS client shares one socket
 * per credentials) serving an action. */
async function actionProvider(url) {
	const s = new Session(url, 'jdoe@studio.example', 'jdoe-personal-key',
	    {autoConnectEventHub: true});
	await s.initializing;
	const seen = {targeted: [], updates: []};
	s.eventHub.subscribe('topic=ftrack.action.discover', () => ({
	    items: [{label: 'ferry Send', actionIdentifier: 'ferry.send'}]}));
	s.eventHub.subscribe('topic=ftrack.action.launch', (event) =>
	    event.data.values ? {success: true, message: 'sent to ' +
	    event.data.values.to} : {items: [{type: 'text', name: 'to',
	    label: 'To'}], user: event.source.user});
	seen.targetedId = s.eventHub.subscribe('topic=ferry.test.targeted',
	    (event) => { seen.targeted.push(event.data.n); });
	s.eventHub.subscribe('topic=ftrack.update',
	    (event) => { seen.updates.push(event); });
	return {s, seen};
}

/* The provider's subscriptions once it has made at least `n`, a little
 * after, so that duplicates would show. */
async function providerSubscribed(url, n) {
	const mine = async () => (await hook(url, 'GET', 'subscriptions'))
	    .filter((x) => x.user === 'jdoe@studio.example');
	await until(`${n} subscriptions of the provider`, async () =>
	    (await mine()).length >= n);
	await sleep(200);
	return mine();
}

async function eventHub(url, s, job) {
	s.eventHub.connect();
	const {seen} = await actionProvider(url);
	/* reply + discover + launch + targeted + update */
	const ids = (await providerSubscribed(url, 5)).map((x) =>
	    x.subscriber.id);
	check('hub: each subscriber once, though the client subscribes ' +
	    'twice', ids.length === 5 && new Set(ids).size === 5, ids);

	const replies = [];
	const discover = new Event('ftrack.action.discover',
	    {selection: [{entityId: IDS.v002, entityType: 'assetversion'}]});
	const id = await s.eventHub.publish(discover,
	    {onReply: (e) => replies.push(e)});
	await until('the discover reply', () => replies.length > 0);
	check('hub: publish with onReply gets the reply',
	    replies[0].inReplyToEvent === id && replies[0].topic ===
	    'ftrack.meta.reply' && replies[0].data.items[0].actionIdentifier ===
	    'ferry.send', replies[0]);

	const reply = await s.eventHub.publishAndWaitForReply(
	    new Event('ftrack.action.launch', {actionIdentifier: 'ferry.send',
	    selection: [], values: {to: 'la'}}), {timeout: 10});
	same('hub: publishAndWaitForReply', reply.data,
	    {success: true, message: 'sent to la'});

	await s.eventHub.publish(new Event('ferry.test.targeted', {n: 1},
	    {target: 'id=somebody-else'}));
	await s.eventHub.publish(new Event('ferry.test.targeted', {n: 2},
	    {target: `id=${seen.targetedId}`}));
	await until('the targeted event', () => seen.targeted.length > 0);
	await sleep(200);
	same('hub: delivery follows the target', seen.targeted, [2]);

	await s.update('Job', [job.id], {status: 'failed'});
	await until('ftrack.update', () => seen.updates.length > 0);
	const entity = seen.updates[0].data.entities[0];
	same('hub: ftrack.update after a change',
	    [entity.entity_type, entity.action, entity.changes.status],
	    ['Job', 'update', {old: 'done', new: 'failed'}]);

	await webUi(url);

	const dropped = await hook(url, 'POST', 'drop-sockets', {});
	check('hub: the double drops the sockets', dropped.dropped === 2,
	    dropped);
	await providerSubscribed(url, 5);
	const again = await hook(url, 'POST', 'discover', {user:
	    'ana@studio.example', selection: []});
	same('hub: after a drop the client reconnects and resubscribes',
	    again.items.map((i) => i.actionIdentifier), ['ferry.send']);
}

/* The web UI emulation: discover, launch, launch with values (§3.6). */
async function webUi(url) {
	const selection = [{entityId: IDS.v002, entityType: 'assetversion'}];
	const d = await hook(url, 'POST', 'discover',
	    {user: 'ana@studio.example', selection});
	same('web UI: discover items from the action, with the reply time',
	    [d.items.map((i) => i.label), d.reply_ms.length],
	    [['ferry Send'], 1]);
	const form = await hook(url, 'POST', 'launch',
	    {user: 'ana@studio.example', selection, item: d.items[0]});
	const data = form.replies[0] && form.replies[0].data;
	same('web UI: launch sends source.user with its id',
	    data && data.user, {id: 'f1f77cbc-11ac-5bf8-b761-17f45b0f2944',
		username: 'ana@studio.example'});
	const done = await hook(url, 'POST', 'launch',
	    {user: 'ana@studio.example', selection, item: d.items[0],
		values: {to: 'hq'}});
	same('web UI: launch with values', done.replies.map((r) => r.data),
	    [{success: true, message: 'sent to hq'}]);
}

/*
 * The wire protocol under the client (§2.2-2.5), with a plain WebSocket:
 * handshake, refusals, heartbeats at the interval set by the hook, acks
 * for subscriptions good and bad, and an event echoed to its sender.
 */
async function socketIo(url) {
	const bad = await fetch(`${url}/socket.io/1/?api_user=ferry&api_key=x`);
	same('socket.io: handshake with a wrong key', bad.status, 401);
	const res = await fetch(`${url}/socket.io/1/?api_user=ferry&api_key=` +
	    KEY);
	const text = await res.text();
	check('socket.io: handshake "sid:timeout:timeout:websocket"',
	    /^[0-9a-f]{32}:\d+:\d+:websocket$/.test(text), text);
	const wsUrl = url.replace(/^http/, 'ws') + '/socket.io/1/websocket/';
	const refusedUpgrade = await new Promise((resolve) => {
		const ws = new WebSocket(wsUrl + 'not-a-session');
		ws.on('open', () => { ws.close(); resolve(false); });
		ws.on('error', () => resolve(true));
	});
	check('socket.io: an unknown session id is refused', refusedUpgrade);

	await hook(url, 'POST', 'heartbeat', {interval_ms: 100});
	const packets = [];
	const ws = new WebSocket(wsUrl + text.split(':')[0]);
	ws.on('message', (d) => packets.push(d.toString()));
	await new Promise((resolve, reject) => {
		ws.on('open', resolve);
		ws.on('error', reject);
	});
	/* Four heartbeats in well under the default interval (5 s). */
	const beats = await until('heartbeats', () =>
	    packets.filter((p) => p === '2::').length >= 4, 3000)
	    .catch(() => false);
	check('socket.io: "1::" first, then heartbeats at the set interval',
	    packets[0] === '1::' && beats, packets);
	const subscribe = (n, subscription) => ws.send(`5:${n}+::` +
	    JSON.stringify({name: 'ftrack.event', args: [{id: `s${n}`,
	    topic: 'ftrack.meta.subscribe', data: {subscriber: {id: 'raw'},
	    subscription}}]}));
	subscribe(1, 'topic=ferry.raw and (data.n>2 or not data.x=y');
	subscribe(2, 'topic=ferry.* and data.n>2');
	ws.send('5:::' + JSON.stringify({name: 'ftrack.event', args: [
	    {id: 'e1', topic: 'ferry.raw', data: {n: 1}, target: ''}]}));
	ws.send('5:::' + JSON.stringify({name: 'ftrack.event', args: [
	    {id: 'e2', topic: 'ferry.raw', data: {n: 3}, target: ''}]}));
	await until('acks and the event', () =>
	    packets.some((p) => p.includes('"e2"')));
	const acks = packets.filter((p) => p.startsWith('6:::'));
	check('socket.io: a bad subscription is refused in its ack',
	    /^6:::1\+\[\{"success":false,"message":".*position/.test(acks[0]),
	    acks[0]);
	same('socket.io: a good subscription is acknowledged', acks[1],
	    '6:::2+[{"success":true}]');
	same('socket.io: only the matching event comes back, as "5:::"',
	    packets.filter((p) => p.startsWith('5:')).map((p) =>
	    JSON.parse(p.slice(4)).args[0].id), ['e2']);
	await expressions(ws, packets);

	const raw = '5:::' + JSON.stringify({name: 'ftrack.event', args: [
	    {id: 'e3', topic: 'ferry.raw', data: {n: 'x'.repeat(100)}}]});
	const sent = await hook(url, 'POST', 'send-raw', {packet: raw,
	    fragments: 7});
	await until('the raw packet', () => packets.includes(raw));
	check('hooks: send-raw in fragments arrives whole', sent.sent_to >= 1,
	    sent);
	ws.close();
	await hook(url, 'POST', 'heartbeat', {interval_ms: 5000});

	await hook(url, 'POST', 'fail-next', {count: 2, status: 503});
	const statuses = [];
	for (let i = 0; i < 3; i++) {
		statuses.push((await fetch(`${url}/api`, {method: 'POST',
		    headers: {'ftrack-user': 'ferry', 'ftrack-api-key': KEY},
		    body: '[{"action": "query_server_information"}]'})).status);
	}
	same('hooks: fail-next fails the next calls only', statuses,
	    [503, 503, 200]);
}

/* A subscription with and/or/not, parentheses, a comparison and a source
 * field, and targets (§2.7, §2.8): which of these events come back. */
async function expressions(ws, packets) {
	const send = (event) => ws.send('5:::' + JSON.stringify(
	    {name: 'ftrack.event', args: [{target: '', data: {}, ...event}]}));
	send({topic: 'ftrack.meta.subscribe', data: {subscriber:
	    {id: 'expr', applicationId: 'ferry.test'}, subscription:
	    'topic=expr.test and (source.applicationId=ftrack.client.web ' +
	    'or data.n>=10) AND NOT data.skip=yes'}});
	const web = {applicationId: 'ftrack.client.web'};
	const other = {applicationId: 'other'};
	send({id: 'x1', topic: 'expr.test', source: web});
	send({id: 'x2', topic: 'expr.test', source: other, data: {n: 12}});
	send({id: 'x3', topic: 'expr.test', source: other, data: {n: 3}});
	send({id: 'x4', topic: 'expr.test', source: web, data: {skip: 'yes'}});
	send({id: 'x5', topic: 'expr.tests', source: web});
	send({id: 'x6', topic: 'expr.test', source: web,
	    target: 'applicationId=ferry.test and id=expr'});
	send({id: 'x7', topic: 'expr.test', source: web, target: 'id=else'});
	send({id: 'x8', topic: 'expr.test', source: web});
	await until('the last expression event', () =>
	    packets.some((p) => p.includes('"x8"')));
	same('hub: subscription expressions and targets select events',
	    packets.filter((p) => p.includes('"expr.test')).map((p) =>
	    JSON.parse(p.slice(4)).args[0].id), ['x1', 'x2', 'x6', 'x8']);
}

/*
 * The shapes of answers on the wire, below @ftrack/api: de-duplicated by
 * default, across the batch; whole with ftrack-api-options, unless the
 * double is told to ignore it as an older server does.
 */
async function answerShapes(url) {
	const batch = [{action: 'query', expression: 'select version, ' +
	    'asset.versions.version from AssetVersion where id is ' +
	    `"${IDS.v001}"`}, {action: 'query', expression: 'select version ' +
	    `from AssetVersion where id is "${IDS.v002}"`}];
	const post = async (options) => (await fetch(`${url}/api`, {
	    method: 'POST', body: JSON.stringify(batch), headers: {
		'ftrack-user': 'ferry', 'ftrack-api-key': KEY,
		'content-type': 'application/json',
		...(options ? {'ftrack-api-options': options} : {})}})).json();
	const inner = (r) => r[0].data[0].asset.versions;
	let r = await post();
	check('shape: de-duplicated by default: the version inside its ' +
	    'asset is a reference, so is the next query\'s row',
	    inner(r).some((v) => v.id === IDS.v001 &&
	    Object.keys(v).length === 2) && inner(r).some((v) =>
	    v.id === IDS.v002 && v.version === 2) &&
	    Object.keys(r[1].data[0]).sort().join() === '__entity_type__,id',
	    r);
	r = await post('strict:1;denormalize:1');
	check('shape: whole answers when asked', inner(r).every((v) =>
	    typeof v.version === 'number') && r[1].data[0].version === 2, r);
	await hook(url, 'POST', 'api-options', {ignore: true});
	r = await post('strict:1;denormalize:1');
	const seen = await hook(url, 'POST', 'api-options', {ignore: false});
	check('shape: an older server ignores the option',
	    Object.keys(r[1].data[0]).length === 2 && seen.asked_whole >= 2 &&
	    seen.sent_whole >= 1, {r, seen});
}

/*
 * What ferry-ftrack's publish relies on (docs/ftrack.md "Publishing
 * back"): creates with ids the client chose, answered with the type and
 * id alone; a second create with the same id refused, so that a retry
 * after a crash makes nothing twice; one batch for a version, its
 * components and its note; the assignees of a task.
 */
async function publishes(s) {
	const vid = crypto.randomUUID();
	const seq = crypto.randomUUID();
	const frame = crypto.randomUUID();
	const note = crypto.randomUUID();
	const version = {id: vid, asset_id: IDS.plate, task_id: IDS.comp,
	    version: 3, comment: 'from a vendor'};
	const batch = await s.call([
	    {action: 'create', entity_type: 'AssetVersion',
		entity_data: version},
	    {action: 'create', entity_type: 'SequenceComponent', entity_data:
		{id: seq, name: 'plate.exr', padding: 4, file_type: '.exr',
		version_id: vid}},
	    {action: 'create', entity_type: 'FileComponent', entity_data:
		{id: frame, name: '1001', file_type: '.exr', size: 10,
		container_id: seq}},
	    {action: 'create', entity_type: 'Note', entity_data: {id: note,
		content: 'from a vendor', parent_id: vid,
		parent_type: 'AssetVersion', user_id: IDS.ana}}]);
	same('publish: the client\'s ids, type and id alone',
	    batch.map((b) => b.data), [
	    {__entity_type__: 'AssetVersion', id: vid},
	    {__entity_type__: 'SequenceComponent', id: seq},
	    {__entity_type__: 'FileComponent', id: frame},
	    {__entity_type__: 'Note', id: note}]);
	const r = (await s.query('select version, comment, components.name, ' +
	    `notes.content from AssetVersion where id is "${vid}"`)).data;
	check('publish: the version, its sequence and its note',
	    r.length === 1 && r[0].version === 3 &&
	    r[0].comment === 'from a vendor' &&
	    r[0].components.length === 1 &&
	    r[0].components[0].name === 'plate.exr' &&
	    r[0].notes.length === 1, r);
	await refused('publish: a second create with the same id is refused',
	    s.create('AssetVersion', version), 'ServerError', /Duplicate/);
	await refused('publish: a version number used twice on an asset',
	    s.create('AssetVersion', {...version, id: crypto.randomUUID()}),
	    'ServerError', /Duplicate/);
	const max = (await s.query('select version from AssetVersion where ' +
	    `asset_id is "${IDS.plate}" order by version descending ` +
	    'limit 1')).data;
	same('publish: the highest version of an asset', max.map((v) =>
	    v.version), [3]);
	const who = (await s.query('select resource.email from Appointment ' +
	    `where context_id is "${IDS.comp}" and type is "assignment"`))
	    .data;
	same('publish: the assignees of a task', who.map((a) =>
	    a.resource.email), ['ana@studio.example']);
	await s.delete('AssetVersion', [vid]);
}

async function main() {
	/* The client logs every refused call; those are expected here. */
	loglevel.getLogger('ftrack_api').setLevel('silent');
	console.log(`# @ftrack/api ${apiPackage.version} against the double`);
	if (!/^1\.11\./.test(apiPackage.version))
		check('@ftrack/api is 1.11.x', false, apiPackage.version);
	let child = null;
	try {
		const double = await startDouble();
		child = double.child;
		child.removeAllListeners('exit');
		const url = double.url;
		const s = await session(url);
		await queries(s);
		await answerShapes(url);
		const job = await writes(s);
		await eventHub(url, s, job);
		await socketIo(url);
		await publishes(s);
	} catch (e) {
		check('the conformance run itself', false, e.stack);
	} finally {
		if (child)
			child.kill('SIGTERM');
	}
	console.log(`# ${checks - failures} of ${checks} checks passed`);
	process.exit(failures ? 1 : 0);
}

main();
